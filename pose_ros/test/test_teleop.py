"""The safety state machine, driven with explicit timestamps (no sleeping)."""

from conftest import SPOILS, spoil
import numpy as np
import pytest
from teleop_sim import CONFIG, DEFAULT, LIMITS, RATE, Sim, engaged_sim, person

from pose_ros.control import Command, Teleop, TeleopLimits, TeleopOptions, Verdict
from pose_ros.core.keypoints import Keypoint
from pose_ros.gestures.features import SPEED_WINDOW_S
from pose_ros.gestures.language import parse_gestures
from pose_ros.gestures.matcher import GestureEvent, Phase


def test_nothing_is_published_before_engagement():
    sim = Sim(Teleop(DEFAULT, TeleopOptions(limits=LIMITS)))
    for gesture in ('forward', 'back', 'turn_left', 'turn_right', 'stop', None):
        steps = sim.run(2.0, [person(gesture)])
        assert all(s.command is None for s in steps), gesture
    assert not sim.teleop.engaged
    assert not sim.teleop.state.engaged and sim.teleop.state.last_command is None


def test_engage_needs_the_full_hold_then_zeros_flow_at_every_tick():
    sim = Sim(Teleop(DEFAULT, TeleopOptions(limits=LIMITS)))
    steps = sim.run(1.5, [person('engage')])
    first = next(i for i, s in enumerate(steps) if s.engaged)
    # The hold (1 s) counts once the hands are known to be still: SPEED_WINDOW_S after
    # the person is first seen.
    assert first / RATE == pytest.approx(1.0 + SPEED_WINDOW_S, abs=1.5 / RATE)
    assert all(s.command is None for s in steps[:first])
    assert all(s.command == Command() for s in steps[first:])
    steps = sim.run(2.0, [person()])
    assert all(s.command == Command() for s in steps)
    state = sim.teleop.state
    assert state.engaged and state.active_gesture is None and state.last_command == Command()


def test_motion_ramps_within_the_acceleration_limit_to_the_gesture_speed():
    sim = engaged_sim()
    steps = sim.run(2.0, [person('forward')])
    xs = [s.command.linear_x for s in steps]
    assert xs[-1] == pytest.approx(0.3)
    assert all(b - a <= 0.5 / RATE + 1e-9 for a, b in zip(xs, xs[1:]))
    assert all(s.command.angular_z == 0.0 for s in steps)
    assert sim.teleop.state.active_gesture == 'forward'
    steps = sim.run(2.0, [person('turn_left')])
    assert steps[-1].command.linear_x == 0.0 and steps[-1].command.angular_z > 0.2
    steps = sim.run(2.0, [person('turn_right')])
    assert steps[-1].command.angular_z < -0.2
    steps = sim.run(2.0, [person('back')])
    assert steps[-1].command == Command(-0.15, 0.0, 0.0)


def test_disengage_is_an_immediate_zero_repeated_for_the_window_then_silence():
    slow = TeleopLimits(max_linear_accel=0.2)
    sim = engaged_sim(options=TeleopOptions(limits=slow))
    moving = sim.run(2.0, [person('forward')])
    assert moving[-1].command.linear_x == pytest.approx(0.3)
    steps = sim.run(3.0, [person('stop')])
    off = next(i for i, s in enumerate(steps) if not s.engaged)
    before, at = steps[off - 1].command, steps[off].command
    # Still moving fast the tick before; exactly zero at once, not ramped down.
    assert before.linear_x > 0.2
    assert at == Command()
    zeros = [s for s in steps[off:] if s.command is not None]
    assert all(s.command == Command() for s in zeros)
    assert zeros[-1].now - steps[off].now == pytest.approx(0.5, abs=1.0 / RATE)
    assert all(s.command is None for s in steps[off + len(zeros):])
    assert sim.teleop.state.release_reason == 'disengage'
    # Motion gestures after release do nothing.
    assert all(s.command is None for s in sim.run(2.0, [person('forward')]))


@pytest.mark.parametrize('messages', ['empty frames', 'no messages'])
def test_losing_the_controller_sends_zero_after_lost_timeout(messages):
    sim = engaged_sim()
    sim.run(2.0, [person('forward')])
    last_seen = sim.log[-1].stamp
    steps = sim.run(2.0, [] if messages == 'empty frames' else None)
    for s in steps:
        if s.now - last_seen <= 0.5:
            assert s.engaged and s.command.linear_x == pytest.approx(0.3)
    off = next(i for i, s in enumerate(steps) if not s.engaged)
    assert steps[off].now - last_seen == pytest.approx(0.5, abs=1.0 / RATE)
    assert steps[off].now - last_seen > 0.5
    assert steps[off].command == Command()
    published = [s for s in steps[off:] if s.command is not None]
    assert len(published) == pytest.approx(0.5 * RATE, abs=1.5)
    assert all(s.command == Command() for s in published)
    assert steps[-1].command is None
    assert sim.teleop.state.release_reason == 'lost'


@pytest.mark.parametrize('how', SPOILS)
@pytest.mark.parametrize('track_id', [1, -1], ids=['tracked', 'untracked'])
def test_unusable_keypoints_are_a_lost_controller(how, track_id):
    sim = engaged_sim(track_id=track_id)
    sim.run(2.0, [person('forward', track_id)])
    last_good = sim.log[-1].stamp
    steps = sim.run(1.5, [spoil(person('forward', track_id), how)])
    off = next((i for i, s in enumerate(steps) if not s.engaged), None)
    assert off is not None, 'still engaged on unusable keypoints'
    assert 0.5 < steps[off].now - last_good <= 0.5 + 1.0 / RATE
    assert steps[off].command == Command()
    assert all(s.command is None or s.command == Command() for s in steps[off:])
    assert sim.teleop.state.release_reason == 'keypoints unusable'
    # Good keypoints again: nothing moves without a new engage.
    steps = sim.run(1.5, [person('forward', track_id)])
    assert not any(s.engaged for s in steps)
    assert all(s.command is None or s.command == Command() for s in steps)


def test_keypoints_a_gesture_uses_keep_control():
    sim = engaged_sim(track_id=1)
    sim.run(2.0, [person('forward', 1)])
    legs_hidden = person('forward', 1)
    legs_hidden.keypoints[int(Keypoint.LEFT_KNEE):, :] = np.nan
    steps = sim.run(1.5, [legs_hidden])
    assert all(s.engaged and s.command.linear_x == pytest.approx(0.3) for s in steps)


def test_brief_absence_or_occlusion_does_not_interrupt_a_held_gesture():
    sim = engaged_sim()
    sim.run(2.0, [person('forward')])
    occluded = person('forward')
    occluded.keypoints[[int(Keypoint.LEFT_WRIST), int(Keypoint.LEFT_ELBOW)], 2] = 0.05
    steps = sim.run(0.4, [occluded])
    steps += sim.run(0.3, [])           # not detected at all for 0.3 s
    steps += sim.run(1.0, [person('forward')])
    assert all(s.engaged and s.command.linear_x == pytest.approx(0.3) for s in steps)
    ended = [e for s in steps for e in s.events if e.phase is Phase.ENDED]
    assert ended == []


def test_ignored_messages_say_why_stale_future_out_of_order_or_unstamped():
    teleop = Teleop(DEFAULT, TeleopOptions(max_age=0.3, limits=LIMITS))
    pose = person('engage')
    results = [teleop.update([pose], t / RATE, t / RATE + 0.5) for t in range(90)]
    assert [r.verdict for r in results] == [Verdict.UNSTAMPED] + [Verdict.STALE] * 89
    assert not any(r.accepted for r in results)
    assert all(r.age_s == pytest.approx(0.5) for r in results)
    assert not teleop.engaged and teleop.tick(3.5) is None
    # More than max_age ahead of now: the clocks disagree.
    ahead = teleop.update([pose], 4.5, 4.0)
    assert ahead.verdict is Verdict.FUTURE and ahead.age_s == pytest.approx(-0.5)
    # Fresh messages engage; then one older than the last accepted is refused.
    for t in range(90):
        assert teleop.update([pose], 10 + t / RATE, 10 + t / RATE + 0.05).accepted
    assert teleop.engaged
    late = teleop.update([pose], 12.9, 13.0)
    assert late.verdict is Verdict.OUT_OF_ORDER and late.age_s == pytest.approx(0.1)
    assert teleop.update([pose], 12.5, 13.0).verdict is Verdict.STALE
    # Only stale messages from now on: the controller is lost after lost_timeout.
    now = 13.0
    while now < 14.0:
        assert teleop.update([person('forward')], now - 0.4, now).verdict is Verdict.STALE
        now += 1 / RATE
    assert not teleop.engaged and teleop.state.release_reason == 'lost'


def test_limits_clamp_whatever_the_file_asks_for():
    text = CONFIG.read_text(encoding='utf-8').replace('linear_x: 0.3', 'linear_x: 5.0')
    text = text.replace('max: 0.6', 'max: 40')
    greedy = parse_gestures(text, 'greedy.yaml')
    sim = engaged_sim(greedy)
    steps = sim.run(3.0, [person('forward')])
    assert max(s.command.linear_x for s in steps) == pytest.approx(0.5)
    steps = sim.run(3.0, [person('turn_left')])
    assert max(abs(s.command.angular_z) for s in steps) == pytest.approx(1.0)
    assert all(abs(s.command.linear_x) <= 0.5 and abs(s.command.angular_z) <= 1.0
               for s in sim.log if s.command is not None)


def test_events_report_name_person_phase_and_confidence():
    sim = Sim(Teleop(DEFAULT, TeleopOptions(limits=LIMITS)))
    sim.run(1.3, [person('engage', 7)])
    sim.run(0.5, [person(None, 7)])
    sim.run(1.0, [person('forward', 7)])
    sim.run(0.5, [person('stop', 7)])
    events = [e for s in sim.log for e in s.events]
    phases = [(e.name, e.phase) for e in events if e.phase is not Phase.HELD]
    assert phases == [('engage', Phase.STARTED), ('engage', Phase.ENDED),
                      ('forward', Phase.STARTED), ('forward', Phase.ENDED),
                      ('stop', Phase.STARTED), ('stop', Phase.ENDED)]
    assert all(e.person_id == 7 and 0.0 < e.confidence <= 1.0 for e in events)
    # The same events as GestureRecognizer's, for the same message.
    assert all(type(e) is GestureEvent for e in events)
    held = [e for e in events if e.name == 'forward' and e.phase is Phase.HELD]
    assert len(held) > 10
    assert all(a.stamp_s <= b.stamp_s for a, b in zip(events, events[1:])
               if a.name == b.name)


def test_swapping_the_gesture_set_keeps_engagement_without_a_jump():
    sim = engaged_sim()
    sim.run(2.0, [person('forward')])
    slower = parse_gestures(CONFIG.read_text(encoding='utf-8').replace(
        'linear_x: 0.3', 'linear_x: 0.2'), 'slower.yaml')
    sim.teleop.set_gestures(slower)
    steps = sim.run(1.0, [person('forward')])
    xs = [sim.log[-len(steps) - 1].command.linear_x] + [s.command.linear_x for s in steps]
    assert all(s.engaged for s in steps)
    assert all(abs(b - a) <= 0.5 / RATE + 1e-9 for a, b in zip(xs, xs[1:]))
    assert xs[-1] == pytest.approx(0.2)
    # A set whose forward needs more is re-evaluated: the gesture ends, the robot stops smoothly.
    strict = parse_gestures(CONFIG.read_text(encoding='utf-8').replace(
        "'distance(left_shoulder, right_shoulder)', above: 0.45", "'distance(left_shoulder, "
        "right_shoulder)', above: 5"), 'strict.yaml')
    sim.teleop.set_gestures(strict)
    steps = sim.run(1.0, [person('forward')])
    assert all(s.engaged for s in steps) and steps[-1].command == Command()


def test_new_limits_apply_at_the_next_tick():
    sim = engaged_sim()
    sim.run(2.0, [person('forward')])
    sim.teleop.set_options(TeleopOptions(limits=TeleopLimits(max_linear_x=0.1)))
    steps = sim.run(0.5, [person('forward')])
    assert all(s.command.linear_x == pytest.approx(0.1) for s in steps)


def test_shutdown_returns_zero_and_releases():
    sim = engaged_sim()
    sim.run(2.0, [person('forward')])
    assert sim.teleop.shutdown() == Command()
    assert not sim.teleop.engaged and sim.teleop.state.release_reason == 'shutdown'
    assert sim.teleop.tick(sim.t + 0.1) is None


@pytest.mark.parametrize('kwargs, fragment', [({'lost_timeout': 0}, 'lost_timeout'),
                                              ({'max_age': -1}, 'max_age'),
                                              ({'min_iou': 2}, 'min_iou'),
                                              ({'zero_window': float('nan')}, 'zero_window')])
def test_bad_options_name_the_option(kwargs, fragment):
    with pytest.raises(ValueError, match=f'TeleopOptions.{fragment}'):
        TeleopOptions(**kwargs)


@pytest.mark.parametrize('jump', [30.0, 100.0])  # a bag loop; use_sim_time switched on (t=0)
def test_time_running_backwards_releases_with_a_zero_at_once(jump):
    sim = engaged_sim()
    sim.run(2.0, [person('forward')])
    assert sim.log[-1].command.linear_x == pytest.approx(0.3)
    sim.t -= jump
    steps = sim.run(1.0, [person('forward')])
    assert steps[0].command == Command(), 'the first tick after the jump must be a zero'
    assert not steps[0].engaged
    assert sim.teleop.state.release_reason == 'clock jumped back'
    assert all(s.command is None or s.command == Command() for s in steps)
    # The new timeline is accepted: engaging again works.
    sim.run(1.3, [person('engage')])
    assert sim.teleop.engaged


def test_zeros_end_after_zero_window_when_ros_time_stands_still():
    # use_sim_time switched on at run time with no /clock: ROS time is 0 from then on, while
    # keypoints stamped in wall time keep coming (all stale now).
    real = [0.0]
    sim = Sim(Teleop(DEFAULT, TeleopOptions(limits=LIMITS), steady_clock=lambda: real[0]))
    sim.run(1.3, [person('engage')])
    sim.run(1.0, [person('forward')])
    assert sim.teleop.engaged
    sent = []
    for i in range(60):
        real[0] += 1.0 / RATE
        sim.teleop.update([person('forward')], sim.t + i / RATE, 0.0)
        sent.append((real[0], sim.teleop.tick(0.0)))
    assert sent[0][1] == Command() and not sim.teleop.engaged
    zeros = [t for t, c in sent if c is not None]
    assert all(c == Command() for _, c in sent if c is not None)
    assert zeros[-1] - zeros[0] <= 0.5 + 1e-9, f'zeros for {zeros[-1] - zeros[0]:.2f} s'
    assert sent[-1][1] is None


def test_a_clock_running_ahead_does_not_stretch_lost_timeout():
    sim = engaged_sim()
    sim.run(1.0, [person('forward')])
    teleop = sim.teleop
    now = sim.t
    # One last frame stamped 0.45 s in the future (within max_age), then nobody.
    assert teleop.update([person('forward')], now + 0.45, now).accepted
    released = next(t for t in (now + i / RATE for i in range(1, 60))
                    if teleop.tick(t) == Command() and not teleop.engaged)
    assert released - now == pytest.approx(0.5, abs=1.5 / RATE)
