"""Hands in the annotated image: points and bones where the hand is, in its side's colour."""

import numpy as np

from pose_ros.core.hand import HAND_SKELETON, Handedness, HandLandmark, HandPose
from pose_ros.core.keypoints import Pose
from pose_ros.media.draw import draw_poses

L = HandLandmark


def spread_hand(x0: float, y0: float, score: float = 0.9) -> np.ndarray:
    """Return an open hand, fingers up: wrist at (x0, y0 + 40), each finger 4 points."""
    kp = np.zeros((21, 3), np.float32)
    kp[L.WRIST] = (x0, y0 + 40, score)
    for finger in range(5):
        for joint in range(4):
            kp[1 + 4 * finger + joint] = (x0 - 20 + 10 * finger, y0 + 20 - 10 * joint, score)
    return kp


def test_each_hand_point_and_bone_is_drawn_in_its_sides_colour():
    img = np.zeros((120, 200, 3), np.uint8)
    left, right = spread_hand(50, 40), spread_hand(150, 40)
    pose = Pose(hands=(HandPose(Handedness.LEFT, left, 0.9, 0.9),
                       HandPose(Handedness.RIGHT, right, 0.9, 0.9)))
    draw_poses(img, [pose])
    painted = img.any(axis=2)
    for kp in (left, right):
        for x, y, _ in kp:
            assert painted[int(y), int(x)]
        for a, b in HAND_SKELETON:          # each bone's midpoint
            mx, my = (kp[a, :2] + kp[b, :2]) / 2
            assert painted[int(round(my)), int(round(mx))], (a, b)
    # Left warm (red over blue), right cool, as for the body's sides.
    wx, wy = left[L.WRIST, :2].astype(int)
    assert img[wy, wx, 0] > img[wy, wx, 2]
    wx, wy = right[L.WRIST, :2].astype(int)
    assert img[wy, wx, 2] > img[wy, wx, 0]
    # Between the hands (and the body, whose keypoints all score 0) nothing is drawn.
    assert not painted[:, 85:115].any()
    assert not painted[90:].any()


def test_an_unsure_hand_draws_nothing():
    img = np.zeros((120, 200, 3), np.uint8)
    pose = Pose(hands=(HandPose(Handedness.LEFT, spread_hand(50, 40, score=0.3), 0.3, 0.9),))
    draw_poses(img, [pose], min_score=0.5)
    assert not img.any()
