"""COCO-17 ground truth from the posed rig and mesh: 3D, 2D pixels and visibility.

Joints (shoulders to ankles) are the rig's joint centres, inside the body as annotators
and pose models place them. Face points are on the surface: the nose tip vertex, the
front of each cornea, and the centre of each ear (the mean of the vertices MakeHuman's
ear mask covers). A keypoint is visible when it is in the image and nothing but its own
limb lies in front of it: the depth buffer there is no nearer than the keypoint minus
the limb's radius.

Beside the 17 body points, each hand has 21 points in MediaPipe's order (hands.py says
which rig point each is), tested against the depth buffer the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from pose_ros.core.keypoints import NUM_KEYPOINTS, Keypoint
from pose_ros.rendering.body import BODY_GROUP, EYE_GROUPS, Body
from pose_ros.rendering.camera import project, to_camera
from pose_ros.rendering.hands import HAND_RADIUS, SIDES, hand_points
from pose_ros.rendering.skinning import PosedBody

K = Keypoint
JOINT_BONES: dict[Keypoint, str] = {
    K.LEFT_SHOULDER: 'upperarm01.L', K.RIGHT_SHOULDER: 'upperarm01.R',
    K.LEFT_ELBOW: 'lowerarm01.L', K.RIGHT_ELBOW: 'lowerarm01.R',
    K.LEFT_WRIST: 'wrist.L', K.RIGHT_WRIST: 'wrist.R',
    K.LEFT_HIP: 'upperleg01.L', K.RIGHT_HIP: 'upperleg01.R',
    K.LEFT_KNEE: 'lowerleg01.L', K.RIGHT_KNEE: 'lowerleg01.R',
    K.LEFT_ANKLE: 'foot.L', K.RIGHT_ANKLE: 'foot.R',
}
# Depth of each keypoint under the visible surface of its own body part (metres).
RADIUS = np.array([0.02, 0.015, 0.015, 0.03, 0.03, 0.09, 0.09, 0.07, 0.07, 0.06, 0.06,
                   0.14, 0.14, 0.08, 0.08, 0.07, 0.07])


@dataclass(frozen=True)
class HandTruth:
    """One hand's 21 points in MediaPipe's order; fields as in GroundTruth."""

    points_3d: np.ndarray      # (21, 3)
    points_2d: np.ndarray      # (21, 2)
    visible: np.ndarray        # (21,)
    in_image: np.ndarray       # (21,)


@dataclass(frozen=True)
class GroundTruth:
    """One frame's truth. ``points_3d``: camera coordinates (OpenCV axes, metres).

    ``points_2d``: pixels. ``visible``: in the image and not hidden behind another part.
    ``in_image``: projected inside the image at all. ``hands``: 'left' and 'right' (the
    person's own) to each hand's HandTruth; empty when the hands were not asked for.
    """

    points_3d: np.ndarray
    points_2d: np.ndarray
    visible: np.ndarray
    in_image: np.ndarray
    hands: dict[str, HandTruth] = field(default_factory=dict)


_FACE_CACHE: dict[tuple[int, str], dict[Keypoint, tuple[int, ...]]] = {}


def face_vertices(body: Body, assets: str) -> dict[Keypoint, tuple[int, ...]]:
    """Mesh vertices whose (posed) mean is each face keypoint."""
    key = (id(body.mesh), str(assets))
    if key not in _FACE_CACHE:
        _FACE_CACHE[key] = _face_vertices(body, str(assets))
    return _FACE_CACHE[key]


def _face_vertices(body: Body, assets: str) -> dict[Keypoint, tuple[int, ...]]:
    v = body.mesh.vertices  # unshaped: the choice is the same for every body shape
    out: dict[Keypoint, tuple[int, ...]] = {}
    eye_y = np.mean([v[body.mesh.groups[g], 1].mean() for g in EYE_GROUPS])
    for kp, group in ((K.LEFT_EYE, EYE_GROUPS[0]), (K.RIGHT_EYE, EYE_GROUPS[1])):
        idx = body.mesh.groups[group]
        out[kp] = (int(idx[np.argmax(v[idx, 2])]),)
    skin = body.mesh.groups[BODY_GROUP]
    mid = skin[(np.abs(v[skin, 0]) < 0.004) & (v[skin, 1] > eye_y - 0.07)
               & (v[skin, 1] < eye_y - 0.01)]
    out[K.NOSE] = (int(mid[np.argmax(v[mid, 2])]),)
    mask = cv2.imread(str(Path(assets) / 'textures' / 'mpfb_ears.jpg'), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise FileNotFoundError(f'{assets}/textures/mpfb_ears.jpg is unreadable')
    uv = body.mesh.corner_uv
    h, w = mask.shape
    px = np.clip((uv[:, 0] * w).astype(int), 0, w - 1)
    py = np.clip(((1.0 - uv[:, 1]) * h).astype(int), 0, h - 1)
    ear_corners = mask[py, px] > 128
    ear = np.unique(body.mesh.corner_vertex[ear_corners])
    ear = ear[np.isin(ear, skin)]
    out[K.LEFT_EAR] = tuple(int(i) for i in ear[v[ear, 0] > 0])
    out[K.RIGHT_EAR] = tuple(int(i) for i in ear[v[ear, 0] < 0])
    if not out[K.LEFT_EAR] or not out[K.RIGHT_EAR]:
        raise ValueError('the ear mask selects no vertices: unexpected asset files')
    return out


def keypoints_world(body: Body, posed: PosedBody, assets: str) -> np.ndarray:
    """Return the 17 COCO keypoints (17, 3) in world coordinates."""
    pts = np.zeros((NUM_KEYPOINTS, 3))
    for kp, bone in JOINT_BONES.items():
        pts[int(kp)] = posed.heads[body.rig.index[bone]]
    for kp, idx in face_vertices(body, assets).items():
        pts[int(kp)] = posed.vertices[list(idx)].mean(axis=0)
    return pts


def hands_world(body: Body, posed: PosedBody) -> dict[str, np.ndarray]:
    """Return each hand's 21 points (21, 3) in world coordinates, 'left' and 'right'."""
    return {side: hand_points(body.rig.index, posed.heads, posed.tails, side)
            for side in SIDES}


def _observe(world: np.ndarray, radius: np.ndarray, rotation: np.ndarray,
             centre: np.ndarray, intrinsics: np.ndarray, depth: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return camera points, pixels, visibility and in-image flags of world points."""
    cam = to_camera(world, rotation, centre)
    px = project(cam, intrinsics)
    h, w = depth.shape
    inside = np.isfinite(px).all(axis=1) & (px[:, 0] >= 0) & (px[:, 0] < w) \
        & (px[:, 1] >= 0) & (px[:, 1] < h)
    visible = np.zeros(len(world), bool)
    for i in np.flatnonzero(inside):
        u, v = int(px[i, 0]), int(px[i, 1])
        visible[i] = float(depth[v, u]) >= cam[i, 2] - radius[i]
    return cam, px, visible, inside


def ground_truth(world: np.ndarray, rotation: np.ndarray, centre: np.ndarray,
                 intrinsics: np.ndarray, depth: np.ndarray,
                 hands: dict[str, np.ndarray] | None = None) -> GroundTruth:
    """Project world keypoints and test them against the rendered depth (metres).

    ``hands`` (from hands_world) adds each hand's 21 points.
    """
    body = _observe(world, RADIUS, rotation, centre, intrinsics, depth)
    hand_truth = {side: HandTruth(*_observe(points, HAND_RADIUS, rotation, centre,
                                            intrinsics, depth))
                  for side, points in (hands or {}).items()}
    return GroundTruth(*body, hand_truth)
