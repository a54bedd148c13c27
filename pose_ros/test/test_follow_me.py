"""Follow me: the distance it measures, the command it sends, and every way it stops."""

import math

import pytest
from synthetic_people import ADULT, FOCAL_PX, GESTURE_STANCES, REST, render_at
from teleop_sim import DEFAULT, LIMITS, RATE, Sim

from pose_ros.control import Command, FollowOptions, Teleop, TeleopOptions
from pose_ros.control.follow_me import (
    DISTANCE_DEAD_BAND_M,
    Range,
    body_length_px,
    follow_command,
    measure_range,
)
from pose_ros.gestures.language import GestureFileError, parse_gestures

FOLLOW = FollowOptions(distance=1.5, min_distance=0.8, gain_linear=0.5, gain_angular=1.0)


def at(distance: float, gesture: str | None = None, x_m: float = 0.0, depth: bool = True):
    stance = REST if gesture is None else GESTURE_STANCES[gesture]
    return render_at(ADULT, stance, distance, x_m, depth=depth, track_id=1)


def follower(options: FollowOptions = FOLLOW, distance: float = 3.0, depth: bool = True,
             gestures=DEFAULT) -> Sim:
    """Engage at ``distance``, then make follow me there; the teleop is following after."""
    sim = Sim(Teleop(gestures, TeleopOptions(limits=LIMITS, follow=options)))
    sim.run(1.4, [at(distance, 'engage', depth=depth)])
    assert sim.teleop.engaged
    sim.run(0.4, [at(distance, depth=depth)])
    sim.run(1.4, [at(distance, 'follow_me', depth=depth)])
    return sim


# -- measuring -----------------------------------------------------------------------------
def test_depth_gives_the_range_along_the_floor_and_the_offset_in_half_widths():
    r = measure_range(at(3.0, x_m=0.6), 640, FOLLOW)
    assert r.source == 'depth'
    # The torso joints lie about 3 cm behind the body's front, so slightly beyond 3 m.
    assert r.distance == pytest.approx(math.hypot(0.6, 3.0), abs=0.05)
    assert r.offset == pytest.approx(FOCAL_PX * 0.6 / 3.0 / 320, abs=0.02)
    assert measure_range(at(3.0, x_m=-0.6), 640, FOLLOW).offset < -0.25


def test_apparent_size_needs_a_calibration_and_then_scales_with_distance():
    assert measure_range(at(3.0, depth=False), 640, FOLLOW) is None
    length_at_2m = body_length_px(at(2.0, depth=False), 0.3)
    calibrated = FollowOptions(calibration=2.0 * length_at_2m)
    for d in (1.2, 2.0, 3.5, 5.0):
        r = measure_range(at(d, depth=False), 640, calibrated)
        assert r.source == 'size'
        assert r.distance == pytest.approx(d, rel=0.01)
    # Depth wins where both are there.
    assert measure_range(at(3.0), 640, calibrated).source == 'depth'


def test_no_range_without_a_torso_or_an_image_width():
    pose = at(3.0)
    pose.keypoints[5:7, 2] = 0.0     # shoulders
    pose.keypoints[11:13, 2] = 0.0   # hips
    assert measure_range(pose, 640, FOLLOW) is None
    assert measure_range(at(3.0), 0, FOLLOW) is None


def test_command_is_proportional_forward_only_and_turns_toward_the_person():
    assert follow_command(Range(2.5, 0.0, 'depth'), FOLLOW) == Command(
        linear_x=pytest.approx(0.5 * (1.0 - DISTANCE_DEAD_BAND_M)))
    assert follow_command(Range(1.52, 0.0, 'depth'), FOLLOW) == Command()
    # Nearer than the set distance: it stands, it does not back up.
    assert follow_command(Range(1.0, 0.0, 'depth'), FOLLOW).linear_x == 0.0
    # A person right of centre: turn right (negative angular_z).
    assert follow_command(Range(1.5, 0.5, 'depth'), FOLLOW).angular_z < -0.4
    assert follow_command(Range(1.5, -0.5, 'depth'), FOLLOW).angular_z > 0.4


@pytest.mark.parametrize('kwargs, fragment', [
    ({'distance': 0.0}, 'distance'), ({'min_distance': 2.0}, 'less than distance'),
    ({'gain_linear': -1.0}, 'gain_linear'), ({'calibration': -5.0}, 'calibration'),
])
def test_bad_follow_options_name_the_option(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        FollowOptions(**kwargs)


# -- in the teleop ---------------------------------------------------------------------------
def test_follow_me_approaches_to_the_set_distance_within_the_limits():
    sim = follower()
    assert sim.teleop.state.following
    distance, speeds = 3.0, []
    for _ in range(int(20 * RATE)):
        steps = sim.run(1.0 / RATE, [at(distance)])
        speed = steps[-1].command.linear_x
        speeds.append(speed)
        distance -= speed / RATE   # the robot drives toward the standing person
    assert max(speeds) <= LIMITS.max_linear_x + 1e-9
    rises = [b - a for a, b in zip(speeds, speeds[1:])]
    assert max(rises) <= LIMITS.max_linear_accel / RATE + 1e-9
    assert not any(s < 0.0 for s in speeds), 'it backed up'
    # It settles at the set distance, less the dead band and the torso depth (3 cm).
    assert distance == pytest.approx(1.5 + DISTANCE_DEAD_BAND_M, abs=0.06)
    assert speeds[-1] < 0.005 and sim.teleop.state.following
    # The arm is down, but the robot is still following: the state (and RViz) says so.
    assert sim.teleop.state.active_gesture == 'follow_me'


def test_follow_me_turns_to_keep_the_person_centred():
    sim = follower()
    steps = sim.run(1.0, [at(3.0, x_m=0.8)])
    assert steps[-1].command.angular_z < -0.2   # person on the right: turn right
    steps = sim.run(2.0, [at(3.0, x_m=-0.8)])
    assert steps[-1].command.angular_z > 0.2


def test_coming_closer_than_min_distance_is_an_immediate_zero_and_ends_following():
    sim = follower()
    steps = sim.run(2.0, [at(3.0)])
    assert steps[-1].command.linear_x > 0.2
    steps = sim.run(1.0 / RATE, [at(0.6)])
    assert steps[-1].command == Command(), 'not an immediate zero'
    assert sim.teleop.engaged and not sim.teleop.state.following
    assert any('closer than min_distance' in n for n in sim.teleop.drain_notices())
    # Walking away again does not restart it: it needs the gesture again.
    steps = sim.run(2.0, [at(3.0)])
    assert all(s.command == Command() for s in steps)


def test_losing_the_person_while_following_is_a_zero_after_lost_timeout():
    sim = follower()
    sim.run(2.0, [at(3.0)])
    steps = sim.run(1.0, [])
    zeros = [i for i, s in enumerate(steps) if s.command == Command()]
    timeout = sim.teleop.options.lost_timeout
    assert zeros and zeros[0] / RATE <= timeout + 1.5 / RATE
    # Unseen, it slows down at once rather than drive on at the last speed.
    assert all(b.command.linear_x <= a.command.linear_x for a, b in zip(steps, steps[1:]))
    assert not sim.teleop.engaged and sim.teleop.state.release_reason == 'lost'


def test_stop_while_following_is_an_immediate_zero_and_releases():
    sim = follower()
    sim.run(2.0, [at(3.0)])
    steps = sim.run(0.6, [at(3.0, 'stop')])
    first = next(i for i, s in enumerate(steps) if not s.engaged)
    assert steps[first].command == Command()
    assert steps[first - 1].command.linear_x > 0.0, 'it was not moving before stop'
    assert sim.teleop.state.release_reason == 'disengage'


def test_no_depth_and_no_calibration_is_refused_with_how_to_calibrate():
    sim = follower(depth=False)
    assert not sim.teleop.state.following
    notices = sim.teleop.drain_notices()
    assert len(notices) == 1, notices
    assert 'refused' in notices[0] and 'follow_calibration' in notices[0]
    length = body_length_px(at(3.0, depth=False), 0.3)
    assert f'D x {length:.0f}' in notices[0]
    steps = sim.run(3.0, [at(3.0, depth=False)])
    assert all(s.command == Command() for s in steps)


def test_a_calibration_follows_without_depth():
    length = body_length_px(at(2.0, depth=False), 0.3)
    sim = follower(FollowOptions(calibration=2.0 * length), depth=False)
    assert sim.teleop.state.following
    assert sim.teleop.state.follow_range.source == 'size'
    steps = sim.run(2.0, [at(3.0, depth=False)])
    assert steps[-1].command.linear_x > 0.2


def test_a_motion_gesture_ends_following_and_acts():
    sim = follower()
    sim.run(2.0, [at(3.0)])
    steps = sim.run(2.5, [at(3.0, 'back')])
    assert steps[-1].command.linear_x < 0.0
    assert not sim.teleop.state.following
    assert any('motion gesture' in n for n in sim.teleop.drain_notices())


def test_refused_too_close_and_the_new_limits_are_kept():
    sim = follower(distance=0.7)
    assert not sim.teleop.state.following
    assert any('closer than' in n for n in sim.teleop.drain_notices())
    sim = follower()
    sim.run(2.0, [at(5.0)])
    slow = TeleopOptions(limits=LIMITS.__class__(max_linear_x=0.1), follow=FOLLOW)
    sim.teleop.set_options(slow)
    steps = sim.run(0.5, [at(5.0)])
    assert max(s.command.linear_x for s in steps) <= 0.1 + 1e-9


def test_the_follow_role_is_checked_like_engage():
    base = """engage: a
disengage: b
follow: {follow}
gestures:
  a:
    when: {{feature: 'up(nose, left_wrist)', above: 0.3}}
  b:
    when: {{feature: 'up(nose, right_wrist)', above: 0.3}}
  c:
    when: {{feature: 'up(nose, right_wrist)', above: 0.5}}
    command: {{linear_x: 0.1}}
"""
    with pytest.raises(GestureFileError, match=r":3:.*'nope' is not a gesture"):
        parse_gestures(base.format(follow='nope'))
    with pytest.raises(GestureFileError, match='must not have a command'):
        parse_gestures(base.format(follow='c'))
    with pytest.raises(GestureFileError, match='already the engage gesture'):
        parse_gestures(base.format(follow='a'))
    assert parse_gestures(base.replace('follow: {follow}\n', '').format()).follow is None
