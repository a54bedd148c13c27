"""The geometry every stage shares: boxes, their overlap, and checks on frames.

One definition each, so that the detector's suppression, the tracker, the person the robot
follows and the drawn overlay agree on what a box is and how much two boxes overlap.
Boxes are (x_min, y_min, x_max, y_max) in pixels; a box with no extent has no area.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # core.keypoints builds on this module
    from pose_ros.core.keypoints import Pose

Box = tuple[float, float, float, float]

# Keypoints scoring below this do not stretch a box built from keypoints: a model still
# reports a guess for every hidden joint, and those guesses land anywhere.
BOX_KEYPOINT_SCORE = 0.2


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` (N, 4) with every box in ``b`` (M, 4)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    iw = np.clip(np.minimum(a[:, None, 2], b[None, :, 2])
                 - np.maximum(a[:, None, 0], b[None, :, 0]), 0.0, None)
    ih = np.clip(np.minimum(a[:, None, 3], b[None, :, 3])
                 - np.maximum(a[:, None, 1], b[None, :, 1]), 0.0, None)
    inter = iw * ih
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def box_iou(box: np.ndarray | Box, boxes: np.ndarray) -> np.ndarray:
    """IoU of one box against each of (N, 4) boxes."""
    return iou(np.asarray(box, dtype=np.float64)[None], boxes)[0]


def keypoint_box(keypoints: np.ndarray, min_score: float = BOX_KEYPOINT_SCORE) -> Box:
    """Return the tight box around the (x, y, score) keypoints scoring above ``min_score``."""
    kp = np.asarray(keypoints)
    visible = kp[(kp[:, 2] > min_score) & np.isfinite(kp[:, :2]).all(axis=1)]
    if len(visible) == 0:
        return (0.0, 0.0, 0.0, 0.0)
    return (float(visible[:, 0].min()), float(visible[:, 1].min()),
            float(visible[:, 0].max()), float(visible[:, 1].max()))


def has_area(box: Box) -> bool:
    return bool(box[2] > box[0] and box[3] > box[1])


def pose_box(pose: Pose) -> Box:
    """Return the box the model gave a pose, or its confident keypoints' box if it gave none."""
    box = tuple(float(v) for v in pose.box)
    return box if has_area(box) else keypoint_box(pose.keypoints)


def clamp_box(box: Box, width: int, height: int) -> Box:
    """Clamp ``box`` to the pixels of a ``width`` x ``height`` image (0..w-1, 0..h-1).

    Models extend boxes over joints they guess outside the frame; a box is reported as the
    part of the image the person covers, so every value is a pixel coordinate of the image.
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    xmax, ymax = float(width - 1), float(height - 1)
    return (min(max(x0, 0.0), xmax), min(max(y0, 0.0), ymax),
            min(max(x1, 0.0), xmax), min(max(y1, 0.0), ymax))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, without overflow warnings for large negative logits."""
    x = np.asarray(x, dtype=np.float32)
    return (0.5 * (1.0 + np.tanh(0.5 * x))).astype(np.float32)


def check_rgb(image: object, what: str) -> None:
    """Refuse anything but a non-empty (H, W, 3) uint8 array, saying what ``what`` needs."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 \
            or image.shape[2] != 3 or image.size == 0:
        raise ValueError(f'{what} needs an RGB uint8 image of shape (H, W, 3), got '
                         f'{getattr(image, "dtype", type(image).__name__)} '
                         f'{getattr(image, "shape", "")}')
