"""Control: who commands the robot, whom it follows, and the bounded commands sent for them."""

from pose_ros.control.following import FollowedPerson, Follower
from pose_ros.control.shaping import ZERO, Command, TeleopLimits
from pose_ros.control.teleop import Teleop, TeleopOptions, TeleopState, UpdateResult, Verdict

__all__ = ['Command', 'FollowedPerson', 'Follower', 'Teleop', 'TeleopLimits', 'TeleopOptions',
           'TeleopState', 'UpdateResult', 'Verdict', 'ZERO']
