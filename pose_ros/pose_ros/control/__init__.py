"""Control: who commands the robot, whom it follows, and the bounded commands sent for them."""

from pose_ros.control.follow_me import FollowOptions, Range
from pose_ros.control.following import FollowedPerson, Follower
from pose_ros.control.shaping import ZERO, Command, TeleopLimits
from pose_ros.control.teleop import Teleop, TeleopOptions, TeleopState, UpdateResult, Verdict

__all__ = ['Command', 'FollowOptions', 'FollowedPerson', 'Follower', 'Range', 'Teleop',
           'TeleopLimits', 'TeleopOptions', 'TeleopState', 'UpdateResult', 'Verdict', 'ZERO']
