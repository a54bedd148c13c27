"""Which pose of a new frame continues which person being followed.

The robot obeys one person, and a pose estimator does not always say who is who: without a
tracker every ``track_id`` is -1, and a tracker loses people and gives them new ids. So a
followed person is continued, in this order, by

* the pose with their track id;
* else the pose whose head and torso keypoints moved least, by at most ``max_shift`` body
  lengths: those do not move when the arms gesture, as a box does;
* else, when those keypoints are hidden, the pose whose box overlaps theirs most, by at
  least ``min_iou``.

A tracked person is never continued by a pose with the id of someone tracked before: two
such ids are two people, however close. A track id newer than every id seen before may
continue them, by head and torso only: the tracker lost them and started a new track for
the same body (BlazePose's box follows the arms, so lowering them from "engage" can cost
the overlap the tracker needs, as the rendered-people benchmark found), and it can give
the old id back a frame later, so every id a person had still continues them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
import math

import numpy as np

from pose_ros.core.checks import check_positive, check_score
from pose_ros.core.geometry import Box, box_iou, pose_box
from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.gestures.features import SHOULDER_TO_TORSO

__all__ = ['ANCHORS', 'ANCHOR_SCORE', 'FollowedPerson', 'Follower', 'body_size']

# Head and torso: they do not move when the arms gesture.
ANCHORS = [int(k) for k in (Keypoint.NOSE, Keypoint.LEFT_SHOULDER, Keypoint.RIGHT_SHOULDER,
                            Keypoint.LEFT_HIP, Keypoint.RIGHT_HIP)]
# Anchors scoring below this are not trusted to say where the person is.
ANCHOR_SCORE = 0.2


def _known_anchors(pose: Pose) -> np.ndarray:
    kp = pose.keypoints[ANCHORS]
    return np.isfinite(kp).all(axis=1) & (kp[:, 2] >= ANCHOR_SCORE)


def body_size(anchors: np.ndarray, box: Box) -> float:
    """Return a body length in pixels: the torso, or the shoulders, else a third of the box.

    Shifts are measured in it, so that ``max_shift`` means the same near and far from the
    camera. The larger of torso and shoulders: a person turned sideways keeps their torso,
    one bending over their shoulders. ``anchors`` holds ANCHORS' (x, y), NaN where never seen.
    """
    shoulders, hips = anchors[[1, 2]].mean(axis=0), anchors[[3, 4]].mean(axis=0)
    torso = float(np.hypot(*(shoulders - hips)))
    width = float(np.hypot(*(anchors[1] - anchors[2])))
    size = max((v for v in (torso, width * SHOULDER_TO_TORSO) if math.isfinite(v)),
               default=0.0)
    return size if size > 1.0 else max(1.0, (box[3] - box[1]) / 3.0)


class FollowedPerson:
    """Someone followed from frame to frame: their track id, head and torso, box, last sighting."""

    def __init__(self, pose: Pose, stamp_s: float) -> None:
        self.track_id = pose.track_id
        # Every id the tracker gave them: ids are never reused.
        self.track_ids: set[int] = set()
        self.anchors = np.full((len(ANCHORS), 2), np.nan)
        self.size = 1.0
        self.box = pose_box(pose)
        self.last_seen_s = stamp_s
        self.see(pose, stamp_s)

    def see(self, pose: Pose, stamp_s: float) -> None:
        """Take ``pose`` as this person's newest sighting."""
        if pose.track_id >= 0:
            self.track_id = pose.track_id
            self.track_ids.add(pose.track_id)
        known = _known_anchors(pose)
        # Anchors not seen this time keep their last position: one missed keypoint must
        # not make the person unrecognisable.
        self.anchors[known] = pose.keypoints[ANCHORS][known, :2]
        self.box = pose_box(pose)
        self.size = body_size(self.anchors, self.box)
        self.last_seen_s = stamp_s

    def shift(self, pose: Pose) -> float | None:
        """How far ``pose`` is from this person, in body lengths; None if incomparable."""
        known = _known_anchors(pose) & ~np.isnan(self.anchors[:, 0])
        if not known.any():
            return None
        d = np.hypot(*(pose.keypoints[ANCHORS][known, :2] - self.anchors[known]).T)
        return float(np.median(d)) / self.size


class Follower:
    """The rules that decide which pose continues which followed person."""

    def __init__(self, max_shift: float = 0.5, min_iou: float = 0.3) -> None:
        self.max_shift = check_positive('max_shift', max_shift, allow_zero=True)
        self.min_iou = check_score('min_iou', min_iou)

    def continuation(self, person: FollowedPerson, poses: Sequence[Pose],
                     taken: Collection[int] = (), newest_track: int | None = None) -> int | None:
        """Index of the pose that continues ``person`` (poses in ``taken`` excluded), or None.

        ``newest_track`` is the highest track id in earlier frames: a pose with a higher id
        is a new track and may continue a tracked person by head and torso. None: never.
        """
        if person.track_id >= 0:
            for ids in ({person.track_id}, person.track_ids):
                for i, pose in enumerate(poses):
                    if i not in taken and pose.track_id in ids:
                        return i

        def renewed(pose: Pose) -> bool:
            return newest_track is not None and pose.track_id > newest_track

        tracked = person.track_id >= 0
        candidates = [i for i, pose in enumerate(poses) if i not in taken and not (
            tracked and pose.track_id >= 0 and not renewed(pose))]
        best, best_shift = None, self.max_shift
        unanchored = []
        for i in candidates:
            shift = person.shift(poses[i])
            if shift is None:
                if not (tracked and poses[i].track_id >= 0):
                    unanchored.append(i)  # a new track only by head and torso
            elif shift <= best_shift:
                best, best_shift = i, shift
        if best is not None or not unanchored:
            return best
        overlap, best_iou = None, self.min_iou
        boxes = np.array([pose_box(poses[i]) for i in unanchored])
        for i, iou in zip(unanchored, box_iou(person.box, boxes)):
            if iou >= best_iou:
                overlap, best_iou = i, iou
        return overlap

    def assign(self, persons: Sequence[FollowedPerson], poses: Sequence[Pose],
               newest_track: int | None = None) -> list[int | None]:
        """Give each person the index of the pose continuing them, or None; each pose once.

        Persons choose in the order given: put the longest followed first, so that a
        duplicate a detection glitch made cannot take the person's pose from them.
        """
        taken: set[int] = set()
        chosen: list[int | None] = []
        for person in persons:
            i = self.continuation(person, poses, taken, newest_track)
            if i is not None:
                taken.add(i)
            chosen.append(i)
        return chosen
