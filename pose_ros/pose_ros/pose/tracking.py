"""Frame-to-frame person identities, so gestures and smoothing follow one body.

Box overlap (IoU) is enough at camera frame rates: a person moves a small part of
their own size between frames, while two people rarely overlap that much. Greedy
matching, best pair first, is optimal in the common cases (one or two people) and
needs no solver.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pose_ros.core.geometry import Box, iou, pose_box
from pose_ros.core.keypoints import Pose


@dataclasses.dataclass
class _Track:
    track_id: int
    box: Box
    missed: int = 0


class IouTracker:
    """Give each person a stable ``track_id`` across frames.

    Ids are non-negative, increase, and are never reused, so a consumer that sees
    a new id knows it is a new (or re-found) person. A track survives up to
    ``max_missed`` consecutive frames without a match (a missed detection, a
    person briefly occluded); after that the person gets a new id on return.
    """

    def __init__(self, iou_threshold: float = 0.3, max_missed: int = 5) -> None:
        if not 0.0 < float(iou_threshold) <= 1.0:
            raise ValueError(f'iou_threshold must be in (0, 1], got {iou_threshold}')
        if int(max_missed) != max_missed or max_missed < 0:
            raise ValueError(f'max_missed must be an integer >= 0, got {max_missed}')
        self.iou_threshold = float(iou_threshold)
        self.max_missed = int(max_missed)
        self._tracks: list[_Track] = []
        self._next_id = 0

    @property
    def active_ids(self) -> list[int]:
        """Ids of the tracks currently alive (matched or within ``max_missed``)."""
        return [t.track_id for t in self._tracks]

    def reset(self) -> None:
        """Drop all tracks; ids keep increasing so old ones are never handed out again."""
        self._tracks = []

    def update(self, poses: list[Pose]) -> list[Pose]:
        """Return copies of ``poses`` with ``track_id`` set, in the input order."""
        boxes = np.array([pose_box(p) for p in poses], dtype=np.float64).reshape(-1, 4)
        ids = [-1] * len(poses)
        matched_tracks: set[int] = set()
        if self._tracks and len(poses):
            overlap = iou(np.array([t.box for t in self._tracks]), boxes)
            order = np.argsort(-overlap, axis=None, kind='stable')
            for flat in order:
                ti, di = divmod(int(flat), len(poses))
                if overlap[ti, di] < self.iou_threshold:
                    break
                if ti in matched_tracks or ids[di] != -1:
                    continue
                track = self._tracks[ti]
                track.box = tuple(boxes[di])
                track.missed = 0
                ids[di] = track.track_id
                matched_tracks.add(ti)
        survivors = []
        for ti, track in enumerate(self._tracks):
            if ti not in matched_tracks:
                track.missed += 1
                if track.missed > self.max_missed:
                    continue
            survivors.append(track)
        self._tracks = survivors
        for di in range(len(poses)):
            if ids[di] == -1:
                ids[di] = self._next_id
                self._tracks.append(_Track(self._next_id, tuple(boxes[di])))
                self._next_id += 1
        return [dataclasses.replace(p, track_id=i) for p, i in zip(poses, ids, strict=True)]
