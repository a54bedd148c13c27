"""Posing: bone rotations by name, forward kinematics and linear blend skinning.

A pose is a rotation per bone in the bone's own rest frame (Blender's pose-bone
convention, so MakeHuman/MPFB animation values apply as they are) plus where the body
stands. Limb directions are solved into rotations here too: an arm or leg segment is
given as (raise, forward) degrees in the torso frame, as in test/synthetic_people.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from typing import Mapping

import numpy as np

from pose_ros.rendering.body import Body, minimal_rotation

# The segments a limb direction sets: (first bone, bone whose tail ends the segment, side).
# The MakeHuman arm has two bones per segment (a twist split); the first takes the swing.
SEGMENTS: dict[str, tuple[str, str, float]] = {
    'l_upperarm': ('upperarm01.L', 'upperarm02.L', 1.0),
    'l_forearm': ('lowerarm01.L', 'lowerarm02.L', 1.0),
    'r_upperarm': ('upperarm01.R', 'upperarm02.R', -1.0),
    'r_forearm': ('lowerarm01.R', 'lowerarm02.R', -1.0),
    'l_thigh': ('upperleg01.L', 'upperleg02.L', 1.0),
    'l_shin': ('lowerleg01.L', 'lowerleg02.L', 1.0),
    'r_thigh': ('upperleg01.R', 'upperleg02.R', -1.0),
    'r_shin': ('lowerleg01.R', 'lowerleg02.R', -1.0),
}
# Raising an arm above the shoulder also lifts the collarbone (the shoulder girdle turns
# with the arm): up to this many degrees with the arm straight up.
SHRUG_DEGREES = 25.0
CLAVICLES = {'l_upperarm': 'clavicle.L', 'r_upperarm': 'clavicle.R'}
# Directions are measured in the frame of this bone (the chest), legs in the root's.
TORSO_BONE = 'spine01'
LEG_FRAME_BONE = 'root'


def euler_xyz(x: float, y: float, z: float) -> np.ndarray:
    """Return Blender's XYZ Euler rotation (radians): X first, then Y, then Z."""
    cx, sx, cy, sy, cz, sz = (math.cos(x), math.sin(x), math.cos(y), math.sin(y),
                              math.cos(z), math.sin(z))
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def axis_rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """Return the rotation by ``angle`` radians about unit ``axis``."""
    x, y, z = axis / np.linalg.norm(axis)
    c, s = math.cos(angle), math.sin(angle)
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    return np.eye(3) + s * k + (1 - c) * k @ k


def segment_direction(raise_deg: float, forward_deg: float, side: float) -> np.ndarray:
    """Return the unit direction in the torso frame (test/synthetic_people.py convention)."""
    r, f = math.radians(raise_deg), math.radians(forward_deg)
    frontal = np.array([side * math.sin(r), -math.cos(r), 0.0])
    return math.cos(f) * frontal + math.sin(f) * np.array([0.0, 0.0, 1.0])


@dataclass
class Pose:
    """Where the body is and how it bends.

    ``rotations``: bone name -> 3x3 rotation in the bone's rest frame (applied after the
    limb directions are solved, so fingers and other bones can be posed beside them).
    ``directions``: segment name (see SEGMENTS) -> (raise, forward) degrees.
    ``position``: world (x, z) of the point between the feet; ``facing``: degrees the
    body is turned about the vertical, 0 facing +Z; ``lift``: metres up (jumps, sitting).
    """

    rotations: dict[str, np.ndarray] = field(default_factory=dict)
    directions: dict[str, tuple[float, float]] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)
    facing: float = 0.0
    lift: float = 0.0


@dataclass(frozen=True)
class PosedBody:
    """A posed body in world coordinates."""

    vertices: np.ndarray      # (V, 3)
    heads: np.ndarray         # (B, 3) joint positions
    tails: np.ndarray         # (B, 3)
    rotations: np.ndarray     # (B, 3, 3) bone axes in the world


def _world_from_pose(pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    a = math.radians(pose.facing)
    yaw = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    return yaw, np.array([pose.position[0], pose.lift, pose.position[1]])


class Skeleton:
    """Forward kinematics and skinning for one Body; reuse it for every frame."""

    def __init__(self, body: Body) -> None:
        self.body = body
        self.rig = body.rig
        self.n = len(body.rig.bones)
        self.parent = np.array([b.parent for b in body.rig.bones])
        self.rest = body.rest_rotations
        self.length = np.linalg.norm(body.tails - body.heads, axis=1)
        # Rest rotation of each bone relative to its parent's rest frame.
        self.rel = np.array([self.rest[p].T @ self.rest[i] if p >= 0 else self.rest[i]
                             for i, p in enumerate(self.parent)])
        self.rel_offset = np.array([
            self.rest[p].T @ (body.heads[i] - body.heads[p]) if p >= 0 else body.heads[i]
            for i, p in enumerate(self.parent)])
        # Each bone with the bones below it, in order: re-posing a limb touches only these.
        below: list[list[int]] = [[i] for i in range(self.n)]
        for i in range(self.n - 1, -1, -1):
            p = self.parent[i]
            if p >= 0:
                below[p].extend(below[i])
        self.subtree = [sorted(b) for b in below]
        self.torso = self.rig.index[TORSO_BONE]
        self._weights = body.rig.weights.astype(np.float32)
        self._weight_bones = body.rig.weight_bones
        self._rest_f32 = body.vertices.astype(np.float32)
        self.leg_frame = self.rig.index[LEG_FRAME_BONE]

    def bone(self, name: str) -> int:
        try:
            return self.rig.index[name]
        except KeyError:
            raise KeyError(f'no bone {name!r} in the rig') from None

    def forward(self, local: np.ndarray, world_rot: np.ndarray, world_pos: np.ndarray,
                bones: list[int] | None = None, rot: np.ndarray | None = None,
                pos: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return world bone rotations (B, 3, 3) and heads (B, 3) for local rotations.

        ``bones`` (parents first) limits the update to them; the others keep ``rot``/``pos``.
        """
        rot = np.empty((self.n, 3, 3)) if rot is None else rot
        pos = np.empty((self.n, 3)) if pos is None else pos
        for i in (range(self.n) if bones is None else bones):
            p = self.parent[i]
            if p < 0:
                rot[i] = world_rot @ self.rel[i] @ local[i]
                pos[i] = world_rot @ self.rel_offset[i] + world_pos
            else:
                rot[i] = rot[p] @ self.rel[i] @ local[i]
                pos[i] = rot[p] @ self.rel_offset[i] + pos[p]
        return rot, pos

    def solve(self, pose: Pose) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (local rotations, world rotations, world heads) for ``pose``."""
        local = np.repeat(np.eye(3)[None], self.n, axis=0)
        for name, r in pose.rotations.items():
            local[self.bone(name)] = r
        world_rot, world_pos = _world_from_pose(pose)
        rot, pos = self.forward(local, world_rot, world_pos)
        # Limb directions, parents before children (SEGMENTS lists them that way).
        for seg, (first, last, side) in SEGMENTS.items():
            if seg not in pose.directions:
                continue
            i, j = self.bone(first), self.bone(last)
            frame_bone = self.torso if seg.endswith(('arm',)) else self.leg_frame
            frame = rot[frame_bone] @ self.rest[frame_bone].T
            if seg in CLAVICLES:
                c = self.bone(CLAVICLES[seg])
                lift = SHRUG_DEGREES * min(max((pose.directions[seg][0] - 80.0) / 100.0, 0.0),
                                           1.0)
                shrug = axis_rotation(frame @ np.array([0.0, 0.0, side]), math.radians(lift))
                local[c] = rot[c].T @ shrug @ rot[c] @ local[c]
                rot, pos = self.forward(local, world_rot, world_pos, self.subtree[c], rot, pos)
            target = frame @ segment_direction(*pose.directions[seg], side)
            end = pos[j] + rot[j][:, 1] * self.length[j]
            current = end - pos[i]
            swing = minimal_rotation(current / np.linalg.norm(current), target)
            # World swing turned into the bone's local frame, composed with its rotation.
            local[i] = rot[i].T @ swing @ rot[i] @ local[i]
            rot, pos = self.forward(local, world_rot, world_pos, self.subtree[i], rot, pos)
        return local, rot, pos

    def pose(self, pose: Pose) -> PosedBody:
        """Skin the body into ``pose``."""
        _, rot, pos = self.solve(pose)
        return self.skin(rot, pos)

    def skin(self, rot: np.ndarray, pos: np.ndarray) -> PosedBody:
        """Linear blend skinning of the rest mesh by world bone frames."""
        body = self.body
        # Skinning transform per bone: world pose times inverse rest, as 3x4.
        m = rot @ np.transpose(self.rest, (0, 2, 1))
        t = pos - np.einsum('bij,bj->bi', m, body.heads)
        affine = np.concatenate([m, t[:, :, None]], axis=2).astype(np.float32)
        w = self._weights
        blended = w[:, 0, None, None] * affine[self._weight_bones[:, 0]]
        for k in range(1, w.shape[1]):
            blended += w[:, k, None, None] * affine[self._weight_bones[:, k]]
        verts = np.einsum('vij,vj->vi', blended[:, :, :3], self._rest_f32) + blended[:, :, 3]
        verts = verts.astype(np.float64)
        tails = pos + rot[:, :, 1] * self.length[:, None]
        return PosedBody(verts, pos.copy(), tails, rot.copy())


def rotations_from_degrees(spec: Mapping[str, tuple[float, float, float]]
                           ) -> dict[str, np.ndarray]:
    """Turn {bone: (x, y, z) Euler degrees} into rotation matrices."""
    return {name: euler_xyz(*(math.radians(a) for a in xyz)) for name, xyz in spec.items()}
