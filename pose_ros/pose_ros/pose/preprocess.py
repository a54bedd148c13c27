"""Image-to-model-input warps that keep the exact mapping back to source pixels.

Every keypoint a model reports is in its input's pixels; carrying the warp as an
``Affine`` lets each family map results back to the camera image with one matrix
product instead of re-deriving padding and scale per model.

Coordinates follow OpenCV: integer values are pixel centres.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import cv2
import numpy as np


@dataclass(frozen=True)
class Affine:
    """A 2x3 map from source-image pixels to model-input pixels."""

    matrix: np.ndarray

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix, dtype=np.float64)
        if m.shape != (2, 3):
            raise ValueError(f'Affine.matrix must have shape (2, 3), got {m.shape}')
        object.__setattr__(self, 'matrix', m)

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Map (N, 2) points; other trailing columns are not accepted, to catch (x, y, score)."""
        p = np.asarray(points)
        if p.ndim != 2 or p.shape[1] != 2:
            raise ValueError(f'Affine.apply expects points of shape (N, 2), got {p.shape}')
        m = self.matrix
        return p @ m[:, :2].T + m[:, 2]

    def inverse(self) -> Affine:
        """Return the map from model-input pixels back to source pixels."""
        return Affine(cv2.invertAffineTransform(self.matrix))


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        shape = getattr(image, 'shape', None)
        raise ValueError(f'image must be a non-empty HxW or HxWxC numpy array, got shape {shape}')


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ValueError(f'output size must be positive, got width={width}, height={height}')


def letterbox(image: np.ndarray, width: int, height: int,
              pad_value: int = 0) -> tuple[np.ndarray, Affine]:
    """Fit ``image`` into width x height without distorting people, centred, padded.

    Downscaling uses area averaging so small model inputs do not alias thin limbs.
    """
    _check_image(image)
    _check_size(width, height)
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    new_w = min(width, max(1, round(w * scale)))
    new_h = min(height, max(1, round(h * scale)))
    if (new_w, new_h) == (w, h):
        resized = image
    else:
        interp = cv2.INTER_AREA if new_w < w else cv2.INTER_LINEAR
        resized = cv2.resize(image, (new_w, new_h), interpolation=interp)
        if image.ndim == 3 and resized.ndim == 2:  # cv2 drops a single channel axis
            resized = resized[:, :, np.newaxis]
    left = (width - new_w) // 2
    top = (height - new_h) // 2
    out = np.full((height, width) + image.shape[2:], pad_value, dtype=image.dtype)
    out[top:top + new_h, left:left + new_w] = resized
    # cv2.resize aligns pixel areas: source centre x lands at (x + 0.5) * s - 0.5.
    sx, sy = new_w / w, new_h / h
    matrix = np.array([[sx, 0.0, left + 0.5 * sx - 0.5],
                       [0.0, sy, top + 0.5 * sy - 0.5]])
    return out, Affine(matrix)


def upright_angle(origin: np.ndarray, toward: np.ndarray) -> float:
    """Return the crop angle that turns the direction ``origin`` -> ``toward`` straight up.

    The angle convention of ``rotated_crop_affine``, wrapped into [-pi, pi): a crop taken
    with it shows ``toward`` directly above ``origin`` (hips below the head, a wrist below
    the fingers), the orientation MediaPipe's landmark models are trained on.
    """
    dx, dy = float(toward[0] - origin[0]), float(toward[1] - origin[1])
    angle = math.pi / 2 - math.atan2(-dy, dx)
    return (angle + math.pi) % (2 * math.pi) - math.pi


def rotated_crop_affine(center: tuple[float, float], size: float, angle_rad: float,
                        width: int, height: int) -> Affine:
    """Return the map ``crop_rotated`` warps with, without touching any pixels.

    The region is rotated by ``angle_rad`` in image coordinates (y down, so positive
    turns clockwise on screen); its top edge becomes the output's top row.
    """
    _check_size(width, height)
    if not size > 0:
        raise ValueError(f'crop size must be > 0 source pixels, got {size}')
    cos, sin = math.cos(angle_rad), math.sin(angle_rad)
    kx, ky = width / size, height / size
    cx, cy = float(center[0]), float(center[1])
    # out = out_centre + diag(kx, ky) @ R(-angle) @ (src - centre)
    a = np.array([[kx * cos, kx * sin], [-ky * sin, ky * cos]])
    t = np.array([(width - 1) / 2.0, (height - 1) / 2.0]) - a @ np.array([cx, cy])
    return Affine(np.hstack([a, t[:, np.newaxis]]))


def crop_rotated(image: np.ndarray, center: tuple[float, float], size: float, angle_rad: float,
                 width: int, height: int) -> tuple[np.ndarray, Affine]:
    """Cut a square of side ``size`` source pixels around ``center``, turned upright.

    Used to hand a landmark model the person upright and filling the frame whatever
    their pose in the camera image. Outside the image the edge pixels are repeated, as
    MediaPipe's ImageToTensorCalculator does by default (BORDER_REPLICATE): on a black
    border BlazePose scores the hips of a person cut off at the waist as seen (0.7 to
    0.96 on the astronaut photo, against 0.03 to 0.10 with the edge repeated).
    """
    _check_image(image)
    affine = rotated_crop_affine(center, size, angle_rad, width, height)
    out = cv2.warpAffine(image, affine.matrix, (width, height), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
    if image.ndim == 3 and out.ndim == 2:
        out = out[:, :, np.newaxis]
    return out, affine
