"""The shared hand type: shapes checked, one hand per side, sides the person's own."""

import numpy as np
import pytest

from pose_ros.core import NUM_HAND_KEYPOINTS, Handedness, HandLandmark, HandPose, Pose


def test_a_pose_holds_at_most_one_hand_per_side_and_finds_them_by_side():
    left = HandPose(Handedness.LEFT, np.ones((NUM_HAND_KEYPOINTS, 3)), 0.9, 0.8)
    pose = Pose(hands=[left])
    assert pose.hands == (left,) and pose.hand(Handedness.LEFT) is left
    assert pose.hand(Handedness.RIGHT) is None
    assert Pose().hands == ()
    with pytest.raises(ValueError, match='two hands of one side'):
        Pose(hands=(left, HandPose(Handedness.LEFT)))


def test_hand_shapes_are_checked_and_sides_are_enums():
    assert HandPose(1).side is Handedness.RIGHT
    assert HandPose(0).keypoints.dtype == np.float32
    with pytest.raises(ValueError, match=r'keypoints must have shape \(21, 3\)'):
        HandPose(Handedness.LEFT, np.zeros((17, 3)))
    with pytest.raises(ValueError, match=r'positions must have shape \(21, 3\)'):
        HandPose(Handedness.LEFT, positions=np.zeros((21, 2)))
    assert HandLandmark.INDEX_TIP == 8 and HandLandmark.PINKY_TIP == NUM_HAND_KEYPOINTS - 1


def test_body_hand_points_are_optional_and_checked():
    assert Pose().hand_points is None
    points = Pose(hand_points=np.ones((2, 3, 3), np.float64)).hand_points
    assert points.dtype == np.float32 and points.shape == (2, 3, 3)
    with pytest.raises(ValueError, match=r'hand_points must have shape \(2, 3, 3\)'):
        Pose(hand_points=np.zeros((6, 3)))
