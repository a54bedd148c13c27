"""Body kinematics: joint angles (3D from positions, else image-plane) and their velocities.

Plain Python and numpy, no ROS: ``joint_angles`` measures one pose, ``KinematicsTracker``
follows tracked persons from frame to frame for angular velocities.
``pose_ros.ros.messages.kinematics_to_msg`` turns the results into ``KinematicsArray``.
"""

from pose_ros.kinematics.angles import (
    JOINT_FEATURES,
    NUM_JOINTS,
    Joint,
    PersonKinematics,
    Space,
    joint_angles,
)
from pose_ros.kinematics.velocity import KinematicsTracker

__all__ = ['JOINT_FEATURES', 'NUM_JOINTS', 'Joint', 'KinematicsTracker', 'PersonKinematics',
           'Space', 'joint_angles']
