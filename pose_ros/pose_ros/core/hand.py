"""One hand's keypoints as the rest of the package sees them: no models, no OpenCV.

The hand models (``pose_ros.hands``) produce these, the messages carry them, and the gesture
features and drawing read them; so the landmark order and the meaning of left and right are
defined once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class HandLandmark(IntEnum):
    """MediaPipe's 21 hand landmarks, in the model's order."""

    WRIST = 0
    THUMB_CMC = 1
    THUMB_MCP = 2
    THUMB_IP = 3
    THUMB_TIP = 4
    INDEX_MCP = 5
    INDEX_PIP = 6
    INDEX_DIP = 7
    INDEX_TIP = 8
    MIDDLE_MCP = 9
    MIDDLE_PIP = 10
    MIDDLE_DIP = 11
    MIDDLE_TIP = 12
    RING_MCP = 13
    RING_PIP = 14
    RING_DIP = 15
    RING_TIP = 16
    PINKY_MCP = 17
    PINKY_PIP = 18
    PINKY_DIP = 19
    PINKY_TIP = 20


NUM_HAND_KEYPOINTS = len(HandLandmark)

_L = HandLandmark
# Bones drawn for a hand, as pairs of landmarks: MediaPipe's hand connections (the palm's
# outline, then each finger from its base out).
HAND_SKELETON: tuple[tuple[HandLandmark, HandLandmark], ...] = (
    (_L.WRIST, _L.THUMB_CMC), (_L.WRIST, _L.INDEX_MCP), (_L.INDEX_MCP, _L.MIDDLE_MCP),
    (_L.MIDDLE_MCP, _L.RING_MCP), (_L.RING_MCP, _L.PINKY_MCP), (_L.WRIST, _L.PINKY_MCP),
    (_L.THUMB_CMC, _L.THUMB_MCP), (_L.THUMB_MCP, _L.THUMB_IP), (_L.THUMB_IP, _L.THUMB_TIP),
    (_L.INDEX_MCP, _L.INDEX_PIP), (_L.INDEX_PIP, _L.INDEX_DIP), (_L.INDEX_DIP, _L.INDEX_TIP),
    (_L.MIDDLE_MCP, _L.MIDDLE_PIP), (_L.MIDDLE_PIP, _L.MIDDLE_DIP),
    (_L.MIDDLE_DIP, _L.MIDDLE_TIP),
    (_L.RING_MCP, _L.RING_PIP), (_L.RING_PIP, _L.RING_DIP), (_L.RING_DIP, _L.RING_TIP),
    (_L.PINKY_MCP, _L.PINKY_PIP), (_L.PINKY_PIP, _L.PINKY_DIP), (_L.PINKY_DIP, _L.PINKY_TIP),
)


class Handedness(IntEnum):
    """Which of the person's own hands: their left is on the image's right when facing us."""

    LEFT = 0
    RIGHT = 1


def _empty() -> np.ndarray:
    return np.zeros((NUM_HAND_KEYPOINTS, 3), dtype=np.float32)


@dataclass
class HandPose:
    """One hand of one person, in source-image pixels.

    ``keypoints`` float32 (21, 3): x, y, score in ``HandLandmark`` order. ``side`` is the
    person's own hand, as the body's wrist it was found at says. ``score`` the model's hand
    presence; ``handedness_score`` the model's own probability that this is ``side`` (low:
    the model disagrees with the body). ``positions`` is None or float64 (21, 3) metres in the
    camera's optical frame, NaN where unknown, as ``Pose.positions``.
    """

    side: Handedness
    keypoints: np.ndarray = field(default_factory=_empty)
    score: float = 0.0
    handedness_score: float = 0.0
    positions: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.side = Handedness(self.side)
        kp = np.asarray(self.keypoints, dtype=np.float32)
        if kp.shape != (NUM_HAND_KEYPOINTS, 3):
            raise ValueError(
                f'HandPose.keypoints must have shape ({NUM_HAND_KEYPOINTS}, 3), got {kp.shape}')
        self.keypoints = kp
        if self.positions is not None:
            pos = np.asarray(self.positions, dtype=np.float64)
            if pos.shape != (NUM_HAND_KEYPOINTS, 3):
                raise ValueError(f'HandPose.positions must have shape ({NUM_HAND_KEYPOINTS}, 3), '
                                 f'got {pos.shape}')
            self.positions = pos
