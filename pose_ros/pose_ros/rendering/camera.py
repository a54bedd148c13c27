"""The camera: where it stands relative to the person, and the one projection everything uses.

Camera coordinates follow OpenCV: x right, y down, z forward (depth), metres. Pixels are
continuous, (0, 0) the top-left corner of the top-left pixel. The GL projection below is
built from the same intrinsics, so the rendered image, the depth buffer and the ground
truth keypoints agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np


@dataclass(frozen=True)
class Camera:
    """A pinhole camera aimed at the person.

    ``yaw``: degrees around the person, 0 in front of them, +90 at their own left.
    ``distance``: horizontal metres from the person's standing point. ``height`` and
    ``look_height``: metres above the floor of the camera and of the point it aims at.
    ``roll``: degrees about the optical axis, + turning the image clockwise.
    ``fov``: horizontal field of view, degrees.
    """

    distance: float = 3.2
    height: float = 1.3
    yaw: float = 0.0
    roll: float = 0.0
    fov: float = 60.0
    look_height: float = 0.95
    width: int = 640
    height_px: int = 480

    def __post_init__(self) -> None:
        if not 0.3 <= self.distance <= 50.0:
            raise ValueError(f'camera distance {self.distance} m is outside 0.3..50')
        if not 5.0 <= self.fov <= 150.0:
            raise ValueError(f'camera fov {self.fov} deg is outside 5..150')
        if self.width < 16 or self.height_px < 16:
            raise ValueError(f'image size {self.width}x{self.height_px} is too small')

    @property
    def focal(self) -> float:
        return 0.5 * self.width / math.tan(math.radians(self.fov) / 2.0)

    @property
    def intrinsics(self) -> np.ndarray:
        """Return the 3x3 matrix K."""
        f = self.focal
        return np.array([[f, 0.0, self.width / 2.0], [0.0, f, self.height_px / 2.0],
                         [0.0, 0.0, 1.0]])

    def pose(self, target: tuple[float, float] = (0.0, 0.0), facing: float = 0.0
             ) -> tuple[np.ndarray, np.ndarray]:
        """Return (R, C): world-to-camera rotation and camera centre in the world.

        ``target`` is the world (x, z) the camera circles, ``facing`` the degrees the
        person there faces (yaw is measured from their front).
        """
        a = math.radians(facing + self.yaw)
        centre = np.array([target[0] + self.distance * math.sin(a), self.height,
                           target[1] + self.distance * math.cos(a)])
        aim = np.array([target[0], self.look_height, target[1]])
        forward = aim - centre
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        r = math.radians(self.roll)
        # A clockwise image roll turns the camera's axes the other way about forward.
        right, down = (math.cos(r) * right - math.sin(r) * down,
                       math.sin(r) * right + math.cos(r) * down)
        return np.stack([right, down, forward]), centre


def to_camera(points: np.ndarray, rotation: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """World points (N, 3) to camera coordinates (N, 3)."""
    return (np.asarray(points) - centre) @ rotation.T


def project(points_cam: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """Camera points (N, 3) to pixels (N, 2); points behind the camera give NaN."""
    p = np.asarray(points_cam, dtype=np.float64)
    z = np.where(p[:, 2] > 1e-6, p[:, 2], np.nan)
    return np.stack([intrinsics[0, 0] * p[:, 0] / z + intrinsics[0, 2],
                     intrinsics[1, 1] * p[:, 1] / z + intrinsics[1, 2]], axis=1)


def gl_projection(intrinsics: np.ndarray, width: int, height: int, near: float,
                  far: float) -> np.ndarray:
    """Clip-space matrix for OpenCV camera coordinates (row 0 of the image at the top)."""
    fx, fy, cx, cy = intrinsics[0, 0], intrinsics[1, 1], intrinsics[0, 2], intrinsics[1, 2]
    return np.array([
        [2 * fx / width, 0.0, 2 * cx / width - 1.0, 0.0],
        [0.0, -2 * fy / height, 1.0 - 2 * cy / height, 0.0],
        [0.0, 0.0, (far + near) / (far - near), -2 * far * near / (far - near)],
        [0.0, 0.0, 1.0, 0.0]])


def linear_depth(window_depth: np.ndarray, near: float, far: float) -> np.ndarray:
    """GL depth-buffer values (0..1) back to camera z in metres; background is inf."""
    d = window_depth.astype(np.float64) * 2.0 - 1.0
    z = 2.0 * far * near / (far + near - d * (far - near))
    return np.where(window_depth >= 1.0, np.inf, z).astype(np.float32)
