"""Limits are the last word on what reaches the robot; stopping zeros are never skipped."""

import math

import pytest

from pose_ros.control.shaping import (
    ZERO,
    Command,
    TeleopLimits,
    ZeroWindow,
    clamp_speed,
    step_toward,
)

LIMITS = TeleopLimits(max_linear_x=0.5, max_linear_y=0.2, max_angular_z=1.0,
                      max_linear_accel=0.5, max_angular_accel=2.0)


def test_speeds_are_clamped_per_axis_and_non_finite_becomes_zero():
    got = clamp_speed(Command(3.0, -1.0, -7.0), LIMITS)
    assert got == Command(0.5, -0.2, -1.0)
    assert clamp_speed(Command(math.nan, math.inf, 0.3), LIMITS) == Command(0.0, 0.0, 0.3)
    assert clamp_speed(Command(0.1, 0.0, 0.0), LIMITS) == Command(0.1, 0.0, 0.0)


def test_acceleration_is_limited_and_never_overshoots():
    current = ZERO
    target = Command(0.4, -0.1, 0.9)
    history = []
    for _ in range(30):
        nxt = step_toward(current, target, 0.05, LIMITS)
        assert abs(nxt.linear_x - current.linear_x) <= 0.5 * 0.05 + 1e-12
        assert abs(nxt.linear_y - current.linear_y) <= 0.5 * 0.05 + 1e-12
        assert abs(nxt.angular_z - current.angular_z) <= 2.0 * 0.05 + 1e-12
        assert nxt.linear_x <= 0.4 and nxt.angular_z <= 0.9
        history.append(nxt)
        current = nxt
    assert history[0] == Command(0.025, -0.025, 0.1)
    assert current == target
    # Reached the angular target first (higher limit), linear x after 0.8 s.
    assert history[8].angular_z == pytest.approx(0.9) and history[8].linear_x < 0.4
    assert history[15].linear_x == pytest.approx(0.4)


def test_target_above_the_limits_is_approached_only_up_to_the_limits():
    current = ZERO
    for _ in range(100):
        current = step_toward(current, Command(10.0, 10.0, -10.0), 0.05, LIMITS)
    assert current == Command(0.5, 0.2, -1.0)


def test_a_lowered_limit_applies_at_once():
    fast = Command(0.5, 0.0, 1.0)
    slower = TeleopLimits(max_linear_x=0.2, max_angular_z=0.3, max_linear_accel=0.1)
    assert step_toward(fast, fast, 0.05, slower) == Command(0.2, 0.0, 0.3)


def test_negative_dt_does_not_move():
    assert step_toward(ZERO, Command(0.5), -1.0, LIMITS) == ZERO


@pytest.mark.parametrize('field, value', [('max_linear_x', -0.1), ('max_angular_accel', math.nan),
                                          ('max_linear_y', 'fast')])
def test_bad_limits_name_the_field_and_value(field, value):
    with pytest.raises(ValueError, match=f'TeleopLimits.{field} must be a finite number >= 0'):
        TeleopLimits(**{field: value})


def test_zero_window_repeats_then_falls_silent():
    window = ZeroWindow(0.5)
    assert not window.active(0.0)
    window.start(10.0)
    ticks = [10.0 + i * 0.05 for i in range(20)]
    active = [window.active(t) for t in ticks]
    assert active == [t <= 10.5 for t in ticks]
    assert sum(active) == 11
    assert not window.active(10.3)   # once expired it stays silent


def test_zero_window_always_sends_at_least_one_zero():
    window = ZeroWindow(0.5)
    window.start(10.0)
    assert window.active(12.0)       # a late timer still gets its zero out
    assert not window.active(12.05)
    zero = ZeroWindow(0.0)
    zero.start(1.0)
    assert zero.active(1.0) and not zero.active(1.01)
    with pytest.raises(ValueError, match='zero window'):
        ZeroWindow(-1.0)


def test_cancel_stops_the_zeros():
    window = ZeroWindow(0.5)
    window.start(0.0)
    window.cancel()
    assert not window.active(0.1)


def test_zero_window_also_ends_on_the_steady_clock_when_ros_time_stands_still():
    steady = [100.0]
    window = ZeroWindow(0.5, clock=lambda: steady[0])
    window.start(0.0)
    active = []
    for _ in range(40):  # ROS time stays 0 (use_sim_time, no /clock); real time goes on
        active.append(window.active(0.0))
        steady[0] += 0.05
    assert active == [i * 0.05 <= 0.5 for i in range(40)]
    window.start(5.0)  # and a window in ROS time still ends in ROS time
    assert window.active(5.5) and not window.active(5.55)
