"""The safety state machine between gestures and /cmd_vel: who controls, and what is sent.

Everything is driven by explicit times so that every rule can be tested without ROS:
``update()`` is called for each keypoint message (with its stamp and the current
time), ``tick()`` at the publish rate. The rules:

* nothing is ever sent before a person engages (holds the engage gesture);
* only that person (the controller) is obeyed until control is released, followed from
  frame to frame as ``following`` says;
* keypoints stamped more than ``max_age`` from now, or before the last ones taken, are
  ignored, and ``update()`` says why (``Verdict``);
* control is released by the disengage gesture, by not seeing the controller for
  ``lost_timeout`` (also when messages stop altogether: ``tick`` checks), or by
  ``shutdown()``; release is an immediate zero, repeated for ``zero_window`` seconds,
  then silence;
* the controller is seen only in a pose with a usable keypoint that some gesture looks at
  (finite, scoring at least that gesture's ``min_score``): a pose whose keypoints are all
  NaN, infinite or scored 0 still has the controller's track id and box, but nothing in it
  could stop the robot, so it counts as not seeing them;
* while engaged a command (zero when no motion gesture is held) goes out at every
  tick, within the speed and acceleration limits;
* the gesture file's ``follow`` gesture, made by the controller, starts following them
  (``follow_me``): a latch, like engage, so that they can walk. It is refused, with a
  notice, unless their distance can be measured (depth, or a size calibration). While
  following, the command keeps them at the set distance and centred; it ends with an
  immediate zero when they come closer than ``min_distance``, when no distance could be
  measured for ``lost_timeout``, or when they make a motion gesture (which then acts);
  losing them or the disengage gesture release control as always.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import enum
import math

import numpy as np

from pose_ros.control.follow_me import (
    FollowOptions,
    Range,
    body_length_px,
    follow_command,
    measure_range,
)
from pose_ros.control.following import FollowedPerson, Follower
from pose_ros.control.shaping import (
    ZERO,
    Command,
    TeleopLimits,
    ZeroWindow,
    clamp_speed,
    step_toward,
)
from pose_ros.core.checks import check_positive, check_score
from pose_ros.core.keypoints import Pose
from pose_ros.gestures.language import GestureSet
from pose_ros.gestures.matcher import GestureEvent, MatchEvent, PersonMatcher

__all__ = ['Teleop', 'TeleopOptions', 'TeleopState', 'UpdateResult', 'Verdict']

_MAX_CANDIDATES = 32
# Time stepping back further than this (s) is a clock jump: control is released.
CLOCK_JUMP_S = 0.1


@dataclass(frozen=True)
class TeleopOptions:
    """Timing (seconds) and following settings; ``limits`` bound every command.

    ``max_shift`` and ``min_iou`` are the ``following.Follower`` rules: an untracked
    person's head and torso may move at most ``max_shift`` body lengths between two
    sightings; ``min_iou`` is the box overlap used when those keypoints are hidden.
    """

    lost_timeout: float = 0.5
    max_age: float = 0.5
    zero_window: float = 0.5
    publish_rate: float = 20.0
    max_tick_dt: float = 0.1
    min_iou: float = 0.3
    max_shift: float = 0.5
    limits: TeleopLimits = field(default_factory=TeleopLimits)
    follow: FollowOptions = field(default_factory=FollowOptions)

    def __post_init__(self) -> None:
        for name in ('lost_timeout', 'max_age', 'publish_rate', 'max_tick_dt'):
            check_positive(f'TeleopOptions.{name}', getattr(self, name))
        for name in ('zero_window', 'max_shift'):
            check_positive(f'TeleopOptions.{name}', getattr(self, name), allow_zero=True)
        check_score('TeleopOptions.min_iou', self.min_iou)
        if not isinstance(self.limits, TeleopLimits):
            raise ValueError(f'TeleopOptions.limits must be a TeleopLimits, got {self.limits!r}')
        if not isinstance(self.follow, FollowOptions):
            raise ValueError(f'TeleopOptions.follow must be a FollowOptions, got {self.follow!r}')


@dataclass(frozen=True)
class TeleopState:
    """Who controls and what was sent, for a status display or a log.

    ``controller_id`` is the controller's track id (-1 untracked, None when nobody
    controls); ``active_gesture`` the controller's held gesture of highest priority;
    ``last_command`` what ``tick()`` or ``shutdown()`` last returned that was not None;
    ``release_reason`` why control last ended: 'disengage', 'lost', 'keypoints unusable',
    'clock jumped back' or 'shutdown' (None while engaged or before anyone engaged);
    ``following`` whether follow-me is on, and ``follow_range`` the controller's last
    measured range while it is.
    """

    engaged: bool
    controller_id: int | None
    active_gesture: str | None
    last_command: Command | None
    release_reason: str | None
    following: bool = False
    follow_range: Range | None = None


class Verdict(str, enum.Enum):
    """What ``Teleop.update()`` did with a keypoints message."""

    ACCEPTED = 'accepted'
    UNSTAMPED = 'unstamped'        # stamped 0 and so ignored: its images carried no stamp
    STALE = 'stale'                # stamped more than max_age ago
    FUTURE = 'future'              # stamped more than max_age ahead: clocks out of sync
    OUT_OF_ORDER = 'out_of_order'  # stamped before the last message taken


@dataclass(frozen=True)
class UpdateResult:
    """``verdict`` on one keypoints message; ``age_s`` is now minus its stamp."""

    verdict: Verdict
    age_s: float

    @property
    def accepted(self) -> bool:
        return self.verdict is Verdict.ACCEPTED


class _Person(FollowedPerson):
    """A followed person with their gesture matchers."""

    def __init__(self, pose: Pose, stamp_s: float, matcher: PersonMatcher) -> None:
        super().__init__(pose, stamp_s)
        self.matcher = matcher
        # The last message showed this person only in keypoints no gesture can be judged from.
        self.unusable = False


def _needs(gestures: GestureSet) -> list[tuple[np.ndarray, float]]:
    """Per gesture, the keypoints it looks at and the score they need."""
    return [(np.array(sorted(int(k) for k in g.keypoints), dtype=int), max(g.min_score, 1e-6))
            for g in gestures.gestures if g.keypoints]


def _usable(pose: Pose, needs: list[tuple[np.ndarray, float]]) -> bool:
    """Tell whether ``pose`` has a keypoint some gesture could use.

    Not "every keypoint of a gesture": conditions are three-valued and a held gesture
    survives a hidden hand for a moment (see ``matcher``); an arm out of view is not a loss.
    """
    kp = pose.keypoints
    finite = np.isfinite(kp).all(axis=1)
    return any((finite[idx] & (kp[idx, 2] >= min_score)).any() for idx, min_score in needs)


class Teleop:
    """Gestures in, velocity commands out, with engagement and every safety rule."""

    def __init__(self, gestures: GestureSet, options: TeleopOptions | None = None,
                 steady_clock: Callable[[], float] | None = None) -> None:
        """Make the state machine; ``steady_clock`` (e.g. time.monotonic) bounds zero_window.

        All other times come from the caller; the steady clock only ends the zeros after a
        release when the caller's time stands still (see ``ZeroWindow``).
        """
        self._gestures = gestures
        self._needs = _needs(gestures)
        self._options = options or TeleopOptions()
        self._follower = Follower(self._options.max_shift, self._options.min_iou)
        self._zeros = ZeroWindow(self._options.zero_window, steady_clock)
        self._candidates: list[_Person] = []
        self._controller: _Person | None = None
        self._target = ZERO
        self._current = ZERO
        self._active_gesture: str | None = None
        self._last_command: Command | None = None
        self._last_tick_s: float | None = None
        self._last_stamp_s: float | None = None
        self._last_now_s: float | None = None
        self._events: list[GestureEvent] = []
        self._release_reason: str | None = None
        # The highest track id in the messages taken so far: a higher one is a new track.
        self._newest_track = -1
        self._image_width = 0
        self._following = False
        self._follow_range: Range | None = None
        self._range_at: float | None = None     # stamp of the last measured range
        self._follow_asked = False              # the follow gesture is being held
        self._notices: list[str] = []

    # -- public API -----------------------------------------------------------------
    @property
    def gestures(self) -> GestureSet:
        return self._gestures

    @property
    def options(self) -> TeleopOptions:
        return self._options

    @property
    def engaged(self) -> bool:
        return self._controller is not None

    @property
    def state(self) -> TeleopState:
        c = self._controller
        return TeleopState(c is not None, None if c is None else c.track_id,
                           self._active_gesture, self._last_command, self._release_reason,
                           self._following, self._follow_range if self._following else None)

    def drain_events(self) -> list[GestureEvent]:
        """Gesture events since the last call, oldest first, for the node to publish."""
        events, self._events = self._events, []
        return events

    def drain_notices(self) -> list[str]:
        """Say what follow-me did or refused since the last call, for the node's log."""
        notices, self._notices = self._notices, []
        return notices

    def _watch_clock(self, now_s: float) -> None:
        """Release control when time runs backwards, and start over on the new timeline.

        A simulator reset, a looping bag, an NTP step or use_sim_time switched on makes every
        stored time lie in the future: the lost check would never fire and every new frame
        would look out of order, leaving the last command standing. So a jump back is treated
        like losing the person: zeros at once, then an engage is needed again.
        """
        last = self._last_now_s
        if last is not None and now_s < last - CLOCK_JUMP_S:
            if self._controller is not None:
                self._release('clock jumped back', now_s)
            elif self._zeros.active(now_s):
                self._zeros.start(now_s)
            self._candidates = []
            self._last_stamp_s = None
            last = None
        # A smaller step back (clock correction) delays the lost check by at most its size.
        self._last_now_s = now_s if last is None else max(last, now_s)

    def update(self, poses: list[Pose], stamp_s: float, now_s: float,
               image_width: int = 0) -> UpdateResult:
        """Take one keypoint message stamped ``stamp_s`` at ``now_s``; say if it was used.

        ``image_width`` (pixels) of the source image centres the person when following;
        0 (unknown) refuses follow-me.
        """
        if not (math.isfinite(stamp_s) and math.isfinite(now_s)):
            raise ValueError(f'stamp and now must be finite, got {stamp_s!r}, {now_s!r}')
        self._watch_clock(now_s)
        verdict = self._judge(stamp_s, now_s)
        if verdict is not Verdict.ACCEPTED:
            self._check_lost(now_s)
            return UpdateResult(verdict, now_s - stamp_s)
        self._last_stamp_s = stamp_s
        self._image_width = int(image_width)
        newest = self._newest_track
        self._newest_track = max([newest] + [p.track_id for p in poses])
        if self._controller is not None:
            self._update_controller(poses, stamp_s, now_s, newest)
            # A stamp from a clock running ahead must not keep the controller "seen" past now.
            if self._controller is not None:
                self._controller.last_seen_s = min(self._controller.last_seen_s, now_s)
        else:
            self._update_idle(poses, stamp_s, newest)
        self._check_lost(now_s)
        return UpdateResult(Verdict.ACCEPTED, now_s - stamp_s)

    def _judge(self, stamp_s: float, now_s: float) -> Verdict:
        age, max_age = now_s - stamp_s, self._options.max_age
        if abs(age) > max_age:
            # Stamp 0 is within max_age of a simulated clock just started, and then taken.
            return (Verdict.UNSTAMPED if stamp_s == 0.0 else
                    Verdict.STALE if age > 0 else Verdict.FUTURE)
        if self._last_stamp_s is not None and stamp_s < self._last_stamp_s:
            return Verdict.OUT_OF_ORDER
        return Verdict.ACCEPTED

    def tick(self, now_s: float) -> Command | None:
        """Return what to publish now: a command while engaged, zeros after release, else None."""
        self._watch_clock(now_s)
        self._check_lost(now_s)
        if self._controller is not None:
            last = self._last_tick_s if self._last_tick_s is not None else now_s
            dt = min(max(0.0, now_s - last), self._options.max_tick_dt)
            self._last_tick_s = now_s
            self._current = step_toward(self._current, self._target, dt, self._options.limits)
            self._last_command = self._current
            return self._current
        if self._zeros.active(now_s):
            self._last_command = ZERO
            return ZERO
        return None

    def shutdown(self, now_s: float | None = None) -> Command:
        """Release control; the returned zero is what to publish on the way out."""
        if self._controller is not None:
            self._release('shutdown', now_s if now_s is not None else self._controller.last_seen_s)
        self._zeros.cancel()
        self._last_command = ZERO
        return ZERO

    def set_gestures(self, gestures: GestureSet) -> None:
        """Swap the gesture set at run time, keeping engagement and what is held by name."""
        self._gestures = gestures
        self._needs = _needs(gestures)
        timeout = self._options.lost_timeout
        for person in self._persons():
            names = None if person is self._controller else (gestures.engage,)
            matcher = PersonMatcher(gestures, timeout, names)
            matcher.adopt(person.matcher)
            person.matcher = matcher
        if self._following and gestures.follow is None:
            self._stop_following('the new gestures file has no follow gesture', at_once=True)
        if self._controller is not None:
            self._select_target()

    def set_options(self, options: TeleopOptions) -> None:
        """Swap timing and limits at run time; lowered speed limits apply at the next tick."""
        self._options = options
        self._follower = Follower(options.max_shift, options.min_iou)
        self._zeros.duration = options.zero_window
        for person in self._persons():
            person.matcher.set_unknown_timeout(options.lost_timeout)
        self._target = clamp_speed(self._target, options.limits)
        if self._following and self._follow_range is not None:
            if self._follow_range.distance < options.follow.min_distance:
                self._stop_following('closer than the new min_distance', at_once=True)
            else:
                self._select_target()

    # -- internals ------------------------------------------------------------------
    def _persons(self) -> list[_Person]:
        return self._candidates + ([self._controller] if self._controller else [])

    def _emit(self, person: _Person, events: list[MatchEvent]) -> None:
        self._events.extend(GestureEvent.of(person.track_id, e) for e in events)

    def _update_idle(self, poses: list[Pose], stamp_s: float, newest_track: int) -> None:
        seen: list[tuple[_Person, Pose]] = []
        # Longest-followed first: a detection glitch may spawn a duplicate candidate, which
        # must not steal the person (and reset a hold in progress) on the next frame.
        chosen = self._follower.assign(self._candidates, poses, newest_track)
        for person, i in zip(self._candidates, chosen):
            if i is not None:
                person.see(poses[i], stamp_s)
                seen.append((person, poses[i]))
        taken = set(chosen)
        for i, pose in enumerate(poses):
            if i not in taken and len(self._candidates) < _MAX_CANDIDATES:
                person = _Person(pose, stamp_s, PersonMatcher(
                    self._gestures, self._options.lost_timeout, (self._gestures.engage,)))
                self._candidates.append(person)
                seen.append((person, pose))
        self._candidates = [p for p in self._candidates
                            if stamp_s - p.last_seen_s <= self._options.lost_timeout]
        engaging = []
        for person, pose in seen:
            self._emit(person, person.matcher.update(pose, stamp_s))
            if person.matcher.is_active(self._gestures.engage):
                engaging.append(person)
        if engaging:
            engage = self._gestures.engage
            self._engage(max(engaging, key=lambda p: p.matcher.confidence(engage)), stamp_s)

    def _engage(self, person: _Person, stamp_s: float) -> None:
        matcher = PersonMatcher(self._gestures, self._options.lost_timeout)
        matcher.adopt(person.matcher)
        person.matcher = matcher
        self._controller = person
        self._candidates = []
        self._zeros.cancel()
        self._target = self._current = ZERO
        self._last_tick_s = None
        self._active_gesture = self._gestures.engage
        self._release_reason = None

    def _update_controller(self, poses: list[Pose], stamp_s: float, now_s: float,
                           newest_track: int) -> None:
        person = self._controller
        usable = [p for p in poses if _usable(p, self._needs)]
        i = self._follower.continuation(person, usable, newest_track=newest_track)
        if i is None:
            unusable = [p for p in poses if not _usable(p, self._needs)]
            person.unusable = self._follower.continuation(
                person, unusable, newest_track=newest_track) is not None
            if self._following:
                # Not seen, so not where they were: slow down (within the limits) until they
                # are seen again or lost_timeout releases with an immediate zero.
                self._follow_range = None
                self._select_target()
            return
        person.unusable = False
        person.see(usable[i], stamp_s)
        self._emit(person, person.matcher.update(usable[i], stamp_s))
        if person.matcher.is_active(self._gestures.disengage):
            self._release('disengage', now_s)
            return
        self._update_follow(usable[i], stamp_s)
        self._select_target()

    def _update_follow(self, pose: Pose, stamp_s: float) -> None:
        """Start, steer or end follow-me on the controller's newest pose."""
        follow, options = self._gestures.follow, self._options.follow
        matcher = self._controller.matcher
        asked = follow is not None and matcher.is_active(follow)
        newly_asked, self._follow_asked = asked and not self._follow_asked, asked
        where = measure_range(pose, self._image_width, options) if (
            self._following or newly_asked) else None
        if newly_asked and not self._following:
            if where is None:
                self._notices.append(self._refusal(pose))
                return
            if where.distance < options.min_distance:
                self._notices.append(
                    f'follow-me refused: you are {where.distance:.2f} m away, closer than '
                    f'min_distance {options.min_distance} m')
                return
            self._following, self._range_at = True, stamp_s
            self._notices.append(
                f'following person {self._controller.track_id} at {options.distance} m '
                f'(distance from {where.source}; now {where.distance:.2f} m)')
        if not self._following:
            return
        if any(m.gesture.command is not None for m in matcher.active()):
            self._stop_following('a motion gesture took over', at_once=False)
            return
        if where is None:
            self._follow_range = None
            if stamp_s - self._range_at > self._options.lost_timeout:
                self._stop_following(f'no distance for {self._options.lost_timeout} s',
                                     at_once=True)
            return
        self._follow_range, self._range_at = where, stamp_s
        if where.distance < options.min_distance:
            self._stop_following(f'person {where.distance:.2f} m away, closer than '
                                 f'min_distance {options.min_distance} m', at_once=True)

    def _refusal(self, pose: Pose) -> str:
        if self._image_width <= 0:
            return 'follow-me refused: the keypoints do not say the image width'
        length = body_length_px(pose, self._options.follow.min_score)
        size = ('' if length is None else
                f'; your body length is {length:.0f} px now: standing D m away, set '
                f'follow_calibration to D x {length:.0f}')
        return ('follow-me refused: no distance to you. Depth gave no torso positions '
                '(pose_node use_depth) and follow_calibration is 0' + size
                if self._options.follow.calibration <= 0.0 else
                'follow-me refused: no distance to you. Depth gave no torso positions and '
                'your torso is not seen well enough to measure its size')

    def _stop_following(self, why: str, at_once: bool) -> None:
        """End follow-me; ``at_once``: the command drops to zero now, not within the limits."""
        self._following, self._follow_range, self._range_at = False, None, None
        self._notices.append(f'following ended: {why}')
        if at_once:
            self._target = self._current = ZERO

    def _select_target(self) -> None:
        active = self._controller.matcher.active()
        self._active_gesture = active[0].gesture.name if active else None
        moving = [m for m in active if m.gesture.command is not None]
        if moving:
            axes = moving[0].axes
            self._target = clamp_speed(Command(**{a: axes.get(a, 0.0) for a in
                                                  ('linear_x', 'linear_y', 'angular_z')}),
                                       self._options.limits)
        elif self._following:
            if self._active_gesture is None:
                self._active_gesture = self._gestures.follow
            self._target = ZERO if self._follow_range is None else clamp_speed(
                follow_command(self._follow_range, self._options.follow), self._options.limits)
        else:
            self._target = ZERO

    def _check_lost(self, now_s: float) -> None:
        c = self._controller
        if c is not None and now_s - c.last_seen_s > self._options.lost_timeout:
            self._release('keypoints unusable' if c.unusable else 'lost', now_s)

    def _release(self, reason: str, now_s: float) -> None:
        person = self._controller
        self._emit(person, person.matcher.end_all(person.last_seen_s))
        self._controller = None
        self._candidates = []
        self._target = self._current = ZERO
        if self._following:
            self._notices.append(f'following ended: released ({reason})')
        self._following, self._follow_range, self._follow_asked = False, None, False
        self._active_gesture = None
        self._last_tick_s = None
        self._release_reason = reason
        self._zeros.start(now_s)

