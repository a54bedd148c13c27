"""The library's keypoint enum and the message constants are one vocabulary."""

import pytest

from pose_ros.core.keypoints import NUM_KEYPOINTS, Keypoint, Pose
import pose_ros_msgs.msg as msg


def test_message_constants_match_the_enum_in_coco_order():
    assert msg.Keypoint.NUM_KEYPOINTS == NUM_KEYPOINTS == len(Keypoint)
    for kp in Keypoint:
        assert getattr(msg.Keypoint, kp.name) == kp.value
    assert [kp.name for kp in Keypoint][:3] == ['NOSE', 'LEFT_EYE', 'RIGHT_EYE']
    assert Keypoint.RIGHT_ANKLE == 16


def test_pose_rejects_wrong_keypoint_count():
    with pytest.raises(ValueError, match='17, 3'):
        Pose(keypoints=[[0.0, 0.0, 0.0]] * 16)
