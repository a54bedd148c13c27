"""The vocabulary every part shares: COCO-17 keypoints, poses, and small helpers."""

from pose_ros.core.keypoints import NUM_KEYPOINTS, SKELETON, Keypoint, Pose
from pose_ros.core.throttle import KeyedThrottle

__all__ = ['KeyedThrottle', 'Keypoint', 'NUM_KEYPOINTS', 'Pose', 'SKELETON']
