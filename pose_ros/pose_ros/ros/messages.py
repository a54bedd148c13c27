"""Convert between the library's ``Pose`` and the pose_ros_msgs messages.

Kept apart from the nodes so that both directions are tested against each other without
spinning anything, and so that users' own nodes can turn a PersonArray back into poses.
"""

from __future__ import annotations

from collections.abc import Sequence

from geometry_msgs.msg import Point
import numpy as np
from std_msgs.msg import Header

from pose_ros.core.hand import NUM_HAND_KEYPOINTS, Handedness, HandPose
from pose_ros.core.keypoints import NUM_KEYPOINTS, Pose
from pose_ros.kinematics import NUM_JOINTS, PersonKinematics, Space
from pose_ros_msgs.msg import (
    Hand,
    JointAngle,
    Keypoint,
    KinematicsArray,
    Person,
    PersonArray,
)
from pose_ros_msgs.msg import PersonKinematics as PersonKinematicsMsg

# The ids never change: build them once instead of per keypoint per frame.
_IDS = range(NUM_KEYPOINTS)
_HAND_IDS = range(NUM_HAND_KEYPOINTS)
_SIDES = {int(s) for s in Handedness}


def _keypoints(ids: range, keypoints: np.ndarray, positions: np.ndarray | None
               ) -> list[Keypoint]:
    """Keypoint messages of (N, 3) x, y, score; rows with finite positions get one."""
    out = [Keypoint(id=i, x=x, y=y, score=s) for i, (x, y, s) in zip(ids, keypoints.tolist())]
    if positions is not None:
        for i in np.flatnonzero(np.isfinite(positions).all(axis=1)):
            x, y, z = (float(v) for v in positions[i])
            out[i].position = Point(x=x, y=y, z=z)
            out[i].has_position = True
    return out


def _read_keypoints(keypoints: Sequence[Keypoint], count: int
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """Place keypoint messages by id: (count, 3) x, y, score and positions (None: none).

    Messages may come from other publishers than our pose node, so a keypoint is placed by its
    id, not its position in the list, and unknown ids are ignored rather than trusted.
    """
    kp = np.zeros((count, 3), dtype=np.float32)
    positions = np.full((count, 3), np.nan)
    for k in keypoints:
        if k.id < count:
            kp[k.id] = (k.x, k.y, k.score)
            if k.has_position:
                positions[k.id] = (k.position.x, k.position.y, k.position.z)
    # No position at all (no depth): None, as the models give it, rather than all NaN.
    has_any = bool(np.isfinite(positions).all(axis=1).any())
    return kp, positions if has_any else None


def hand_to_msg(hand: HandPose) -> Hand:
    """Build one Hand; landmarks with a finite ``hand.positions`` row get ``has_position``."""
    return Hand(side=int(hand.side), score=float(hand.score),
                handedness_score=float(hand.handedness_score),
                keypoints=_keypoints(_HAND_IDS, hand.keypoints, hand.positions))


def msg_to_hand(msg: Hand) -> HandPose | None:
    """Turn a Hand back into a HandPose; None for a side this version does not know."""
    if msg.side not in _SIDES:
        return None
    kp, positions = _read_keypoints(msg.keypoints, NUM_HAND_KEYPOINTS)
    return HandPose(Handedness(msg.side), kp, float(msg.score), float(msg.handedness_score),
                    positions)


def pose_to_person(pose: Pose) -> Person:
    """Build one Person; joints with a finite ``pose.positions`` row get ``has_position``."""
    return Person(
        id=int(pose.track_id), score=float(pose.score),
        x_min=float(pose.box[0]), y_min=float(pose.box[1]),
        x_max=float(pose.box[2]), y_max=float(pose.box[3]),
        keypoints=_keypoints(_IDS, pose.keypoints, pose.positions),
        hands=[hand_to_msg(h) for h in sorted(pose.hands, key=lambda h: h.side)])


def poses_to_msg(poses: Sequence[Pose], header: Header, width: int, height: int,
                 model: str) -> PersonArray:
    """Build the /pose/keypoints message, keeping the source image's header unchanged."""
    return PersonArray(header=header, image_width=int(width), image_height=int(height),
                       model=model, persons=[pose_to_person(p) for p in poses])


def person_to_pose(person: Person) -> Pose:
    """Turn a Person back into a Pose; missing or out-of-order keypoints get score 0.

    Keypoints with ``has_position`` fill ``Pose.positions`` (NaN for the others); a person
    with none gets ``positions`` None. Hands likewise (landmarks by id); a hand of an unknown
    side, or a second hand of one side (only the first is kept), is dropped rather than
    trusted.
    """
    kp, positions = _read_keypoints(person.keypoints, NUM_KEYPOINTS)
    hands: dict[Handedness, HandPose] = {}
    for msg in person.hands:
        hand = msg_to_hand(msg)
        if hand is not None:
            hands.setdefault(hand.side, hand)
    return Pose(keypoints=kp, score=float(person.score),
                box=(float(person.x_min), float(person.y_min),
                     float(person.x_max), float(person.y_max)),
                track_id=int(person.id), positions=positions, hands=tuple(hands.values()))


def msg_to_poses(msg: PersonArray) -> list[Pose]:
    return [person_to_pose(p) for p in msg.persons]


def person_kinematics_to_msg(person: PersonKinematics) -> PersonKinematicsMsg:
    """Build one PersonKinematics; unknown values stay NaN with space UNKNOWN."""
    joints = [JointAngle(joint=i, angle=float(a), velocity=float(v), space=int(s))
              for i, (a, v, s) in enumerate(zip(person.angles.tolist(),
                                                person.velocities.tolist(),
                                                person.spaces.tolist()))]
    return PersonKinematicsMsg(person_id=int(person.track_id), joints=joints)


def kinematics_to_msg(persons: Sequence[PersonKinematics], header: Header) -> KinematicsArray:
    """Build the pose/kinematics message, keeping the source image's header unchanged."""
    return KinematicsArray(header=header,
                           persons=[person_kinematics_to_msg(p) for p in persons])


def msg_to_person_kinematics(msg: PersonKinematicsMsg) -> PersonKinematics:
    """Turn a PersonKinematics message back into the library's result.

    As for keypoints, joints are placed by id and unknown ids are ignored; a joint missing
    from the message, or with a space this version does not know, is unknown (NaN).
    """
    angles, velocities = np.full(NUM_JOINTS, np.nan), np.full(NUM_JOINTS, np.nan)
    spaces = np.zeros(NUM_JOINTS, np.uint8)
    known_spaces = {int(s) for s in Space}
    for j in msg.joints:
        if j.joint < NUM_JOINTS and j.space in known_spaces and j.space != Space.UNKNOWN:
            angles[j.joint], velocities[j.joint], spaces[j.joint] = j.angle, j.velocity, j.space
    return PersonKinematics(int(msg.person_id), angles, velocities, spaces)


def msg_to_kinematics(msg: KinematicsArray) -> list[PersonKinematics]:
    return [msg_to_person_kinematics(p) for p in msg.persons]
