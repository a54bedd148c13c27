"""Hand regions: from the arm, the body's hand points, 21 landmarks and a palm; to crop pixels."""

import math

import numpy as np
import pytest

from pose_ros.hands.regions import (
    ARM_CENTER,
    ARM_SIZE,
    HAND_POINTS_CENTER,
    HAND_POINTS_SIZE,
    LANDMARK_SCALE,
    PALM_SCALE,
    UPPER_ARM_FLOOR,
    crop_axes,
    region_from_arm,
    region_from_hand_points,
    region_from_landmarks,
    region_from_palm,
    transformed,
    upper_arm_floor,
)
from pose_ros.pose.preprocess import rotated_crop_affine


def _hand(scale: float = 1.0) -> np.ndarray:
    """Return 21 landmarks of an upright open hand, wrist at the origin, fingers toward -y."""
    pts = [(0.0, 0.0)]
    pts += [(-0.25 - 0.12 * j, -0.2 - 0.18 * j) for j in range(4)]       # thumb, to the left
    for k, x in enumerate((-0.16, 0.0, 0.16, 0.3)):                       # index .. pinky
        length = (1.0, 1.1, 1.0, 0.8)[k]
        pts += [(x, -0.55 - 0.2 * j * length) for j in range(4)]
    return np.array(pts) * scale


def _rotate(points: np.ndarray, angle: float, about: np.ndarray) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return (points - about) @ np.array([[c, s], [-s, c]]) + about


def test_arm_region_looks_past_the_wrist_along_the_forearm():
    rng = np.random.default_rng(3)
    for _ in range(20):
        elbow = rng.uniform(0, 600, 2)
        wrist = elbow + rng.uniform(-150, 150, 2)
        roi = region_from_arm(elbow, wrist)
        length = np.hypot(*(wrist - elbow))
        assert roi.size == pytest.approx(ARM_SIZE * length)
        assert roi.center == pytest.approx(tuple(wrist + ARM_CENTER * (wrist - elbow)))
        # Upright in the crop is from the elbow to the wrist (the fingers at the top).
        _, down = crop_axes(roi.angle)
        assert -down == pytest.approx((wrist - elbow) / length)


def test_arm_region_needs_a_forearm():
    assert region_from_arm(np.array([10.0, 10.0, 1.0]), np.array([10.2, 10.0, 1.0])) is None


def test_region_round_trip_puts_the_hand_upright_in_the_crop():
    # A hand pointing to the image's lower right: in the crop the wrist is at the bottom,
    # the middle finger tip above it, and both lie within the crop.
    hand = _rotate(_hand(80.0), math.radians(135), np.zeros(2)) + [300.0, 200.0]
    roi = region_from_landmarks(hand)
    crop = rotated_crop_affine(roi.center, roi.size, roi.angle, 224, 224).apply(hand)
    assert crop[0, 1] > 150 and crop[12, 1] < 60
    assert abs(crop[0, 0] - crop[12, 0]) < 20
    assert (crop > 0).all() and (crop < 224).all()


def test_landmark_region_follows_rotation_and_scale():
    hand = _hand(100.0) + [320.0, 240.0]
    base = region_from_landmarks(hand)
    assert base.angle == pytest.approx(0.0)
    for angle in (-2.5, -1.0, 0.4, 2.0):
        turned = region_from_landmarks(_rotate(hand, angle, hand[0]))
        assert turned.size == pytest.approx(base.size)
        assert math.remainder(turned.angle - base.angle - angle, 2 * math.pi) == \
            pytest.approx(0.0, abs=1e-9)
        assert turned.center == pytest.approx(
            tuple(_rotate(np.array([base.center]), angle, hand[0])[0]))
    bigger = region_from_landmarks(2.0 * (hand - hand[0]) + hand[0])
    assert bigger.size == pytest.approx(2.0 * base.size)


def test_landmark_region_is_twice_the_palm_shifted_toward_the_fingers():
    hand = _hand(100.0)
    roi = region_from_landmarks(hand)
    palm = hand[[0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18]]
    extent = palm.max(axis=0) - palm.min(axis=0)
    assert roi.size == pytest.approx(LANDMARK_SCALE * extent.max())
    middle = 0.5 * (palm.max(axis=0) + palm.min(axis=0))
    assert roi.center[0] == pytest.approx(middle[0])
    assert roi.center[1] == pytest.approx(middle[1] - 0.1 * extent[1])  # toward the fingers


def test_palm_region():
    box = np.array([100.0, 100.0, 140.0, 140.0])
    roi = region_from_palm(box, wrist=np.array([120.0, 140.0]),
                           middle_mcp=np.array([120.0, 100.0]))
    assert roi.angle == pytest.approx(0.0)
    assert roi.size == pytest.approx(PALM_SCALE * 40.0)
    assert roi.center == pytest.approx((120.0, 100.0))   # half a box toward the fingers
    sideways = region_from_palm(box, np.array([100.0, 120.0]), np.array([140.0, 120.0]))
    assert sideways.angle == pytest.approx(math.pi / 2)
    assert sideways.center == pytest.approx((140.0, 120.0))


def test_transformed_shifts_along_the_region_axis():
    roi = transformed(np.array([0.0, 0.0]), 10.0, 20.0, math.pi / 2, 1.5, -0.5)
    assert roi.size == pytest.approx(30.0)
    # Rotated a quarter turn clockwise, the region's up is the image's +x.
    assert roi.center == pytest.approx((10.0, 0.0))


def test_arm_region_is_no_smaller_than_the_upper_arm_says():
    # A forearm pointing at the camera: 20 px in the image under a 100 px upper arm. The
    # region keeps the forearm's direction and offset but takes its side from the upper arm.
    shoulder, elbow, wrist = np.array([300.0, 100.0]), np.array([300.0, 200.0]), \
        np.array([310.0, 183.0])
    forearm = np.hypot(*(wrist - elbow))
    roi = region_from_arm(elbow, wrist, upper_arm_floor(shoulder, elbow))
    assert roi.size == pytest.approx(ARM_SIZE * UPPER_ARM_FLOOR * 100.0)
    assert roi.size > 3 * ARM_SIZE * forearm
    assert roi.center == pytest.approx(tuple(wrist + ARM_CENTER * (wrist - elbow)))
    assert roi.angle == pytest.approx(region_from_arm(elbow, wrist).angle)
    # A forearm longer than the floor keeps its own size.
    long_wrist = np.array([300.0, 350.0])
    assert region_from_arm(elbow, long_wrist, upper_arm_floor(shoulder, elbow)).size \
        == pytest.approx(ARM_SIZE * 150.0)


def test_hand_point_region_lies_over_the_knuckles_upright_to_them():
    wrist, index, pinky = np.array([100.0, 200.0]), np.array([90.0, 170.0]), \
        np.array([110.0, 170.0])
    roi = region_from_hand_points(wrist, index, pinky)
    assert roi.center == pytest.approx((100.0, 200.0 - HAND_POINTS_CENTER * 30.0))
    assert roi.size == pytest.approx(HAND_POINTS_SIZE * 30.0)
    assert roi.angle == pytest.approx(0.0)  # knuckles straight above the wrist: upright
    # Knuckles to the wrist's right: the fingers point right, the crop turns with them.
    turned = region_from_hand_points(wrist, wrist + [30.0, -10.0], wrist + [30.0, 10.0])
    _, down = crop_axes(turned.angle)
    assert -down == pytest.approx((1.0, 0.0))
    # A hand pointing at the camera: knuckles near the wrist, the upper arm sets the side.
    floor = upper_arm_floor(np.array([100.0, 0.0]), np.array([100.0, 100.0]))
    assert floor == pytest.approx(ARM_SIZE * UPPER_ARM_FLOOR * 100.0)
    near = region_from_hand_points(wrist, wrist + [-2.0, -3.0], wrist + [2.0, -3.0], floor)
    assert near.size == pytest.approx(floor)
    assert region_from_hand_points(wrist, wrist, wrist + [0.5, 0.0]) is None
