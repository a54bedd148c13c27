"""Convert between the library's ``Pose`` and the pose_ros_msgs messages.

Kept apart from the nodes so that both directions are tested against each other without
spinning anything, and so that users' own nodes can turn a PersonArray back into poses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from std_msgs.msg import Header

from pose_ros.core.keypoints import NUM_KEYPOINTS, Pose
from pose_ros_msgs.msg import Keypoint, Person, PersonArray

# The ids never change: build them once instead of per keypoint per frame.
_IDS = range(NUM_KEYPOINTS)


def pose_to_person(pose: Pose) -> Person:
    kp = pose.keypoints.tolist()
    return Person(
        id=int(pose.track_id), score=float(pose.score),
        x_min=float(pose.box[0]), y_min=float(pose.box[1]),
        x_max=float(pose.box[2]), y_max=float(pose.box[3]),
        keypoints=[Keypoint(id=i, x=x, y=y, score=s) for i, (x, y, s) in zip(_IDS, kp)])


def poses_to_msg(poses: Sequence[Pose], header: Header, width: int, height: int,
                 model: str) -> PersonArray:
    """Build the /pose/keypoints message, keeping the source image's header unchanged."""
    return PersonArray(header=header, image_width=int(width), image_height=int(height),
                       model=model, persons=[pose_to_person(p) for p in poses])


def person_to_pose(person: Person) -> Pose:
    """Turn a Person back into a Pose; missing or out-of-order keypoints get score 0.

    Messages may come from other publishers than our pose node, so a keypoint is placed by its
    id, not its position in the list, and unknown ids are ignored rather than trusted.
    """
    kp = np.zeros((NUM_KEYPOINTS, 3), dtype=np.float32)
    for k in person.keypoints:
        if k.id < NUM_KEYPOINTS:
            kp[k.id] = (k.x, k.y, k.score)
    return Pose(keypoints=kp, score=float(person.score),
                box=(float(person.x_min), float(person.y_min),
                     float(person.x_max), float(person.y_max)),
                track_id=int(person.id))


def msg_to_poses(msg: PersonArray) -> list[Pose]:
    return [person_to_pose(p) for p in msg.persons]
