"""Follow me: how far away the controller is, and the command that keeps them in place.

A robot that follows a person has to know the distance, not guess it. It comes from one
of two places, and with neither, following is refused:

* **depth** (pose_node ``use_depth``): the mean 3D position of the torso joints (shoulders
  and hips, at least two of them, each scoring at least ``min_score``); the distance is
  its range along the floor, ``hypot(x, z)`` in the camera's optical frame, which is the
  distance to the person for a camera mounted level.
* **apparent size**, calibrated: a person twice as far looks half as big, so the distance
  is ``calibration / body_length_px``, where the body length is the one the gestures use
  (torso length, or the shoulder width times ``SHOULDER_TO_TORSO`` when the hips are
  hidden). ``calibration`` is the person's body length in pixels times their distance in
  metres, measured once: stand a known distance ``D`` away, make the follow gesture, and
  the refusal message gives the body length ``L`` in pixels; set ``D * L``. It holds for
  that person and that camera and image size; a taller person reads nearer.

The command is proportional: forward at ``gain_linear`` (m/s per metre) beyond
``distance`` (minus a dead band of ``DISTANCE_DEAD_BAND_M``), never backward (the robot
cannot see behind itself, and a person walking up to it wants it to stay), and turning at
``gain_angular`` (rad/s at the image edge) toward the side of the image the person's torso
is on, outside a dead band of ``CENTRE_DEAD_BAND`` half-widths. The teleop's speed and
acceleration limits bound both.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from pose_ros.control.shaping import Command
from pose_ros.core.checks import check_positive, check_score
from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.gestures.features import FeatureSet

__all__ = ['CENTRE_DEAD_BAND', 'DISTANCE_DEAD_BAND_M', 'FollowOptions', 'Range', 'body_length_px',
           'follow_command', 'measure_range']

TORSO = np.array([int(k) for k in (Keypoint.LEFT_SHOULDER, Keypoint.RIGHT_SHOULDER,
                                   Keypoint.LEFT_HIP, Keypoint.RIGHT_HIP)])
# Within this much of the set distance (m) the robot does not creep forward ...
DISTANCE_DEAD_BAND_M = 0.05
# ... and within this fraction of the half image width of the centre it does not turn.
CENTRE_DEAD_BAND = 0.05


@dataclass(frozen=True)
class FollowOptions:
    """Where to keep the person (m), how hard to steer, and the apparent-size calibration.

    ``calibration`` 0 means none: then only depth gives a distance.
    """

    distance: float = 1.5
    min_distance: float = 0.8
    gain_linear: float = 0.5
    gain_angular: float = 1.0
    calibration: float = 0.0
    min_score: float = 0.3

    def __post_init__(self) -> None:
        for name in ('distance', 'min_distance', 'gain_linear', 'gain_angular'):
            check_positive(f'FollowOptions.{name}', getattr(self, name))
        check_positive('FollowOptions.calibration', self.calibration, allow_zero=True)
        check_score('FollowOptions.min_score', self.min_score)
        if self.min_distance >= self.distance:
            raise ValueError(f'FollowOptions.min_distance ({self.min_distance}) must be less '
                             f'than distance ({self.distance})')


@dataclass(frozen=True)
class Range:
    """Where the person is, as the controller needs it.

    ``distance`` in metres; ``offset`` from the image centre in half widths (-1 left edge,
    +1 right edge); ``source`` 'depth' or 'size'.
    """

    distance: float
    offset: float
    source: str


def _torso_known(pose: Pose, min_score: float) -> np.ndarray:
    kp = pose.keypoints[TORSO]
    return np.isfinite(kp).all(axis=1) & (kp[:, 2] >= min_score)


def body_length_px(pose: Pose, min_score: float) -> float | None:
    """Pixels per body length, as the gesture features measure it; None when unknown."""
    return FeatureSet(pose, min_score).body_length


def measure_range(pose: Pose, image_width: int, options: FollowOptions) -> Range | None:
    """Measure how far ``pose`` is and how far off centre; None when neither source can."""
    if image_width <= 0:
        return None
    seen = _torso_known(pose, options.min_score)
    if not seen.any():
        return None
    u = float(np.mean(pose.keypoints[TORSO][seen, 0]))
    offset = max(-1.0, min(1.0, (u - 0.5 * image_width) / (0.5 * image_width)))
    if pose.positions is not None:
        xyz = pose.positions[TORSO]
        placed = seen & np.isfinite(xyz).all(axis=1)
        if placed.sum() >= 2:
            x, _, z = np.mean(xyz[placed], axis=0)
            if z > 0.0:
                return Range(math.hypot(float(x), float(z)), offset, 'depth')
    if options.calibration > 0.0:
        length = body_length_px(pose, options.min_score)
        if length is not None and length > 1.0:
            return Range(options.calibration / length, offset, 'size')
    return None


def _beyond(value: float, band: float) -> float:
    """Return ``value`` less the dead band, 0 inside it: no jump where the band ends."""
    return math.copysign(max(0.0, abs(value) - band), value)


def follow_command(where: Range, options: FollowOptions) -> Command:
    """Return the command that brings the person to ``options.distance``, centred."""
    forward = max(0.0, options.gain_linear * _beyond(where.distance - options.distance,
                                                     DISTANCE_DEAD_BAND_M))
    # A person right of centre: turn right, which is negative angular_z (REP 103).
    turn = -options.gain_angular * _beyond(where.offset, CENTRE_DEAD_BAND)
    return Command(linear_x=forward, angular_z=turn)
