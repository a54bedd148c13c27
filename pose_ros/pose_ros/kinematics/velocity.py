"""Joint angular velocities, per tracked person, from successive frames of their angles.

A velocity compares a person's angles now with the same person's (``track_id``) newest
frame at least ``window_s`` older: one frame apart the jitter the smoother leaves would be
divided by a thirtieth of a second, so by default a tenth of a second is spanned (three
frames at 30 Hz); for a joint moving at a steady rate the result is that rate whatever the
window. It is unknown (NaN) rather than guessed:

* for a person without a track id (-1) or sharing one with another person in the frame:
  two bodies' angles cannot be told apart;
* until the person has been seen for ``window_s``, and when the frame compared with is more
  than ``max_gap_s`` old (a long gap: the joint may have gone anywhere meanwhile);
* for a joint unknown in either frame, or measured in 3D in one and in the image plane in
  the other (the two differ by the limb's foreshortening, not by any motion);
* after time went back (a bag replayed from its start, a clock reset): what the track saw
  before is not this person's past, so it is forgotten.

State is bounded: at most ``max_tracks`` persons, each with the frames of the last
``window_s`` and one older; a person not seen for ``max_gap_s`` is forgotten, since none of
their frames could be used any more.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Sequence
import dataclasses
import math

import numpy as np

from pose_ros.core.checks import check_int, check_positive, check_score
from pose_ros.core.keypoints import Pose
from pose_ros.kinematics.angles import DEFAULT_MIN_SCORE, PersonKinematics, Space, joint_angles

DEFAULT_WINDOW_S = 0.1
DEFAULT_MAX_GAP_S = 0.5
DEFAULT_MAX_TRACKS = 32
# Frames kept per person at most, whatever the frame rate: bounds memory on a fast source.
MAX_FRAMES_PER_TRACK = 256
_EPS = 1e-9


class KinematicsTracker:
    """Joint angles and their velocities for every person, frame after frame.

    Feed it each frame's (smoothed, tracked) poses with the frame's stamp, in seconds.
    """

    def __init__(self, min_score: float = DEFAULT_MIN_SCORE,
                 window_s: float = DEFAULT_WINDOW_S, max_gap_s: float = DEFAULT_MAX_GAP_S,
                 max_tracks: int = DEFAULT_MAX_TRACKS) -> None:
        self.min_score = check_score('min_score', min_score)
        self.window_s = check_positive('window_s', window_s, allow_zero=True)
        self.max_gap_s = check_positive('max_gap_s', max_gap_s)
        if self.max_gap_s < self.window_s:
            raise ValueError(f'max_gap_s ({max_gap_s}) must be at least window_s '
                             f'({window_s}): no frame could ever be compared')
        self.max_tracks = check_int('max_tracks', max_tracks, 1)
        # track id -> frames (stamp, angles, spaces), oldest first; least recently seen first.
        self._tracks: OrderedDict[int, deque[tuple[float, np.ndarray, np.ndarray]]] = \
            OrderedDict()

    @property
    def track_ids(self) -> list[int]:
        """The persons remembered, least recently seen first."""
        return list(self._tracks)

    def reset(self) -> None:
        """Forget everybody, e.g. after a camera switch."""
        self._tracks.clear()

    def update(self, poses: Sequence[Pose], stamp_s: float) -> list[PersonKinematics]:
        """Return each pose's kinematics, in the order given, and remember the frame."""
        stamp_s = float(stamp_s)
        if not math.isfinite(stamp_s):
            raise ValueError(f'stamp_s must be a finite number of seconds, got {stamp_s!r}')
        self._forget(stamp_s)
        ids = [int(p.track_id) for p in poses]
        out: list[PersonKinematics] = []
        seen: set[int] = set()
        for pose, track_id in zip(poses, ids):
            now = joint_angles(pose, self.min_score)
            if track_id < 0 or ids.count(track_id) > 1:
                out.append(now)
                continue
            frames = self._frames_for(track_id, seen)
            seen.add(track_id)
            if frames is None:      # more persons in this frame than max_tracks
                out.append(now)
                continue
            out.append(dataclasses.replace(
                now, velocities=self._velocities(frames, stamp_s, now)))
            if frames and frames[-1][0] >= stamp_s - _EPS:
                frames.pop()        # the same instant twice: keep the newer measurement
            frames.append((stamp_s, now.angles, now.spaces))
        return out

    # -- state ------------------------------------------------------------------------
    def _forget(self, stamp_s: float) -> None:
        for track_id in list(self._tracks):
            newest = self._tracks[track_id][-1][0]
            # Time went back (newest in the future), or not seen for too long.
            if newest > stamp_s + _EPS or stamp_s - newest > self.max_gap_s + _EPS:
                del self._tracks[track_id]

    def _frames_for(self, track_id: int, seen: set[int]
                    ) -> deque[tuple[float, np.ndarray, np.ndarray]] | None:
        frames = self._tracks.get(track_id)
        if frames is not None:
            self._tracks.move_to_end(track_id)
            return frames
        if len(self._tracks) >= self.max_tracks:
            oldest = next(iter(self._tracks))
            if oldest in seen:      # every remembered person is in this very frame
                return None
            del self._tracks[oldest]
        frames = deque(maxlen=MAX_FRAMES_PER_TRACK)
        self._tracks[track_id] = frames
        return frames

    def _velocities(self, frames: deque[tuple[float, np.ndarray, np.ndarray]],
                    stamp_s: float, now: PersonKinematics) -> np.ndarray:
        # Frames older than the newest one far enough back are never compared again.
        while len(frames) >= 2 and self._far_enough(stamp_s - frames[1][0]):
            frames.popleft()
        velocities = np.full(now.angles.shape, np.nan)
        if not frames:
            return velocities
        then, angles, spaces = frames[0]
        dt = stamp_s - then
        if not self._far_enough(dt) or dt > self.max_gap_s + _EPS:
            return velocities
        same = (spaces == now.spaces) & (now.spaces != Space.UNKNOWN)
        velocities[same] = (now.angles[same] - angles[same]) / dt
        return velocities

    def _far_enough(self, dt: float) -> bool:
        """Tell whether a frame ``dt`` seconds old spans the window (and any time at all)."""
        return dt >= self.window_s - _EPS and dt > _EPS
