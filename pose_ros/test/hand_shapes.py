"""Synthetic hands of known shape on a synthetic person, for the hand feature tests.

A hand is built in its own frame, in hand lengths (wrist to middle knuckle = 1): x toward
the thumb side of a right hand, y along the palm from the wrist to the knuckles, z out of
the palm; a left hand is its mirror (thumb toward -x). Each finger bends toward the palm at
its joints by given angles, so its true curl is known. The hand is then turned so its
fingers and palm face given directions of the camera's optical frame (x right, y down,
z away from the camera), placed at the person's wrist and projected through a pinhole
camera; the person's own left is the image right (they face the camera).
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from pose_ros.core.hand import Handedness, HandLandmark, HandPose
from pose_ros.core.keypoints import Keypoint, Pose

H = HandLandmark
FOCAL, CX, CY = 600.0, 320.0, 240.0
HAND_M = 0.09          # hand length, metres
PERSON_Z = 1.5         # the person's distance from the camera, metres

# Camera-frame directions, for a person facing the camera.
Direction = tuple[float, float, float]
UP, DOWN = (0.0, -1.0, 0.0), (0.0, 1.0, 0.0)
PERSON_LEFT, PERSON_RIGHT = (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0)
TO_CAMERA, AWAY = (0.0, 0.0, -1.0), (0.0, 0.0, 1.0)

# Knuckles (x, y) and phalanx lengths, in hand lengths: an adult hand, knuckles spread as the
# rendered rig's (wrist to index knuckle 1.04, to pinky 0.93, index to pinky 0.64).
_MCP = {'index': (0.252, 1.009), 'middle': (0.0, 1.0), 'ring': (-0.2, 0.939),
        'pinky': (-0.369, 0.853)}
_PHALANGES = {'index': (0.36, 0.22, 0.19), 'middle': (0.40, 0.25, 0.20),
              'ring': (0.37, 0.24, 0.19), 'pinky': (0.29, 0.18, 0.17)}
_THUMB_CMC = (0.2, 0.15)
_THUMB = (0.38, 0.30, 0.25)  # metacarpal, proximal, distal
_LANDMARKS = {'thumb': (H.THUMB_CMC, H.THUMB_MCP, H.THUMB_IP, H.THUMB_TIP),
              'index': (H.INDEX_MCP, H.INDEX_PIP, H.INDEX_DIP, H.INDEX_TIP),
              'middle': (H.MIDDLE_MCP, H.MIDDLE_PIP, H.MIDDLE_DIP, H.MIDDLE_TIP),
              'ring': (H.RING_MCP, H.RING_PIP, H.RING_DIP, H.RING_TIP),
              'pinky': (H.PINKY_MCP, H.PINKY_PIP, H.PINKY_DIP, H.PINKY_TIP)}

STRAIGHT = (0.0, 0.0, 0.0)
CURLED = (75.0, 100.0, 65.0)  # a fist's fingers


@dataclass(frozen=True)
class Shape:
    """Bends (degrees) at each finger's MCP, PIP, DIP and at the thumb's MCP, IP.

    ``thumb_spread``: the thumb's metacarpal from the palm's long axis toward the thumb side,
    in the palm's plane, degrees. ``thumb_across``: how far its bends turn it across the palm
    (0: it bends straight toward the palm, 90: across it toward the little finger).
    ``pinch_gap``: when set, the thumb tip is put this far (hand lengths) out of the palm
    from the index tip, its IP halfway, instead of bending the thumb.
    """

    index: tuple[float, float, float] = STRAIGHT
    middle: tuple[float, float, float] = STRAIGHT
    ring: tuple[float, float, float] = STRAIGHT
    pinky: tuple[float, float, float] = STRAIGHT
    thumb: tuple[float, float] = (0.0, 0.0)
    thumb_spread: float = 45.0
    thumb_across: float = 45.0
    pinch_gap: float | None = None

    def curl(self, finger: str) -> float:
        """Return the true curl: the mean bend over the finger's joints."""
        return float(np.mean(getattr(self, finger)))


SHAPES: dict[str, Shape] = {
    'open_palm': Shape(),
    'fist': Shape(CURLED, CURLED, CURLED, CURLED, thumb=(50.0, 60.0), thumb_spread=35.0,
                  thumb_across=70.0),
    'thumbs_up': Shape(CURLED, CURLED, CURLED, CURLED, thumb=(5.0, 5.0), thumb_spread=75.0),
    'pointing': Shape(STRAIGHT, CURLED, CURLED, CURLED, thumb=(40.0, 40.0), thumb_spread=35.0,
                      thumb_across=70.0),
    'pinch': Shape((30.0, 45.0, 25.0), (10.0, 15.0, 10.0), (10.0, 15.0, 10.0),
                   (10.0, 15.0, 10.0), thumb_spread=40.0, pinch_gap=0.05),
}


def _unit(v) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return v / np.linalg.norm(v)


def _chain(start, direction, bend_toward, lengths, bends) -> list[np.ndarray]:
    """Points of a finger from ``start``: each joint turns it further toward ``bend_toward``."""
    d = _unit(direction)
    w = _unit(bend_toward - np.dot(bend_toward, d) * d)
    points, phi, p = [np.asarray(start, np.float64)], 0.0, np.asarray(start, np.float64)
    for length, bend in zip(lengths, bends):
        phi += math.radians(bend)
        p = p + length * (math.cos(phi) * d + math.sin(phi) * w)
        points.append(p)
    return points


def hand_local(shape: Shape, side: Handedness) -> np.ndarray:
    """Return the 21 landmarks (21, 3) in the hand's own frame, in hand lengths."""
    out = np.zeros((21, 3))
    z = np.array([0.0, 0.0, 1.0])
    for finger, (x, y) in _MCP.items():
        mcp = np.array([x, y, 0.0])
        pts = _chain(mcp, mcp, z, _PHALANGES[finger], getattr(shape, finger))
        out[list(_LANDMARKS[finger])] = pts
    spread = math.radians(shape.thumb_spread)
    cmc = np.array([*_THUMB_CMC, 0.0])
    mcp = cmc + _THUMB[0] * np.array([math.sin(spread), math.cos(spread), 0.0])
    across = math.radians(shape.thumb_across)
    toward = math.cos(across) * z + math.sin(across) * np.array([-1.0, 0.0, 0.0])
    thumb = [cmc] + _chain(mcp, mcp - cmc, toward, _THUMB[1:], shape.thumb)
    if shape.pinch_gap is not None:
        tip = out[H.INDEX_TIP] + np.array([0.0, 0.0, shape.pinch_gap])
        thumb[2] = (mcp + tip) / 2 + np.array([0.0, 0.0, 0.1])
        thumb[3] = tip
    out[list(_LANDMARKS['thumb'])] = thumb
    if side is Handedness.LEFT:
        out[:, 0] *= -1.0
    return out


def rotation(fingers: Direction, palm: Direction) -> np.ndarray:
    """Return the rotation taking the hand frame to the camera's: y to ``fingers``, z to ``palm``.

    ``palm`` is the way the palm faces; the part of it along ``fingers`` is dropped.
    """
    y, palm = _unit(fingers), np.asarray(palm, np.float64)
    z = _unit(palm - np.dot(palm, y) * y)
    return np.column_stack([np.cross(y, z), y, z])


def project(points: np.ndarray, roll_deg: float = 0.0) -> np.ndarray:
    """Return pixels (N, 2) of camera-frame points, the camera rolled by ``roll_deg``."""
    px = np.column_stack([FOCAL * points[:, 0] / points[:, 2] + CX,
                          FOCAL * points[:, 1] / points[:, 2] + CY])
    r = math.radians(roll_deg)
    rot = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    return (px - (CX, CY)) @ rot.T + (CX, CY)


def hand_positions(shape: Shape, side: Handedness, wrist: np.ndarray, fingers: Direction,
                   palm: Direction) -> np.ndarray:
    """Return the hand's 21 landmarks in the camera frame (metres), the wrist at ``wrist``."""
    return wrist + HAND_M * hand_local(shape, side) @ rotation(fingers, palm).T


# The person, metres in the camera frame: facing the camera at PERSON_Z, their left at +x.
_BODY = {
    Keypoint.NOSE: (0.0, -0.55, 0.0), Keypoint.LEFT_SHOULDER: (0.2, -0.3, 0.0),
    Keypoint.RIGHT_SHOULDER: (-0.2, -0.3, 0.0), Keypoint.LEFT_HIP: (0.15, 0.2, 0.0),
    Keypoint.RIGHT_HIP: (-0.15, 0.2, 0.0),
    # Both forearms raised in front of the chest, hands beside the shoulders.
    Keypoint.LEFT_ELBOW: (0.3, -0.05, -0.1), Keypoint.LEFT_WRIST: (0.3, -0.3, -0.2),
    Keypoint.RIGHT_ELBOW: (-0.3, -0.05, -0.1), Keypoint.RIGHT_WRIST: (-0.3, -0.3, -0.2),
}
_LOWERED = {Keypoint.LEFT_ELBOW: (0.25, -0.05, 0.0), Keypoint.LEFT_WRIST: (0.27, 0.2, 0.0),
            Keypoint.RIGHT_ELBOW: (-0.25, -0.05, 0.0), Keypoint.RIGHT_WRIST: (-0.27, 0.2, 0.0)}
_WRIST = {Handedness.LEFT: Keypoint.LEFT_WRIST, Handedness.RIGHT: Keypoint.RIGHT_WRIST}


@dataclass(frozen=True)
class HandView:
    """One hand of the person: its shape, where its fingers point and its palm faces."""

    side: Handedness
    shape: Shape
    fingers: Direction = UP
    palm: Direction = TO_CAMERA
    score: float = 0.9


def person(*hands: HandView, roll: float = 0.0, positions: bool = False,
           lowered: tuple[Handedness, ...] = ()) -> Pose:
    """Return the person with ``hands`` at their raised wrists, the camera rolled ``roll``.

    Arms whose side is in ``lowered`` hang down instead. With ``positions`` the body and the
    hands carry their true 3D positions, as with depth.
    """
    body = {k: np.array(v) + (0.0, 0.0, PERSON_Z) for k, v in _BODY.items()}
    for side in lowered:
        for k, v in _LOWERED.items():
            if k.name.startswith(side.name):
                body[k] = np.array(v) + (0.0, 0.0, PERSON_Z)
    xyz = np.full((17, 3), np.nan)
    kp = np.zeros((17, 3), np.float32)
    for k, p in body.items():
        xyz[int(k)] = p
        kp[int(k)] = (*project(p[None], roll)[0], 0.9)
    out = []
    for view in hands:
        pts = hand_positions(view.shape, view.side, body[_WRIST[view.side]], view.fingers,
                             view.palm)
        px = project(pts, roll)
        keypoints = np.column_stack([px, np.full(21, view.score)])
        out.append(HandPose(view.side, keypoints, view.score, 0.9,
                            pts if positions else None))
    return Pose(kp, 0.9, (0.0, 0.0, 640.0, 480.0), positions=xyz if positions else None,
                hands=out)
