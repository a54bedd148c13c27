"""Per-person, per-gesture state: when a pose becomes a gesture, and when it stops being one.

A single frame never decides anything: conditions must hold for the gesture's hold
time (so a fast swing through a pose does nothing), a failed frame or two shorter
than the gesture's release time does not reset it (detector noise), thresholds are relaxed once a
gesture is pending or held (so a value hovering at a threshold does not flap), and an
unknown result (an occluded or low-score joint) keeps the current state until
``unknown_timeout`` has passed since the conditions were last seen true.
"""

from __future__ import annotations

from dataclasses import dataclass
import enum

from pose_ros.core.checks import check_positive
from pose_ros.core.keypoints import Pose
from pose_ros.gestures.features import FeatureHistory, FeatureSet
from pose_ros.gestures.language import Gesture, GestureSet

_EPS = 1e-6  # timestamps are sums of frame periods: 0.1 s may come out as 0.0999...


class Phase(str, enum.Enum):
    """Gesture event phases, as in pose_ros_msgs/Gesture."""

    STARTED = 'STARTED'
    HELD = 'HELD'
    ENDED = 'ENDED'


class MatchState(str, enum.Enum):
    INACTIVE = 'inactive'
    PENDING = 'pending'
    ACTIVE = 'active'


@dataclass(frozen=True)
class MatchEvent:
    """A phase change of one gesture of a person the matcher does not name."""

    name: str
    phase: Phase
    confidence: float
    stamp_s: float


@dataclass(frozen=True)
class GestureEvent:
    """One gesture phase change of one person, as pose_ros_msgs/Gesture carries it.

    ``person_id`` is the pose's ``track_id`` (-1 for an untracked person); ``confidence`` is
    the mean score of the keypoints the gesture looks at, when its conditions last held.
    """

    name: str
    person_id: int
    confidence: float
    phase: Phase
    stamp_s: float

    @classmethod
    def of(cls, person_id: int, event: MatchEvent) -> GestureEvent:
        """Return ``event`` as made by person ``person_id``."""
        return cls(event.name, int(person_id), event.confidence, event.phase, event.stamp_s)


class GestureMatcher:
    """Hold time, hysteresis and occlusion tolerance for one gesture of one person."""

    def __init__(self, gesture: Gesture, unknown_timeout: float = 0.5) -> None:
        self.gesture = gesture
        self.unknown_timeout = check_positive('unknown_timeout', unknown_timeout, allow_zero=True)
        self.state = MatchState.INACTIVE
        self.since_s = 0.0
        self.last_true_s = 0.0
        self.false_since_s: float | None = None
        self.confidence = 0.0
        self.axes: dict[str, float] = {}

    @property
    def active(self) -> bool:
        return self.state is MatchState.ACTIVE

    def reset(self) -> None:
        self.state = MatchState.INACTIVE
        self.false_since_s = None
        self.axes = {}

    def adopt(self, other: GestureMatcher) -> None:
        """Take over another matcher's timing, so swapping the gesture set keeps what is held."""
        self.state, self.since_s, self.last_true_s = other.state, other.since_s, other.last_true_s
        self.false_since_s = other.false_since_s
        self.confidence = other.confidence
        self.axes = dict(other.axes)

    def update(self, features: FeatureSet, stamp_s: float) -> MatchEvent | None:
        """Feed one frame's features (at this gesture's min score); return a phase change."""
        latched = self.state is not MatchState.INACTIVE
        result = self.gesture.evaluate(features, latched)
        if result is True:
            # Only a true frame ends a streak of false ones: an unknown frame in between
            # must not let an oscillating pose bridge the release time again and again.
            self.false_since_s = None
            self.last_true_s = stamp_s
            self.confidence = features.mean_score(self.gesture.keypoints,
                                                  self.gesture.hand_points)
            self._update_axes(features)
            if self.state is MatchState.INACTIVE:
                self.state, self.since_s = MatchState.PENDING, stamp_s
            if self.state is MatchState.PENDING and stamp_s - self.since_s >= self.gesture.hold_s:
                self.state = MatchState.ACTIVE
                return self._event(Phase.STARTED, stamp_s)
            return self._event(Phase.HELD, stamp_s) if self.active else None
        if result is None and latched and stamp_s - self.last_true_s <= self.unknown_timeout:
            self._update_axes(features)
            return self._event(Phase.HELD, stamp_s) if self.active else None
        if result is False and latched:
            if self.false_since_s is None:
                self.false_since_s = stamp_s
            if stamp_s - self.false_since_s < self.gesture.release_s - _EPS:
                return self._event(Phase.HELD, stamp_s) if self.active else None
        return self.end(stamp_s)

    def end(self, stamp_s: float) -> MatchEvent | None:
        """Drop the gesture at ``stamp_s``; return its end if it was held."""
        was_active = self.active
        self.reset()
        return self._event(Phase.ENDED, stamp_s) if was_active else None

    def _update_axes(self, features: FeatureSet) -> None:
        # A proportional input that is briefly unknown keeps its last value.
        for axis, value in (self.gesture.axes(features) or {}).items():
            if value is not None:
                self.axes[axis] = value
            elif axis not in self.axes:
                self.axes[axis] = 0.0

    def _event(self, phase: Phase, stamp_s: float) -> MatchEvent:
        return MatchEvent(self.gesture.name, phase, self.confidence, stamp_s)


class PersonMatcher:
    """All matchers of one person; computes features once per minimum score per frame.

    Their recent features are kept (``FeatureHistory``) for the speed() feature.
    """

    def __init__(self, gestures: GestureSet, unknown_timeout: float = 0.5,
                 names: tuple[str, ...] | None = None) -> None:
        selected = [g for g in gestures.gestures if names is None or g.name in names]
        self.matchers = {g.name: GestureMatcher(g, unknown_timeout) for g in selected}
        self._history = FeatureHistory()

    def update(self, pose: Pose, stamp_s: float) -> list[MatchEvent]:
        by_score = self._history.measure(
            pose, stamp_s, {m.gesture.min_score for m in self.matchers.values()})
        events = []
        for matcher in self.matchers.values():
            event = matcher.update(by_score[matcher.gesture.min_score], stamp_s)
            if event is not None:
                events.append(event)
        return events

    def active(self) -> list[GestureMatcher]:
        """Held gestures, highest priority first (file order breaks ties)."""
        held = [m for m in self.matchers.values() if m.active]
        return sorted(held, key=lambda m: -m.gesture.priority)

    def is_active(self, name: str) -> bool:
        matcher = self.matchers.get(name)
        return matcher is not None and matcher.active

    def confidence(self, name: str) -> float:
        """Return the confidence of ``name`` when it last matched; 0 if it never did."""
        matcher = self.matchers.get(name)
        return 0.0 if matcher is None else matcher.confidence

    def set_unknown_timeout(self, seconds: float) -> None:
        """How long a held gesture survives frames where its keypoints are not seen."""
        seconds = check_positive('unknown_timeout', seconds, allow_zero=True)
        for matcher in self.matchers.values():
            matcher.unknown_timeout = seconds

    def end_all(self, stamp_s: float) -> list[MatchEvent]:
        """Drop every gesture (the person is gone); return the ends of those held."""
        ended = [m.end(stamp_s) for m in self.matchers.values()]
        return [e for e in ended if e is not None]

    def adopt(self, other: PersonMatcher) -> None:
        self._history = other._history
        for name, matcher in self.matchers.items():
            if name in other.matchers:
                matcher.adopt(other.matchers[name])
