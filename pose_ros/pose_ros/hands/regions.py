"""Where to look for a hand: a rotated square region from the arm, the hand, or a palm.

The hand landmark model, like BlazePose's, is accurate only on a crop with the hand
upright (wrist at the bottom, fingers up) and filling most of it, so every source of a
hand's position is turned into the same region (``Roi``: centre, side, rotation in source
pixels), as MediaPipe's hand and holistic graphs do: from a palm detection
(palm_detection_detection_to_roi), from the previous frame's 21 landmarks
(hand_landmark_landmarks_to_roi) and, for a person whose body is known, from the arm.
As MediaPipe Holistic does, a body model that gives points on the hand (BlazePose's index
and little-finger knuckles, ``Pose.hand_points``) places the region from them and the
wrist; for the other families, or hand points too unsure, the region is extrapolated
along the forearm from elbow and wrist. Either is then re-cropped (``recrop``), as
Holistic does, and a look that scores low is refined from the hand's own landmarks.
"""

from __future__ import annotations

import math

import numpy as np

from pose_ros.pose.families.blazepose import Roi
from pose_ros.pose.preprocess import upright_angle

# MediaPipe's 21 hand landmarks used here (the full list is landmarks.HandLandmark).
WRIST, INDEX_MCP, MIDDLE_MCP, RING_MCP = 0, 5, 9, 13
# The points bounded to place the region on a hand: the wrist, the thumb's three lower joints
# and each finger's two lowest: the palm, which keeps its shape whatever the fingers do.
PALM_POINTS = (0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18)
# Margins around those points (hand_landmark_landmarks_to_roi): twice their extent, moved
# a tenth of it toward the fingers.
LANDMARK_SCALE = 2.0
LANDMARK_SHIFT = -0.1
# Around a palm detection's box (palm_detection_detection_to_roi): the box covers the palm
# only, so the region is 2.6 times it, moved half a box toward the fingers.
PALM_SCALE = 2.6
PALM_SHIFT = -0.5
# From the arm: the region's centre lies ARM_CENTER forearm lengths beyond the wrist, along
# the forearm, and its side is ARM_SIZE forearm lengths. Measured on a rendered person's rig
# (test_hands, both hands raised, wrists straight): the landmark region of the true hand has
# its centre 0.35 forearm lengths out and its side 1.19 to 1.20 forearm lengths. The side is
# larger here because the wrist may bend either way and the first crop must hold the hand.
ARM_CENTER = 0.35
ARM_SIZE = 1.5
# A forearm pointing at the camera (a thumbs-up held in front of the chest) is short in the
# image while the hand is not, and a region from it alone is too small to hold the hand: on
# a rendered thumbs-up at 1.5 to 2.5 m the hand was found in 0 of 10 frames. The upper arm
# then hangs or reaches across the image, and on the rig it is as long as the forearm
# between joint centres (0.94 to 1.04 times, four bodies), so the side is at least
# ARM_SIZE * UPPER_ARM_FLOOR upper-arm lengths: 1.2, the true hand region's side.
UPPER_ARM_FLOOR = 0.8
# From the body model's hand points: the centre lies HAND_POINTS_CENTER of the way from the
# wrist to the middle of the index and little-finger knuckles, and the side is
# HAND_POINTS_SIZE times that distance. Fitted on BlazePose full's points against the true
# hand's landmark region on rendered people (three bodies, 1.5 and 2.5 m, open palm, fist,
# relaxed, pointing): centre 0.55 to 2.1 of the way (median 0.95), side 2.5 to 4.9 times
# (median 3.6), rotation within 11 degrees of the true hand's. The side is 1.25 times the
# median, as the arm's is (1.5 for 1.2), so the first crop holds the hand before refining.
HAND_POINTS_CENTER = 0.95
HAND_POINTS_SIZE = 4.5
MIN_SIZE = 1.0  # pixels: smaller regions cannot hold a hand


def crop_axes(angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the crop's x (right) and y (down) axes in image coordinates for ``angle``."""
    c, s = math.cos(angle), math.sin(angle)
    return np.array([c, s]), np.array([-s, c])


def transformed(center: np.ndarray, width: float, height: float, angle: float,
                scale: float, shift_y: float) -> Roi:
    """Enlarge a rotated box to a square region, shifted along its own vertical axis.

    MediaPipe's RectTransformationCalculator with ``square_long``: the side is the longer
    edge times ``scale``; the shift is a fraction of ``height`` along the box's down axis
    (negative: toward the fingers).
    """
    _, down = crop_axes(angle)
    c = np.asarray(center, dtype=np.float64) + shift_y * height * down
    return Roi((float(c[0]), float(c[1])), max(width, height) * scale, angle)


def region_from_landmarks(xy: np.ndarray) -> Roi | None:
    """Return the region for the next frame from a hand's 21 landmarks (pixels, (21, 2+)).

    Upright is the direction from the wrist to a point between the middle finger's knuckle
    and the mean of the index and ring knuckles; the palm points are bounded in that
    rotated frame. None when the hand has collapsed to less than ``MIN_SIZE``.
    """
    p = np.asarray(xy, dtype=np.float64)[:, :2]
    knuckles = 0.5 * (0.5 * (p[INDEX_MCP] + p[RING_MCP]) + p[MIDDLE_MCP])
    angle = upright_angle(p[WRIST], knuckles)
    right, down = crop_axes(angle)
    palm = p[list(PALM_POINTS)]
    u, v = palm @ right, palm @ down
    centre = 0.5 * (u.min() + u.max()) * right + 0.5 * (v.min() + v.max()) * down
    roi = transformed(centre, float(u.max() - u.min()), float(v.max() - v.min()), angle,
                      LANDMARK_SCALE, LANDMARK_SHIFT)
    return roi if roi.size >= MIN_SIZE else None


def region_from_arm(elbow: np.ndarray, wrist: np.ndarray,
                    least_side: float = 0.0) -> Roi | None:
    """Return where the hand is expected beyond ``wrist``, along the forearm from ``elbow``.

    ``least_side``: the side the region has at least (``upper_arm_floor``), for a forearm
    foreshortened toward the camera. None when the forearm is shorter than ``MIN_SIZE``
    (seen end-on, or a bad keypoint): its direction says nothing about where the hand is.
    """
    e = np.asarray(elbow, dtype=np.float64)[:2]
    w = np.asarray(wrist, dtype=np.float64)[:2]
    forearm = w - e
    length = float(np.hypot(*forearm))
    if not length >= MIN_SIZE:
        return None
    c = w + ARM_CENTER * forearm
    return Roi((float(c[0]), float(c[1])), max(ARM_SIZE * length, least_side),
               upright_angle(e, w))


def region_from_hand_points(wrist: np.ndarray, index: np.ndarray, pinky: np.ndarray,
                            least_side: float = 0.0) -> Roi | None:
    """Return where the hand is from the body model's wrist, index and little-finger knuckles.

    Upright is from the wrist to between the knuckles. ``least_side``: the side the region
    has at least, for a hand pointing at the camera, whose knuckles then lie near the wrist
    in the image (``upper_arm_floor``). None when the knuckles lie within
    ``MIN_SIZE`` of the wrist: their direction says nothing.
    """
    w = np.asarray(wrist, dtype=np.float64)[:2]
    towards = 0.5 * (np.asarray(index, dtype=np.float64)[:2]
                     + np.asarray(pinky, dtype=np.float64)[:2]) - w
    length = float(np.hypot(*towards))
    if not length >= MIN_SIZE:
        return None
    c = w + HAND_POINTS_CENTER * towards
    return Roi((float(c[0]), float(c[1])), max(HAND_POINTS_SIZE * length, least_side),
               upright_angle(w, w + towards))


def upper_arm_floor(shoulder: np.ndarray, elbow: np.ndarray) -> float:
    """Return the least side of a hand region for this upper arm (``UPPER_ARM_FLOOR``)."""
    upper = np.asarray(elbow, dtype=np.float64)[:2] - np.asarray(shoulder, dtype=np.float64)[:2]
    return ARM_SIZE * UPPER_ARM_FLOOR * float(np.hypot(*upper))


def region_from_palm(box: np.ndarray, wrist: np.ndarray, middle_mcp: np.ndarray) -> Roi | None:
    """Return the hand region of a palm detection: its box, and its wrist and knuckle points.

    ``box`` is (x_min, y_min, x_max, y_max) pixels; upright is wrist -> middle knuckle.
    """
    b = np.asarray(box, dtype=np.float64)
    centre = 0.5 * (b[:2] + b[2:])
    roi = transformed(centre, float(b[2] - b[0]), float(b[3] - b[1]),
                      upright_angle(wrist, middle_mcp), PALM_SCALE, PALM_SHIFT)
    return roi if roi.size >= MIN_SIZE else None
