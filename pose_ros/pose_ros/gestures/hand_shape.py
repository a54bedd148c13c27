"""The shape of one hand from its 21 landmarks: finger curl, palm facing, the hand's length.

Each measure is a ratio or an angle of the hand's own points, so it does not depend on how
far the hand is, how large it is or how the camera is rolled. The gesture features
(``gestures.features``) read these; where a finger points is measured there, in the
person's torso frame like every other direction.
"""

from __future__ import annotations

import math

import numpy as np

from pose_ros.core.hand import Handedness, HandLandmark
from pose_ros.core.vectors import MIN_LENGTH, angle_between

H = HandLandmark

# Each finger's landmarks from its base joint to its tip.
FINGERS: dict[str, tuple[HandLandmark, ...]] = {
    'thumb': (H.THUMB_CMC, H.THUMB_MCP, H.THUMB_IP, H.THUMB_TIP),
    'index': (H.INDEX_MCP, H.INDEX_PIP, H.INDEX_DIP, H.INDEX_TIP),
    'middle': (H.MIDDLE_MCP, H.MIDDLE_PIP, H.MIDDLE_DIP, H.MIDDLE_TIP),
    'ring': (H.RING_MCP, H.RING_PIP, H.RING_DIP, H.RING_TIP),
    'pinky': (H.PINKY_MCP, H.PINKY_PIP, H.PINKY_DIP, H.PINKY_TIP),
}
FINGER_NAMES: tuple[str, ...] = tuple(FINGERS)

# The hand length every hand measure is divided by: the palm from the wrist to the middle
# finger's knuckle (the palm bends least of the hand, so curling fingers do not change it),
# or the knuckles' width over KNUCKLE_WIDTH where that is longer: a palm whose fingers point
# toward the camera is foreshortened along its length but not across it.
HAND_SIZE: tuple[HandLandmark, ...] = (H.WRIST, H.MIDDLE_MCP, H.INDEX_MCP, H.PINKY_MCP)
# The palm's triangle, whose normal says which way the palm faces.
PALM: tuple[HandLandmark, HandLandmark, HandLandmark] = (H.WRIST, H.INDEX_MCP, H.PINKY_MCP)

# Measured on the rendered-people rig's hands (the MakeHuman skeleton's finger joints,
# test/hand_helpers.py), in its hand lengths: index to pinky knuckle 0.64, and twice the
# palm triangle's area 0.588 (a flat hand seen square on).
KNUCKLE_WIDTH = 0.64
PALM_AREA = 0.59

# In a right-handed frame (the camera's optical frame, or image x right and y down with z
# into the scene), wrist->index MCP x wrist->pinky MCP points out of the palm of a right
# hand and out of the back of a left one.
_PALM_SIGN = {Handedness.RIGHT: 1.0, Handedness.LEFT: -1.0}


def curl_chain(finger: str) -> tuple[HandLandmark, ...]:
    """Return the landmarks whose joints ``curl`` bends: the finger with the point before it.

    A finger bends at its MCP, PIP and DIP: the chain starts at the wrist. The thumb bends at
    its own MCP and IP: its chain starts at its CMC, the base of its metacarpal (the CMC
    itself swings the thumb across the palm rather than curling it).
    """
    joints = FINGERS[finger]
    return joints if finger == 'thumb' else (H.WRIST,) + joints


def curl(chain: np.ndarray) -> float | None:
    """Return the mean bend over a chain's inner joints, degrees: 0 straight, 90 right angles.

    ``chain`` (N, 2) or (N, 3): the points of ``curl_chain``. The bend at a joint is 180
    minus the angle it makes; None when two points coincide.
    """
    pts = np.asarray(chain, dtype=np.float64)
    bends = [angle_between(pts[i] - pts[i - 1], pts[i + 1] - pts[i])
             for i in range(1, len(pts) - 1)]
    if any(b is None for b in bends):
        return None
    return float(np.mean(bends))


def hand_length(wrist: np.ndarray, middle_mcp: np.ndarray, index_mcp: np.ndarray,
                pinky_mcp: np.ndarray) -> float | None:
    """Return the hand length (pixels or metres; see ``HAND_SIZE``), None without extent."""
    along = float(np.linalg.norm(np.asarray(middle_mcp, np.float64) - wrist))
    across = float(np.linalg.norm(np.asarray(pinky_mcp, np.float64) - index_mcp))
    length = max(along, across / KNUCKLE_WIDTH)
    return length if length > MIN_LENGTH else None


def palm_normal_sign(side: Handedness) -> float:
    """Return +1 or -1: what turns wrist->index x wrist->pinky into the palm's outward normal."""
    return _PALM_SIGN[Handedness(side)]


def palm_facing_image(side: Handedness, wrist: np.ndarray, index_mcp: np.ndarray,
                      pinky_mcp: np.ndarray, length: float) -> float:
    """Estimate from pixels the angle between the palm's normal and the camera, degrees.

    0 = palm square to the camera, 180 = back of the hand square to it, 90 = edge on. The
    image shows the palm triangle's area shrunk by the cosine of that angle, signed by which
    way round its corners go; divided by the area a flat hand of this length would show
    (``PALM_AREA``). For a hand turned about its long axis (the forearm's twist) or tipped
    about its knuckle line the length used is the true one, and the estimate is exact for a
    palm shaped like the rig's. Near 0 and 180 the arc cosine magnifies any difference: a
    palm 10 % narrower or wider than the rig's reads about 25 degrees when square on.
    """
    a, b = np.asarray(index_mcp) - wrist, np.asarray(pinky_mcp) - wrist
    cross = float(a[0] * b[1] - a[1] * b[0])
    # The camera looks along +z, so the palm faces it when its normal's z is negative.
    cosine = -palm_normal_sign(side) * cross / (PALM_AREA * length * length)
    return math.degrees(math.acos(min(1.0, max(-1.0, cosine))))


def palm_facing_3d(side: Handedness, wrist: np.ndarray, index_mcp: np.ndarray,
                   pinky_mcp: np.ndarray) -> float | None:
    """Return the angle between the palm's normal and the line to the camera, degrees.

    Positions in metres in the camera's optical frame (the camera at the origin); the line
    of sight is from the palm triangle's centre. None for a degenerate triangle.
    """
    wrist = np.asarray(wrist, np.float64)
    normal = palm_normal_sign(side) * np.cross(np.asarray(index_mcp) - wrist,
                                               np.asarray(pinky_mcp) - wrist)
    centre = (wrist + index_mcp + pinky_mcp) / 3.0
    return angle_between(normal, -centre)
