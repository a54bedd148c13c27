"""What may reach the robot: speed and acceleration limits, and the zeros sent on stopping.

The limits are the last word: whatever a gesture file asks for is clamped here, so
a typo in a YAML file cannot drive a robot faster than the node's parameters allow.
Acceleration limits smooth commands only while engaged; stopping is always an
immediate zero, never a ramp (see ``ZeroWindow``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
import math

from pose_ros.core.checks import check_positive


@dataclass(frozen=True)
class Command:
    """A velocity command in the robot's base frame (m/s, rad/s), as in a Twist."""

    linear_x: float = 0.0
    linear_y: float = 0.0
    angular_z: float = 0.0

    @property
    def is_zero(self) -> bool:
        return self.linear_x == 0.0 and self.linear_y == 0.0 and self.angular_z == 0.0


ZERO = Command()


@dataclass(frozen=True)
class TeleopLimits:
    """Hard speed (m/s, rad/s) and acceleration (m/s^2, rad/s^2) bounds, per axis."""

    max_linear_x: float = 0.5
    max_linear_y: float = 0.3
    max_angular_z: float = 1.0
    max_linear_accel: float = 0.5
    max_angular_accel: float = 1.5

    def __post_init__(self) -> None:
        for f in fields(self):
            check_positive(f'TeleopLimits.{f.name}', getattr(self, f.name), allow_zero=True)


def _clamp(value: float, bound: float) -> float:
    return max(-bound, min(bound, value))


def clamp_speed(command: Command, limits: TeleopLimits) -> Command:
    """Clamp each axis to its maximum speed; non-finite values become 0."""
    def axis(value: float, bound: float) -> float:
        return _clamp(value, bound) if math.isfinite(value) else 0.0
    return Command(axis(command.linear_x, limits.max_linear_x),
                   axis(command.linear_y, limits.max_linear_y),
                   axis(command.angular_z, limits.max_angular_z))


def step_toward(current: Command, target: Command, dt: float, limits: TeleopLimits) -> Command:
    """Move from ``current`` toward ``target`` within the acceleration limits over ``dt`` s.

    Both ends are clamped to the speed limits first, so a lowered limit takes effect
    at once (slowing down is always allowed to be immediate).
    """
    current, target = clamp_speed(current, limits), clamp_speed(target, limits)
    dt = max(0.0, dt)
    dv, dw = limits.max_linear_accel * dt, limits.max_angular_accel * dt
    return Command(current.linear_x + _clamp(target.linear_x - current.linear_x, dv),
                   current.linear_y + _clamp(target.linear_y - current.linear_y, dv),
                   current.angular_z + _clamp(target.angular_z - current.angular_z, dw))


class ZeroWindow:
    """Repeat an explicit zero for a while after stopping, then fall silent.

    One zero could be lost on the way; repeating it for ``duration`` seconds makes
    sure the robot hears it, and silence afterwards lets a twist_mux hand control
    to a lower-priority source. The window is in the caller's (ROS) time, and also
    ends once ``duration`` has passed on ``clock`` (a steady clock) when one is given:
    ROS time may stand still (use_sim_time with nobody publishing /clock, a paused
    simulator) while messages keep asking what to send, and zeros must not go on forever.
    """

    def __init__(self, duration: float = 0.5,
                 clock: Callable[[], float] | None = None) -> None:
        self.duration = check_positive('zero window duration', duration, allow_zero=True)
        self._clock = clock
        self._until: float | None = None
        self._steady_until: float | None = None
        self._owed = False

    def start(self, now_s: float) -> None:
        self._until = now_s + self.duration
        if self._clock is not None:
            self._steady_until = self._clock() + self.duration
        self._owed = True

    def cancel(self) -> None:
        self._until = None
        self._owed = False

    def active(self, now_s: float) -> bool:
        """Tell whether zeros are still due; the first call after ``start`` always is."""
        if self._until is None:
            return False
        over = now_s > self._until or (
            self._clock is not None and self._clock() > self._steady_until)
        if not over or self._owed:
            self._owed = False
            return True
        self._until = None
        return False
