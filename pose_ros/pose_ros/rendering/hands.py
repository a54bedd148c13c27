"""Hands: named hand shapes as finger-bone rotations, and the 21 hand points on the rig.

A hand shape is nothing but bone rotations (x, y, z Euler degrees in each bone's rest
frame, the ``bone.NAME=x,y,z`` of scene files), so poses blend and override hands like
any other bone. The MakeHuman rig's fingers: ``finger1-1..3`` is the thumb (from the
wrist), ``metacarpalN`` then ``finger(N+1)-1..3`` the index (N=1) to the little finger
(N=4). In every finger bone's rest frame X is the flexion axis (a positive angle curls
the finger toward the palm) and Z the spread; the rig is mirrored, so a left-hand
rotation (x, y, z) is (x, -y, -z) on the right hand. The same holds for the forearm's
twist bone: ``bone.lowerarm02.L=0,-90,0`` (``bone.lowerarm02.R=0,90,0``) turns a hanging
hand's palm from the thigh to the front.

The 21 points follow MediaPipe's hand landmark order. Joints are bone heads (the rig's
joint centres, as for the body): the wrist is ``wrist``'s head, the same point as the
body's wrist keypoint; thumb CMC, MCP and IP are the heads of ``finger1-1..3``, each
finger's MCP, PIP and DIP the heads of its three phalanx bones. Tips are the last bone's
tail, which the rig places at the fingertip inside the flesh, a few millimetres short of
the skin at the end of the finger.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

SIDES = ('left', 'right')            # the person's own
SUFFIX = {'left': '.L', 'right': '.R'}
NUM_HAND_POINTS = 21
FINGERS = ('thumb', 'index', 'middle', 'ring', 'pinky')


class HandShape(str, Enum):
    """The named hand shapes a pose can give each hand."""

    RELAXED = 'relaxed'        # at rest: each finger a little curled, the little one most
    OPEN_PALM = 'open_palm'    # fingers straight and spread, thumb out
    FIST = 'fist'              # fingers curled, thumb across them
    THUMBS_UP = 'thumbs_up'    # a fist with the thumb straight, out of the fist
    POINTING = 'pointing'      # index straight, the others curled
    PINCH = 'pinch'            # thumb tip on the index tip, the others straight (an "OK")


def _phalanges(finger: int) -> tuple[str, str, str]:
    return tuple(f'finger{finger}-{k}' for k in (1, 2, 3))


# The bones of each finger, from the wrist out (left-hand names without the suffix).
FINGER_BONES: dict[str, tuple[str, ...]] = {
    'thumb': _phalanges(1),
    'index': ('metacarpal1',) + _phalanges(2),
    'middle': ('metacarpal2',) + _phalanges(3),
    'ring': ('metacarpal3',) + _phalanges(4),
    'pinky': ('metacarpal4',) + _phalanges(5),
}
HAND_BONES: tuple[str, ...] = tuple(b for bones in FINGER_BONES.values() for b in bones)

# MediaPipe's 21 points as (bone, 'head' or 'tail').
def _chain_points(finger: int) -> tuple[tuple[str, str], ...]:
    """Return a finger's four points: its three phalanx heads and the last one's tail."""
    bones = _phalanges(finger)
    return tuple((b, 'head') for b in bones) + ((bones[-1], 'tail'),)


HAND_POINTS: tuple[tuple[str, str], ...] = (('wrist', 'head'),) + tuple(
    p for finger in range(1, 6) for p in _chain_points(finger))
# MediaPipe's landmark names, in the same order.
HAND_POINT_NAMES: tuple[str, ...] = ('wrist',) + tuple(
    f'{finger}_{joint}' for finger, joints in (
        ('thumb', ('cmc', 'mcp', 'ip', 'tip')), *((f, ('mcp', 'pip', 'dip', 'tip'))
                                                   for f in FINGERS[1:]))
    for joint in joints)
# Per point, how deep under the visible skin it may lie (metres), for the depth test:
# measured on an open palm facing the camera, knuckles lie 11 to 24 mm under the palm.
HAND_RADIUS = np.array([0.03, 0.03, 0.025, 0.016, 0.012] + [0.026, 0.016, 0.014, 0.01] * 4)

Euler = tuple[float, float, float]


def _curl(mcp: float, pip: float, dip: float, spread: float = 0.0
          ) -> tuple[Euler, Euler, Euler]:
    """Flexion (about X) of a finger's three joints, spread (about Z) at its knuckle."""
    return (mcp, 0.0, spread), (pip, 0.0, 0.0), (dip, 0.0, 0.0)


def _shape(fingers: dict[str, tuple[Euler, Euler, Euler]]) -> dict[str, Euler]:
    out: dict[str, Euler] = {}
    for finger, rotations in fingers.items():
        for bone, euler in zip(FINGER_BONES[finger][-3:], rotations):
            out[bone] = tuple(float(a) for a in euler)
    return out


_STRAIGHT = {'index': _curl(-15, -12, -7, 6), 'middle': _curl(-20, -7, -8, 0),
             'ring': _curl(-22, -7, -7, -6), 'pinky': _curl(-20, -9, 0, -14)}
_CURLED = {f: _curl(72, 95, 60) for f in ('index', 'middle', 'ring', 'pinky')}
# A hand nobody is using: the rig's rest hand is flat (fingers straight, as an open palm
# without the spread), so a raised "relaxed" hand would be an open palm. A resting hand
# bends every joint a little, more toward the little finger: here 12 to 40 degrees, a mean
# bend of 31 to 38 degrees per finger on the true 3D points of a raised hand.
_RELAXED = {'index': _curl(18, 28, 12, 3), 'middle': _curl(22, 32, 14),
            'ring': _curl(26, 36, 14, -3), 'pinky': _curl(30, 40, 16, -6),
            'thumb': ((0, 0, -15), (8, 0, 0), (10, 0, 0))}
_PINCH_INDEX = _curl(30, 40, 20)
_FIST_THUMB = ((3, -11, -2), (35, 6, -17), (34, 9, -15))

# Left-hand rotations per shape. The thumb's were fitted once on MakeHuman's default body
# (least squares over its three bones): for a fist its tip over the middle phalanges of
# the curled index and middle fingers, for thumbs-up straight along the hand's radial
# side, for an open palm straight between that side and the fingers, for a pinch 9 mm
# from the index tip (bone tips lie inside the finger pads). test_render_hands.py checks
# the geometry on other bodies too.
SHAPES: dict[HandShape, dict[str, Euler]] = {
    HandShape.RELAXED: _shape(_RELAXED),
    HandShape.OPEN_PALM: _shape({**_STRAIGHT,
                                 'thumb': ((-11, 0, -35), (-8, 6, 11), (-8, 0, -1))}),
    HandShape.FIST: _shape({**_CURLED, 'thumb': _FIST_THUMB}),
    HandShape.THUMBS_UP: _shape({**_CURLED,
                                 'thumb': ((-34, 0, -10), (-12, 9, 11), (-18, -3, 0))}),
    HandShape.POINTING: _shape({**_CURLED, 'index': _STRAIGHT['index'],
                                'thumb': _FIST_THUMB}),
    HandShape.PINCH: _shape({'index': _PINCH_INDEX,
                             'thumb': ((21, -4, -1), (14, 0, -1), (5, 0, 0))}),
}


def hand_shape(name: str) -> HandShape:
    """Return the shape named ``name``; ValueError listing the known names otherwise."""
    try:
        return HandShape(name)
    except ValueError:
        raise ValueError(f'unknown hand shape {name!r}; known: '
                         f'{", ".join(s.value for s in HandShape)}') from None


def hand_bones(shape: HandShape | str, side: str) -> dict[str, Euler]:
    """Return {bone name: Euler degrees} posing one hand (``side``: the person's own).

    Every finger bone is listed (those a shape leaves out at the rig's rest, straight),
    so a shape fully replaces the hand of the pose it is laid over, and blending toward
    it moves every finger.
    """
    rotations = SHAPES[hand_shape(shape) if isinstance(shape, str) else shape]
    suffix = SUFFIX[side]
    mirror = 1.0 if side == 'left' else -1.0
    out = {}
    for bone in HAND_BONES:
        x, y, z = rotations.get(bone, (0.0, 0.0, 0.0))
        out[bone + suffix] = (x, mirror * y, mirror * z)
    return out


def hand_points(index: dict[str, int], heads: np.ndarray, tails: np.ndarray, side: str
                ) -> np.ndarray:
    """Return one hand's 21 points (21, 3) from posed bone heads and tails."""
    suffix = SUFFIX[side]
    return np.array([(heads if end == 'head' else tails)[index[bone + suffix]]
                     for bone, end in HAND_POINTS])


def palm_normal(points: np.ndarray, side: str) -> np.ndarray:
    """Return the unit direction the palm faces, from a hand's 21 points (any frame).

    The palm's plane holds the wrist and the index and little-finger knuckles; which
    side of it is the palm flips between the (mirrored) hands.
    """
    across = np.cross(points[17] - points[0], points[5] - points[0])
    n = across if side == 'left' else -across
    return n / np.linalg.norm(n)
