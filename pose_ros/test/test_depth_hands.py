"""Hand landmarks from depth: the skin of thin fingers, not the wall seen between them."""

import numpy as np

from pose_ros.core.hand import NUM_HAND_KEYPOINTS
from pose_ros.depth.camera import PinholeCamera
from pose_ros.depth.image import DepthImage
from pose_ros.depth.lift import lift_hands
from pose_ros.depth.sampling import hand_surface_depths

W, H, F = 640, 480, 500.0
CAM = PinholeCamera.from_camera_info(W, H, [F, 0, 320, 0, F, 240, 0, 0, 1], 'plumb_bob',
                                     [0.0] * 5)
WALL_M, TORSO_M, HAND_M = 2.8, 2.0, 1.7
# Five fingers 3 px wide with 7 px of wall between them (a hand about 2 m away): every
# 7x7 window on a finger holds more wall than finger.
FINGER_X = (300, 310, 320, 330, 340)
TOP, BOTTOM = 150, 230


def fingers_scene() -> DepthImage:
    z = np.full((H, W), WALL_M, np.float32)
    for x in FINGER_X:
        z[TOP:BOTTOM, x - 1:x + 2] = HAND_M
    return DepthImage(z, 1.0)


def hand_on_fingers(score: float = 0.9) -> np.ndarray:
    """21 landmarks spread over the fingers, some on a finger's edge pixel."""
    xs = np.array(FINGER_X)[np.arange(NUM_HAND_KEYPOINTS) % 5] + \
        np.array([0, 1, -1])[np.arange(NUM_HAND_KEYPOINTS) % 3]
    ys = np.linspace(TOP + 5, BOTTOM - 5, NUM_HAND_KEYPOINTS)
    return np.stack([xs, ys, np.full(NUM_HAND_KEYPOINTS, score)], axis=1).astype(np.float64)


def test_each_landmark_gets_its_finger_not_the_wall_between_them():
    z = hand_surface_depths(fingers_scene(), hand_on_fingers()[None], 0.5,
                            np.array([TORSO_M]))
    assert z.shape == (1, NUM_HAND_KEYPOINTS)
    # Each window holds more wall than finger; the nearest cluster that can be the person's
    # wins.
    np.testing.assert_allclose(z[0], HAND_M)


def test_without_the_persons_depth_a_thin_finger_loses_to_the_wall():
    # No torso depth: as for the body, the largest cluster, here the wall; this is why hands
    # are lifted against their person's torso depth.
    z = hand_surface_depths(fingers_scene(), hand_on_fingers()[None], 0.5, np.array([np.nan]))
    np.testing.assert_allclose(z[0], WALL_M)


def test_unscored_outside_and_missing_landmarks_get_no_depth():
    hand = hand_on_fingers()
    hand[0, 2] = 0.3                     # below min_score
    hand[1, :2] = (-40.0, 100.0)         # outside the image
    hand[2, :2] = np.nan
    scene = fingers_scene()
    scene.data[:, 319:322] = 0.0         # the middle finger is a hole in the depth image
    z = hand_surface_depths(scene, hand[None], 0.5, np.array([TORSO_M]))[0]
    on_hole = np.arange(NUM_HAND_KEYPOINTS) % 5 == 2
    assert np.isnan(z[[0, 1, 2]]).all()
    rest = np.setdiff1d(np.flatnonzero(~on_hole), [0, 1, 2])
    np.testing.assert_allclose(z[rest], HAND_M)
    # On the hole only the wall is seen, too far behind the person to be theirs.
    assert np.isnan(z[on_hole]).all()


def test_lift_puts_each_landmark_on_its_pixels_ray():
    hands = np.stack([hand_on_fingers(), hand_on_fingers(0.1)])
    points, valid = lift_hands(hands, np.array([TORSO_M, TORSO_M]), fingers_scene(), CAM, 0.5)
    assert points.shape == (2, NUM_HAND_KEYPOINTS, 3)
    assert valid[0].all() and not valid[1].any()      # the second hand scores too low
    px = hands[0, :, :2]
    np.testing.assert_allclose(points[0, :, 2], HAND_M)
    np.testing.assert_allclose(points[0, :, :2], (px - [320, 240]) / F * HAND_M, atol=1e-9)
    assert (points[1] == 0.0).all()
    empty_points, empty_valid = lift_hands(np.zeros((0, 21, 3)), np.zeros(0), fingers_scene(),
                                           CAM, 0.5)
    assert empty_points.shape == (0, 21, 3) and empty_valid.shape == (0, 21)


def test_a_hand_far_behind_its_persons_torso_gets_no_depth():
    # 0.8 m behind the torso is more than a person reaches back (BEHIND_M): not their hand,
    # and the wall farther still is not either.
    z = hand_surface_depths(fingers_scene(), hand_on_fingers()[None], 0.5, np.array([0.9]))
    assert np.isnan(z).all()
