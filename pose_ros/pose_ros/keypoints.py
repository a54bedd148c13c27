"""The COCO-17 keypoint vocabulary shared by the pose models, the messages and the gestures.

Every model family is mapped onto these 17 points so that gestures, messages and
users' own nodes never depend on which network produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

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


def _empty_keypoints() -> np.ndarray:
    return np.zeros((NUM_KEYPOINTS, 3), dtype=np.float32)


@dataclass
class Pose:
    """One person as every model family reports it, in source-image pixels.

    ``keypoints`` is a float32 array of shape (17, 3) holding (x, y, score) per
    COCO keypoint; a keypoint the model did not find has score 0. ``box`` is
    (x_min, y_min, x_max, y_max). ``track_id`` is -1 until a tracker assigns one.
    """

    keypoints: np.ndarray = field(default_factory=_empty_keypoints)
    score: float = 0.0
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    track_id: int = -1

    def __post_init__(self) -> None:
        kp = np.asarray(self.keypoints, dtype=np.float32)
        if kp.shape != (NUM_KEYPOINTS, 3):
            raise ValueError(
                f'Pose.keypoints must have shape ({NUM_KEYPOINTS}, 3), got {kp.shape}')
        self.keypoints = kp

    def point(self, kp: Keypoint) -> tuple[float, float, float]:
        """Return (x, y, score) of one keypoint."""
        x, y, s = self.keypoints[int(kp)]
        return float(x), float(y), float(s)

    def box_from_keypoints(self, min_score: float = 0.0) -> tuple[float, float, float, float]:
        """Return the tight box around keypoints scoring above ``min_score``."""
        visible = self.keypoints[self.keypoints[:, 2] > min_score]
        if len(visible) == 0:
            return (0.0, 0.0, 0.0, 0.0)
        return (float(visible[:, 0].min()), float(visible[:, 1].min()),
                float(visible[:, 0].max()), float(visible[:, 1].max()))


def clip_box(box: tuple[float, float, float, float], width: int,
             height: int) -> tuple[float, float, float, float]:
    """Clamp ``box`` to the pixels of a ``width`` x ``height`` image.

    Models extend boxes over joints they guess outside the frame; a box is reported as the
    part of the image the person covers, so every value is a pixel coordinate of the image.
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    xmax, ymax = float(width - 1), float(height - 1)
    return (min(max(x0, 0.0), xmax), min(max(y0, 0.0), ymax),
            min(max(x1, 0.0), xmax), min(max(y1, 0.0), ymax))
