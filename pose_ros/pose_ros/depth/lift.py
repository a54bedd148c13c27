"""Keypoints in pixels plus an aligned depth image to joint centres in metres.

At a keypoint's pixel the camera sees the body's front surface; ``position`` is meant to be
the joint centre, as a Kinect skeleton gives it. So the surface depth is pushed back along the
viewing ray by the joint's depth under the surface: on the rendered MakeHuman bodies (people
of 1.1 to 2.0 m, turned up to 30 degrees, ``benchmarks/bench_depth.py --offsets``) the median
of (joint-centre z - surface z at the joint's pixel), divided by the person's torso length
(shoulder-joint midpoint to hip-joint midpoint, in metres), is ``SURFACE_TO_JOINT`` below. At
run time the torso length is estimated from the image: the shoulder-to-hip-midpoint distance
in pixels (or the shoulder width times 1.3) times the torso depth over the focal length.
A person without a usable torso gets ``DEFAULT_TORSO_M`` (an adult's).

Hand landmarks (``lift_hands``) are the skin surface at their pixels, with no offset to
the joint centre: on the one rendered scene measured (test_pose_node_hands: palms to the
camera at 1.4 m) the skin lay a median 10 mm in front of the rig's hand joints, about half
a finger's thickness; one scene is not enough to pin an offset per landmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_ros.core.hand import NUM_HAND_KEYPOINTS
from pose_ros.core.keypoints import NUM_KEYPOINTS
from pose_ros.depth.camera import PinholeCamera
from pose_ros.depth.image import DepthImage
from pose_ros.depth.sampling import hand_surface_depths, surface_depths, torso_depth

# Joint centre behind the visible surface, in torso lengths, COCO order: left and right
# averaged from `bench_depth.py --offsets` (12 bodies, 10 poses, 1.5 to 4 m; in metres the
# medians were hips 0.095, shoulders 0.050, elbows 0.038, wrists 0.020, knees 0.050, ankles
# 0.040 for a median torso of 0.384 m). The face keypoints are surface points themselves.
SURFACE_TO_JOINT = np.array([
    0.0, 0.0, 0.0, 0.0, 0.0,        # nose, eyes, ears
    0.132, 0.132,                   # shoulders
    0.098, 0.098,                   # elbows
    0.053, 0.053,                   # wrists
    0.227, 0.227,                   # hips
    0.125, 0.125,                   # knees
    0.105, 0.105,                   # ankles
])
# The median torso length of the measured bodies (m), for persons whose torso is not seen.
DEFAULT_TORSO_M = 0.384
# Estimated torso lengths outside this range (m) are not a person's: the default is used.
TORSO_RANGE_M = (0.2, 0.8)


@dataclass(frozen=True)
class Positions:
    """3D joint positions (P, 17, 3) in metres, camera optical frame; ``valid`` (P, 17)."""

    points: np.ndarray
    valid: np.ndarray
    torso_depth_m: np.ndarray
    torso_m: np.ndarray


def torso_metres(torso_px: np.ndarray, torso_z: np.ndarray, camera: PinholeCamera
                 ) -> np.ndarray:
    """Torso length in metres from its length in pixels at the torso's depth."""
    focal = 0.5 * (camera.k[0, 0] + camera.k[1, 1])
    metres = torso_px * torso_z / focal
    ok = np.isfinite(metres) & (metres >= TORSO_RANGE_M[0]) & (metres <= TORSO_RANGE_M[1])
    return np.where(ok, metres, DEFAULT_TORSO_M)


def lift_keypoints(keypoints: np.ndarray, depth: DepthImage, camera: PinholeCamera,
                   min_score: float, correct_surface: bool = True) -> Positions:
    """Return the joint centres of (P, 17, 3) keypoints (x, y, score) from ``depth``.

    ``depth`` must be registered to the image the keypoints come from and be the size the
    camera model says (the caller checks).
    """
    kp = np.asarray(keypoints, dtype=np.float64).reshape(-1, NUM_KEYPOINTS, 3)
    ref, torso_px = torso_depth(depth, kp, min_score)
    surface = surface_depths(depth, kp, min_score, ref, torso_px)
    torso_m = torso_metres(torso_px, ref, camera)
    z = surface + (SURFACE_TO_JOINT[None, :] * torso_m[:, None] if correct_surface else 0.0)
    rays = camera.rays(kp[:, :, :2].reshape(-1, 2)).reshape(kp.shape[0], NUM_KEYPOINTS, 2)
    points, valid = _points(rays, z)
    return Positions(points, valid, ref, torso_m)


def _points(rays: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return points (..., 3) on ``rays`` (..., 2) at depths ``z`` (...), and which are valid."""
    points = np.concatenate([rays * z[..., None], z[..., None]], axis=-1)
    valid = np.isfinite(points).all(axis=-1)
    return np.where(valid[..., None], points, 0.0), valid


def lift_hands(hands: np.ndarray, reference: np.ndarray, depth: DepthImage,
               camera: PinholeCamera, min_score: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the skin points (H, 21, 3) in metres of hand landmarks and which are valid.

    ``hands`` (H, 21, 3): x, y, score; ``reference`` (H,): the torso depth of each hand's
    person (``Positions.torso_depth_m``), which tells the person's hand from the wall behind.
    """
    kp = np.asarray(hands, dtype=np.float64).reshape(-1, NUM_HAND_KEYPOINTS, 3)
    z = hand_surface_depths(depth, kp, min_score, reference)
    rays = camera.rays(kp[:, :, :2].reshape(-1, 2)).reshape(kp.shape[0], NUM_HAND_KEYPOINTS, 2)
    return _points(rays, z)
