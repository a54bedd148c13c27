"""The COCO-17 keypoint vocabulary shared by the pose models, the messages and the gestures.

Every model family is mapped onto these 17 points so that gestures, messages and
users' own nodes never depend on which network produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from pose_ros.core.geometry import BOX_KEYPOINT_SCORE, Box, keypoint_box
from pose_ros.core.hand import Handedness, HandPose

NUM_KEYPOINTS = 17


class Keypoint(IntEnum):
    """COCO order, identical to the constants in ``pose_ros_msgs/msg/Keypoint``."""

    NOSE = 0
    LEFT_EYE = 1
    RIGHT_EYE = 2
    LEFT_EAR = 3
    RIGHT_EAR = 4
    LEFT_SHOULDER = 5
    RIGHT_SHOULDER = 6
    LEFT_ELBOW = 7
    RIGHT_ELBOW = 8
    LEFT_WRIST = 9
    RIGHT_WRIST = 10
    LEFT_HIP = 11
    RIGHT_HIP = 12
    LEFT_KNEE = 13
    RIGHT_KNEE = 14
    LEFT_ANKLE = 15
    RIGHT_ANKLE = 16


# Limbs drawn for the skeleton overlay, as pairs of keypoints.
SKELETON: tuple[tuple[Keypoint, Keypoint], ...] = (
    (Keypoint.LEFT_EAR, Keypoint.LEFT_EYE),
    (Keypoint.LEFT_EYE, Keypoint.NOSE),
    (Keypoint.NOSE, Keypoint.RIGHT_EYE),
    (Keypoint.RIGHT_EYE, Keypoint.RIGHT_EAR),
    (Keypoint.LEFT_SHOULDER, Keypoint.RIGHT_SHOULDER),
    (Keypoint.LEFT_SHOULDER, Keypoint.LEFT_ELBOW),
    (Keypoint.LEFT_ELBOW, Keypoint.LEFT_WRIST),
    (Keypoint.RIGHT_SHOULDER, Keypoint.RIGHT_ELBOW),
    (Keypoint.RIGHT_ELBOW, Keypoint.RIGHT_WRIST),
    (Keypoint.LEFT_SHOULDER, Keypoint.LEFT_HIP),
    (Keypoint.RIGHT_SHOULDER, Keypoint.RIGHT_HIP),
    (Keypoint.LEFT_HIP, Keypoint.RIGHT_HIP),
    (Keypoint.LEFT_HIP, Keypoint.LEFT_KNEE),
    (Keypoint.LEFT_KNEE, Keypoint.LEFT_ANKLE),
    (Keypoint.RIGHT_HIP, Keypoint.RIGHT_KNEE),
    (Keypoint.RIGHT_KNEE, Keypoint.RIGHT_ANKLE),
)


class HandPoint(IntEnum):
    """Points on each hand that a body model may give (BlazePose does: its 17 to 22).

    Rows of ``Pose.hand_points``, per side: the index and little finger's knuckles (MCP)
    and the thumb's. Only hand finding uses them; messages carry the 17 keypoints.
    """

    INDEX = 0
    PINKY = 1
    THUMB = 2


def _empty_keypoints() -> np.ndarray:
    return np.zeros((NUM_KEYPOINTS, 3), dtype=np.float32)


@dataclass
class Pose:
    """One person as every model family reports it, in source-image pixels.

    ``keypoints`` is a float32 array of shape (17, 3) holding (x, y, score) per
    COCO keypoint; a keypoint the model did not find has score 0. ``box`` is
    (x_min, y_min, x_max, y_max). ``track_id`` is -1 until a tracker assigns one.

    ``positions`` is None (no depth: the models give pixels only) or a float64 (17, 3)
    array of 3D joint positions in metres, in the source camera's optical frame, with NaN
    for each joint whose position is unknown. NaN, not 0: the camera's own centre must
    never look like a measured joint.

    ``hands`` holds the person's hands that were looked for and found (``core.hand.HandPose``,
    at most one per side); empty when hands are off or none was found.

    ``hand_points`` is None (the model gives none) or a float32 (2, 3, 3) array: per side
    (``Handedness``: left 0, right 1) the ``HandPoint`` rows, (x, y, score) in pixels.
    """

    keypoints: np.ndarray = field(default_factory=_empty_keypoints)
    score: float = 0.0
    box: Box = (0.0, 0.0, 0.0, 0.0)
    track_id: int = -1
    positions: np.ndarray | None = None
    hands: tuple[HandPose, ...] = ()
    hand_points: np.ndarray | None = None

    def __post_init__(self) -> None:
        kp = np.asarray(self.keypoints, dtype=np.float32)
        if kp.shape != (NUM_KEYPOINTS, 3):
            raise ValueError(
                f'Pose.keypoints must have shape ({NUM_KEYPOINTS}, 3), got {kp.shape}')
        self.keypoints = kp
        if self.positions is not None:
            pos = np.asarray(self.positions, dtype=np.float64)
            if pos.shape != (NUM_KEYPOINTS, 3):
                raise ValueError(
                    f'Pose.positions must have shape ({NUM_KEYPOINTS}, 3), got {pos.shape}')
            self.positions = pos
        if self.hand_points is not None:
            hp = np.asarray(self.hand_points, dtype=np.float32)
            if hp.shape != (2, len(HandPoint), 3):
                raise ValueError(f'Pose.hand_points must have shape (2, {len(HandPoint)}, 3), '
                                 f'got {hp.shape}')
            self.hand_points = hp
        self.hands = tuple(self.hands)
        sides = [h.side for h in self.hands]
        if len(set(sides)) != len(sides):
            raise ValueError(f'Pose.hands has two hands of one side: {sides}')

    def hand(self, side: Handedness) -> HandPose | None:
        """Return the person's ``side`` hand, or None when it was not found."""
        return next((h for h in self.hands if h.side == side), None)

    def point(self, kp: Keypoint) -> tuple[float, float, float]:
        """Return (x, y, score) of one keypoint."""
        x, y, s = self.keypoints[int(kp)]
        return float(x), float(y), float(s)

    def box_from_keypoints(self, min_score: float = BOX_KEYPOINT_SCORE) -> Box:
        """Return the tight box around keypoints scoring above ``min_score``."""
        return keypoint_box(self.keypoints, min_score)
