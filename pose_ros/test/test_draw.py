"""Overlay drawing: limbs appear where the joints are, and nowhere for unsure joints."""

import numpy as np
import pytest

from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.media.draw import draw_poses, draw_text_lines


def _pose(points: dict, score: float = 0.9, box=(0.0, 0.0, 0.0, 0.0), track_id=-1) -> Pose:
    kp = np.zeros((17, 3), np.float32)
    for k, (x, y, s) in points.items():
        kp[int(k)] = (x, y, s)
    return Pose(keypoints=kp, score=score, box=box, track_id=track_id)


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.any(before != after, axis=2)


def test_limb_between_two_confident_joints_is_drawn():
    img = np.zeros((120, 160, 3), np.uint8)
    pose = _pose({Keypoint.LEFT_SHOULDER: (20, 60, 0.9), Keypoint.LEFT_ELBOW: (140, 60, 0.8)})
    before = img.copy()
    draw_poses(img, [pose])
    changed = _changed(before, img)
    # Every pixel on the segment's midline between the joint discs is painted.
    assert changed[60, 30:131].all()
    # Far from the limb nothing is painted.
    assert not changed[:40].any()
    assert not changed[80:].any()


def test_joint_below_min_score_draws_nothing():
    img = np.zeros((120, 160, 3), np.uint8)
    pose = _pose({Keypoint.LEFT_SHOULDER: (20, 60, 0.9), Keypoint.LEFT_ELBOW: (140, 60, 0.2)})
    before = img.copy()
    draw_poses(img, [pose], min_score=0.3)
    changed = _changed(before, img)
    assert changed[60, 20], 'confident joint should still be drawn'
    assert not changed[:, 40:].any(), 'limb or joint drawn towards an unsure joint'


def test_box_and_track_id_are_drawn():
    img = np.zeros((120, 160, 3), np.uint8)
    pose = _pose({}, box=(30.0, 30.0, 130.0, 100.0), track_id=7)
    before = img.copy()
    draw_poses(img, [pose])
    changed = _changed(before, img)
    assert changed[65, 30] and changed[65, 130] and changed[30, 80] and changed[100, 80]
    assert not changed[65, 80], 'box interior must stay untouched'
    assert changed[15:30, 30:100].any(), 'track id label missing above the box'


def test_color_order_swaps_channels():
    pose = _pose({Keypoint.LEFT_WRIST: (50, 50, 0.9)})
    rgb = np.zeros((100, 100, 3), np.uint8)
    bgr = np.zeros((100, 100, 3), np.uint8)
    draw_poses(rgb, [pose], color_order='rgb')
    draw_poses(bgr, [pose], color_order='bgr')
    np.testing.assert_array_equal(rgb, bgr[:, :, ::-1])
    assert rgb[50, 50, 0] != rgb[50, 50, 2], 'left side colour should not be grey'


def test_dtype_shape_and_identity_preserved():
    img = np.zeros((90, 70, 3), np.uint8)
    ref = img
    draw_poses(img, [_pose({Keypoint.NOSE: (10, 10, 1.0), Keypoint.LEFT_EYE: (60, 80, 1.0)})])
    draw_text_lines(img, ['gesture: stop'])
    assert img is ref and img.shape == (90, 70, 3) and img.dtype == np.uint8


def test_non_finite_and_far_off_points_do_not_crash():
    img = np.zeros((50, 50, 3), np.uint8)
    pose = _pose({Keypoint.NOSE: (np.nan, 10, 1.0), Keypoint.LEFT_EYE: (1e12, -1e12, 1.0),
                  Keypoint.RIGHT_EYE: (25, 25, 1.0)})
    draw_poses(img, [pose])
    assert img[25, 25].any()


@pytest.mark.parametrize('bad', [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 3), np.float32),
                                 np.zeros((10, 10, 4), np.uint8)])
def test_wrong_image_is_rejected(bad):
    with pytest.raises(ValueError, match=r'drawing needs an RGB uint8 image of shape \(H, W, 3\)'):
        draw_poses(bad, [])


def test_read_only_image_is_rejected():
    img = np.zeros((10, 10, 3), np.uint8)
    img.flags.writeable = False
    with pytest.raises(ValueError, match='read-only'):
        draw_text_lines(img, ['x'])


def test_bad_color_order_is_rejected():
    with pytest.raises(ValueError, match="'rgb' or 'bgr'"):
        draw_poses(np.zeros((10, 10, 3), np.uint8), [], color_order='hsv')


def test_text_panel_darkens_background_and_writes_text():
    img = np.full((100, 200, 3), 200, np.uint8)
    draw_text_lines(img, ['gesture: wave', 'cmd: forward 0.2'], origin=(8, 8))
    panel = img[8:40, 8:100]
    assert (panel < 100).mean() > 0.5, 'background not darkened'
    assert (panel > 230).any(), 'no bright text pixels'
    assert (img[80:, :] == 200).all(), 'outside the panel must be untouched'


def test_text_near_edge_is_clipped_not_crashing():
    img = np.full((30, 40, 3), 200, np.uint8)
    draw_text_lines(img, ['a long status line that does not fit'], origin=(30, 25))
    draw_text_lines(img, [], origin=(0, 0))
    assert img.shape == (30, 40, 3)
