"""The vocabulary every part shares: COCO-17 keypoints, poses, and small helpers."""

from pose_ros.core.geometry import Box, box_iou, clamp_box, iou, keypoint_box, pose_box
from pose_ros.core.hand import NUM_HAND_KEYPOINTS, Handedness, HandLandmark, HandPose
from pose_ros.core.keypoints import NUM_KEYPOINTS, SKELETON, Keypoint, Pose
from pose_ros.core.throttle import KeyedThrottle

__all__ = ['Box', 'HandLandmark', 'HandPose', 'Handedness', 'KeyedThrottle', 'Keypoint',
           'NUM_HAND_KEYPOINTS', 'NUM_KEYPOINTS', 'Pose', 'SKELETON', 'box_iou', 'clamp_box',
           'iou', 'keypoint_box', 'pose_box']
