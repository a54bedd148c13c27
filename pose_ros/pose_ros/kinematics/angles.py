"""Joint angles of one person in one frame: shoulders, elbows, hips and knees, in degrees.

What a robot can do with a person's posture (count repetitions, check a reach, log a
range of motion) needs angles that mean the same on every body and at every distance, so
each one is measured between body segments, never against the image axes:

* elbow: the angle at the elbow between the upper arm (elbow -> shoulder) and the forearm
  (elbow -> wrist). 180 = straight arm, 90 = bent at a right angle; smaller = more bent.
* knee: the same at the knee, between thigh (knee -> hip) and shin (knee -> ankle).
  180 = straight leg.
* shoulder: the angle between the upper arm (shoulder -> elbow) and the torso's down axis
  (shoulder centre -> hip centre). 0 = arm hanging along the body, 90 = held out level
  (to the side or to the front: abduction and flexion are not told apart), 180 = straight
  up.
* hip: the angle between the thigh (hip -> knee) and the torso's down axis. 0 = standing
  straight, 90 = thigh level (sitting, or a leg raised to the front or side).

Left and right are the person's own. All four are unsigned, 0..180: a limb passing
straight overhead or behind the body reads as turning back, not as going on.

Each angle is measured in 3D (``Space.CAMERA``) when every joint it needs has a 3D position
(``Pose.positions``, metres), with the gesture features' 3D kinds (``angle3d`` and
``elevation3d``, which need both shoulders and both hips for the torso's down axis): then
it is the body's true angle whichever way the person faces. Otherwise it is measured in the
image plane (``Space.IMAGE``) with the gesture
features' own definitions (``angle`` and ``elevation`` in ``gestures/features.py``, where the
torso's down axis falls back to the perpendicular of the shoulder line when the hips are
not seen). An image-plane angle is only the body's angle when the limbs lie across the
line of sight: for a person turned sideways, or an arm pointing at the camera, it is the
angle of the limbs' shadow on the image, and can be anything. A joint needs every keypoint
it uses to score at least ``min_score``; otherwise it is unknown: NaN, never 0, so that a
missed joint can never read as a straight or hanging limb.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from pose_ros.core.checks import check_score
from pose_ros.core.keypoints import Pose
from pose_ros.gestures.features import FeatureSet, FeatureSpec, parse_feature


class Joint(IntEnum):
    """The joints measured, identical to the constants in ``pose_ros_msgs/msg/JointAngle``."""

    LEFT_SHOULDER = 0
    RIGHT_SHOULDER = 1
    LEFT_ELBOW = 2
    RIGHT_ELBOW = 3
    LEFT_HIP = 4
    RIGHT_HIP = 5
    LEFT_KNEE = 6
    RIGHT_KNEE = 7


NUM_JOINTS = len(Joint)


class Space(IntEnum):
    """Where an angle was measured, identical to the constants in ``JointAngle``."""

    UNKNOWN = 0   # not measured: some keypoint it needs is missing
    IMAGE = 1     # in the image plane, from pixels
    CAMERA = 2    # in 3D, from positions in metres


# Each joint as a gesture feature: the image-plane value is that feature, and the 3D value
# is the same geometry on positions.
JOINT_FEATURES: dict[Joint, FeatureSpec] = {
    Joint.LEFT_SHOULDER: parse_feature('elevation(left_shoulder, left_elbow)'),
    Joint.RIGHT_SHOULDER: parse_feature('elevation(right_shoulder, right_elbow)'),
    Joint.LEFT_ELBOW: parse_feature('angle(left_shoulder, left_elbow, left_wrist)'),
    Joint.RIGHT_ELBOW: parse_feature('angle(right_shoulder, right_elbow, right_wrist)'),
    Joint.LEFT_HIP: parse_feature('elevation(left_hip, left_knee)'),
    Joint.RIGHT_HIP: parse_feature('elevation(right_hip, right_knee)'),
    Joint.LEFT_KNEE: parse_feature('angle(left_hip, left_knee, left_ankle)'),
    Joint.RIGHT_KNEE: parse_feature('angle(right_hip, right_knee, right_ankle)'),
}
# ... and the 3D value is the same feature's 3D kind (``elevation3d``, ``angle3d``).
JOINT_FEATURES_3D: dict[Joint, FeatureSpec] = {
    joint: FeatureSpec(f'{spec.kind}3d', spec.points) for joint, spec in JOINT_FEATURES.items()}
DEFAULT_MIN_SCORE = 0.3


def _nan() -> np.ndarray:
    return np.full(NUM_JOINTS, np.nan)


def _unknown() -> np.ndarray:
    return np.zeros(NUM_JOINTS, np.uint8)


@dataclass(frozen=True)
class PersonKinematics:
    """One person's joint angles in one frame, and how fast each is changing.

    Arrays are indexed by ``Joint``: ``angles`` in degrees (0..180), ``velocities`` in
    degrees per second (positive = the angle grows), ``spaces`` the ``Space`` each angle was
    measured in. Unknown values are NaN with space ``UNKNOWN``; a velocity is also NaN when
    the person has not been seen long enough (see ``KinematicsTracker``).
    """

    track_id: int = -1
    angles: np.ndarray = field(default_factory=_nan)
    velocities: np.ndarray = field(default_factory=_nan)
    spaces: np.ndarray = field(default_factory=_unknown)

    def angle(self, joint: Joint) -> float:
        return float(self.angles[int(joint)])

    def velocity(self, joint: Joint) -> float:
        return float(self.velocities[int(joint)])

    def space(self, joint: Joint) -> Space:
        return Space(int(self.spaces[int(joint)]))


def joint_angles(pose: Pose, min_score: float = DEFAULT_MIN_SCORE) -> PersonKinematics:
    """Measure ``pose``'s joint angles, in 3D where it has positions; no velocities.

    Keypoints scoring below ``min_score`` are unknown, in 3D as in the image: a position
    lifted from depth at a guessed pixel is a guess too.
    """
    min_score = check_score('min_score', min_score)
    angles, spaces = _nan(), _unknown()
    features = FeatureSet(pose, min_score)
    for joint, spec in JOINT_FEATURES.items():
        for space, feature in ((Space.CAMERA, JOINT_FEATURES_3D[joint]), (Space.IMAGE, spec)):
            value = features[feature]
            if value is not None:
                angles[joint], spaces[joint] = value, space
                break
    return PersonKinematics(int(pose.track_id), angles, _nan(), spaces)
