"""The colour camera's pinhole model, from CameraInfo fields: a keypoint pixel to a 3D ray.

Small code of ours because image_geometry is not on PyPI. The depth image is registered to the
colour image, so a keypoint's depth is read at its own (distorted) pixel, and only the ray
through that pixel needs the lens model. Supported distortion models, as camera_calibration
and the drivers name them: ``plumb_bob`` (5 coefficients k1 k2 p1 p2 k3) and
``rational_polynomial`` (8: k1 k2 p1 p2 k3 k4 k5 k6), undone with ``cv2.undistortPoints``;
``equidistant`` (4: k1..k4, fisheye) with ``cv2.fisheye.undistortPoints``; and any model whose
coefficients are all zero, or none given (a rectified image). Anything else is refused with a
message that says so, rather than giving positions with a wrong lens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math

import cv2
import numpy as np

# model -> the numbers of coefficients it accepts (OpenCV takes 4, 5, 8, 12 or 14).
SUPPORTED_MODELS: dict[str, tuple[int, ...]] = {
    'plumb_bob': (4, 5, 8),
    'rational_polynomial': (8, 12, 14),
    'equidistant': (4,),
}


class CameraModelError(ValueError):
    """Camera info that cannot be used; the message says what is wrong and what is allowed."""


@dataclass(frozen=True)
class PinholeCamera:
    """Intrinsics K (3x3), image size and lens distortion of the colour camera."""

    width: int
    height: int
    k: np.ndarray
    distortion_model: str = ''
    d: tuple[float, ...] = ()

    @classmethod
    def from_camera_info(cls, width: int, height: int, k: Sequence[float],
                         distortion_model: str, d: Sequence[float]) -> PinholeCamera:
        """Check CameraInfo's fields (K row-major, as in the message) and build the model."""
        k_arr = np.asarray(list(k), dtype=np.float64)
        if k_arr.size != 9 or not np.isfinite(k_arr).all():
            raise CameraModelError(f'K must be 9 finite numbers, got {list(k)!r}')
        k_arr = k_arr.reshape(3, 3)
        fx, fy = k_arr[0, 0], k_arr[1, 1]
        if fx <= 0 or fy <= 0:
            raise CameraModelError(
                f'K has focal lengths fx={fx:g}, fy={fy:g}: the camera is not calibrated '
                '(CameraInfo.k is all zeros until it is)')
        if int(width) <= 0 or int(height) <= 0:
            raise CameraModelError(f'camera info gives an image size of {width}x{height}')
        coeffs = tuple(float(c) for c in d)
        if not all(math.isfinite(c) for c in coeffs):
            raise CameraModelError(f'distortion coefficients are not finite: {coeffs!r}')
        if any(coeffs):
            counts = SUPPORTED_MODELS.get(distortion_model)
            if counts is None:
                raise CameraModelError(
                    f'distortion model {distortion_model!r} is not supported; supported: '
                    + ', '.join(SUPPORTED_MODELS) + ' (or all coefficients zero)')
            if len(coeffs) not in counts:
                raise CameraModelError(
                    f'distortion model {distortion_model!r} takes '
                    + ' or '.join(str(c) for c in counts)
                    + f' coefficients, got {len(coeffs)}')
        else:
            coeffs = ()
        return cls(int(width), int(height), k_arr, distortion_model, coeffs)

    @property
    def distorted(self) -> bool:
        return bool(self.d)

    def rays(self, pixels: np.ndarray) -> np.ndarray:
        """Return (N, 2) normalised image coordinates (x/z, y/z) of (N, 2) pixels.

        Pixels follow OpenCV and the CameraInfo K: whole numbers are pixel centres.
        """
        px = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
        if not self.distorted:
            return np.stack([(px[:, 0] - self.k[0, 2]) / self.k[0, 0],
                             (px[:, 1] - self.k[1, 2]) / self.k[1, 1]], axis=1)
        pts = px.reshape(-1, 1, 2)
        d = np.asarray(self.d, dtype=np.float64)
        if self.distortion_model == 'equidistant':
            out = cv2.fisheye.undistortPoints(pts, self.k, d)
        else:
            out = cv2.undistortPoints(pts, self.k, d)
        return out.reshape(-1, 2)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Return the (N, 2) pixels of (N, 3) camera points (with the lens distortion)."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        if not self.distorted:
            return np.stack([self.k[0, 0] * p[:, 0] / p[:, 2] + self.k[0, 2],
                             self.k[1, 1] * p[:, 1] / p[:, 2] + self.k[1, 2]], axis=1)
        d = np.asarray(self.d, dtype=np.float64)
        zero = np.zeros(3)
        if self.distortion_model == 'equidistant':
            out, _ = cv2.fisheye.projectPoints(p.reshape(-1, 1, 3), zero, zero, self.k, d)
        else:
            out, _ = cv2.projectPoints(p, zero, zero, self.k, d)
        return out.reshape(-1, 2)
