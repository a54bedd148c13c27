"""The shared box geometry, on boxes whose overlaps are known in closed form."""

import numpy as np
import pytest

from pose_ros.core.geometry import (
    box_iou,
    check_rgb,
    iou,
    keypoint_box,
    pose_box,
    sigmoid,
)
from pose_ros.core.keypoints import Pose


def test_box_iou_matches_hand_computed_overlap():
    a = np.array([0.0, 0.0, 10.0, 10.0])
    others = np.array([[1.0, 1.0, 11.0, 11.0],    # 9x9 overlap
                       [5.0, 0.0, 15.0, 10.0],    # 5x10 overlap
                       [20.0, 20.0, 30.0, 30.0],  # disjoint
                       [0.0, 0.0, 10.0, 10.0],    # identical
                       [3.0, 3.0, 3.0, 8.0]])     # zero width
    expected = [81 / (100 + 100 - 81), 50 / (100 + 100 - 50), 0.0, 1.0, 0.0]
    np.testing.assert_allclose(box_iou(a, others), expected)


def test_iou_of_every_pair():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 0, 0]])
    np.testing.assert_allclose(iou(a, b), [[1.0, 50 / 150, 0.0, 0.0]])


def test_keypoint_box_ignores_unsure_and_non_finite_keypoints():
    kp = np.array([[10, 20, 0.9], [30, 5, 0.5], [500, 500, 0.1], [np.nan, 0, 0.9]], np.float32)
    assert keypoint_box(kp) == (10.0, 5.0, 30.0, 20.0)
    assert keypoint_box(kp, min_score=0.0) == (10.0, 5.0, 500.0, 500.0)
    assert keypoint_box(kp[:0]) == (0.0, 0.0, 0.0, 0.0)


def test_pose_box_prefers_the_models_box():
    kp = np.zeros((17, 3), np.float32)
    kp[:2] = [[10, 20, 0.9], [30, 40, 0.9]]
    assert pose_box(Pose(kp, 0.9, (1, 2, 3, 4))) == (1.0, 2.0, 3.0, 4.0)
    assert pose_box(Pose(kp, 0.9)) == (10.0, 20.0, 30.0, 40.0)


def test_sigmoid_is_stable_for_large_logits():
    with np.errstate(all='raise'):
        out = sigmoid(np.array([-1e4, 0.0, 1e4]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


@pytest.mark.parametrize('image', [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.float32),
                                   np.zeros((0, 4, 3), np.uint8), 'not an image'])
def test_check_rgb_refuses_what_is_not_an_rgb_frame(image):
    with pytest.raises(ValueError, match=r'estimate\(\) needs an RGB uint8 image'):
        check_rgb(image, 'estimate()')
    check_rgb(np.zeros((4, 4, 3), np.uint8), 'estimate()')
