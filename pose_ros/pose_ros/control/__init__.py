"""Control: who commands the robot, and the bounded velocity commands sent for them."""

from pose_ros.control.shaping import ZERO, Command, TeleopLimits
from pose_ros.control.teleop import GestureEvent, Teleop, TeleopOptions, TeleopState

__all__ = ['Command', 'GestureEvent', 'Teleop', 'TeleopLimits', 'TeleopOptions',
           'TeleopState', 'ZERO']
