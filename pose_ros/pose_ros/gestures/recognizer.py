"""Gestures of everyone in view, from poses alone: the gesture language without a robot.

``control.Teleop`` decides who commands a robot; a script that only wants to know which
gestures people make (a UI, a game, a logger) needs none of that. This keeps one
``PersonMatcher`` per tracked person and forgets people who stay out of sight::

    recognizer = GestureRecognizer.from_file()   # the shipped gestures, or a path
    for event in recognizer.update(estimator.estimate(rgb, t).poses, t):
        print(event.person_id, event.name, event.phase.value)
"""

from __future__ import annotations

from collections.abc import Sequence
import math
from pathlib import Path

from pose_ros.core.checks import check_positive
from pose_ros.core.keypoints import Pose
from pose_ros.gestures.language import GestureSet, default_gestures_path, load_gestures
from pose_ros.gestures.matcher import GestureEvent, PersonMatcher


class GestureRecognizer:
    """Match every tracked person's poses against a gesture set over time.

    Persons are told apart by ``Pose.track_id`` (``PoseEstimator`` sets it); untracked poses
    (id -1) are taken as one person. A person unseen for ``forget_after_s`` is dropped, and
    the gestures they held end.
    """

    def __init__(self, gestures: GestureSet, forget_after_s: float = 0.5) -> None:
        if not isinstance(gestures, GestureSet):
            raise TypeError(f'gestures must be a GestureSet (see load_gestures), got '
                            f'{type(gestures).__name__}')
        self.gestures = gestures
        self.forget_after_s = check_positive('forget_after_s', forget_after_s)
        self._people: dict[int, tuple[PersonMatcher, float]] = {}

    @classmethod
    def from_file(cls, path: str | Path | None = None,
                  forget_after_s: float = 0.5) -> GestureRecognizer:
        """Load a gestures file, by default the one shipped (see ``default_gestures_path``).

        A mistake in the file raises GestureFileError naming file and line.
        """
        return cls(load_gestures(default_gestures_path() if path is None else path),
                   forget_after_s)

    def update(self, poses: Sequence[Pose], timestamp_s: float) -> list[GestureEvent]:
        """Feed one frame's poses; return the gestures that started, are held or ended."""
        if not math.isfinite(timestamp_s):
            raise ValueError(f'timestamp_s must be finite, got {timestamp_s!r}')
        events: list[GestureEvent] = []
        for pose in poses:
            pid = int(pose.track_id)
            matcher = self._people.get(pid, (None, 0.0))[0]
            if matcher is None:
                matcher = PersonMatcher(self.gestures, self.forget_after_s)
            self._people[pid] = (matcher, timestamp_s)
            events += [GestureEvent.of(pid, e) for e in matcher.update(pose, timestamp_s)]
        for pid, (matcher, seen_s) in list(self._people.items()):
            if timestamp_s - seen_s > self.forget_after_s:
                del self._people[pid]
                events += [GestureEvent.of(pid, e) for e in matcher.end_all(seen_s)]
        return events

    def active(self, person_id: int) -> list[str]:
        """Names of the gestures ``person_id`` holds now, highest priority first."""
        matcher = self._people.get(person_id, (None, 0.0))[0]
        return [] if matcher is None else [m.gesture.name for m in matcher.active()]

    @property
    def person_ids(self) -> list[int]:
        """The track ids of the people followed now, for ``active`` (-1: the untracked)."""
        return sorted(self._people)

    def reset(self) -> None:
        """Forget everyone (a new video, a camera switch)."""
        self._people.clear()
