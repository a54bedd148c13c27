"""The shipped gesture set: recognised from anyone, anywhere, and not from everyday movement.

Every sequence is a 30 Hz stream of noisy keypoints (pixel jitter, score noise, dropped
keypoints) fed through the full ``Teleop`` with untracked people (followed by their torso
keypoints), exactly as the node would.
"""

from pathlib import Path
import zlib

import numpy as np
import pytest
from synthetic_people import (
    ADULT,
    BODIES,
    CHILD,
    REST,
    TALL,
    Stance,
    View,
    arm,
    dancing,
    dancing_view,
    drive,
    frames,
    gesture_motion,
    sample,
    scratching_head,
    sitting_down,
    walking,
    waving,
    waving_both,
)

from pose_ros.control.teleop import Command, Teleop, TeleopOptions
from pose_ros.gestures.language import load_gestures
from pose_ros.gestures.matcher import Phase

DEFAULT = load_gestures(Path(__file__).resolve().parents[1] / 'config' / 'gestures.yaml')

VIEWS = [View(1.0, 0.0, 0.0)] + [View(scale, roll, yaw) for scale in (0.3, 2.0)
                                 for roll in (-25.0, 25.0) for yaw in (-28.0, 28.0)]


def _engage(body, view, rng):
    return sample(gesture_motion('engage', 1.5, rng), 3.3, body, view, rng)


@pytest.mark.parametrize('view', VIEWS, ids=lambda v: f's{v.scale}_r{v.roll:+.0f}_y{v.yaw:+.0f}')
@pytest.mark.parametrize('body', sorted(BODIES))
@pytest.mark.parametrize('gesture', DEFAULT.names)
def test_each_gesture_is_recognised_from_any_body_distance_roll_and_yaw(gesture, body, view):
    rng = np.random.default_rng(zlib.crc32(f'{gesture} {body} {view}'.encode()))
    b = BODIES[body]
    teleop = Teleop(DEFAULT, TeleopOptions())
    engage = drive(teleop, frames(_engage(b, view, rng)))
    assert teleop.engaged or gesture == 'engage' and any(e for _, e in engage.engaged)
    assert any(e.name == 'engage' and e.phase is Phase.STARTED for e in engage.events)
    if gesture == 'engage':
        assert teleop.engaged
        assert all(c is None or c == Command() for _, c in engage.commands)
        return
    seq = sample(gesture_motion(gesture, 2.0, rng), 4.5, b, view, rng)
    out = drive(teleop, frames(seq), start=engage.commands[-1][0] + 1 / 30)
    started = [e.name for e in out.events if e.phase is Phase.STARTED]
    assert started == [gesture]
    cmds = [c for _, c in out.published]
    if gesture == 'stop':
        assert not teleop.engaged and teleop.state.release_reason == 'disengage'
        assert all(c == Command() for c in cmds)
        return
    assert teleop.engaged
    if gesture == 'follow_me':
        # Recognised; refused here, with no distance to the person (no depth, calibration).
        assert all(c == Command() for c in cmds)
        assert any('refused' in n for n in teleop.drain_notices())
        assert cmds
        return
    xs = [c.linear_x for c in cmds]
    zs = [c.angular_z for c in cmds]
    assert all(c.linear_y == 0.0 for c in cmds)
    if gesture == 'forward':
        assert max(xs) == pytest.approx(0.3) and all(z == 0.0 for z in zs) and min(xs) >= 0
    elif gesture == 'back':
        assert min(xs) == pytest.approx(-0.15) and all(z == 0.0 for z in zs) and max(xs) <= 0
    elif gesture == 'turn_left':
        assert max(zs) > 0.2 and min(zs) >= 0 and all(x == 0.0 for x in xs)
    else:
        assert min(zs) < -0.2 and max(zs) <= 0 and all(x == 0.0 for x in xs)
    # Dropping the arms ends the motion: the last commands are zeros again.
    assert cmds[-1] == Command()


def test_turn_speed_follows_how_high_the_arm_is_raised():
    speeds = []
    for raise_deg in (66, 76, 86, 96, 106):
        stance = Stance(right_arm=arm(raise_deg, 0, raise_deg + 2, 0))
        teleop = Teleop(DEFAULT, TeleopOptions())
        rng = np.random.default_rng(raise_deg)
        engage = drive(teleop, frames(_engage(ADULT, View(), rng)))
        seq = sample(lambda t, s=stance: s, 3.0, ADULT, View(), rng)
        out = drive(teleop, frames(seq), start=engage.commands[-1][0] + 1 / 30)
        speeds.append(out.published[-1][1].angular_z)
    assert all(a < b for a, b in zip(speeds, speeds[1:])), speeds
    assert speeds[0] > 0.05 and speeds[-1] <= 0.6


# -- everyday movement ------------------------------------------------------------------

def _walk(rng, body, view, seconds, yaw):
    stance, view_fn = walking(rng, yaw=yaw, base=view)
    return sample(stance, seconds, body, view_fn, rng)


ACTIVITIES = {
    'walking past (side view)': lambda rng, b, v, s: _walk(rng, b, v, s, 90.0),
    'walking past (diagonal)': lambda rng, b, v, s: _walk(rng, b, v, s, 35.0),
    'waving at someone': lambda rng, b, v, s: sample(waving(rng, big=1.0), s, b, v, rng),
    'waving both arms': lambda rng, b, v, s: sample(waving_both(rng), s, b, v, rng),
    'scratching head': lambda rng, b, v, s: sample(scratching_head(rng), s, b, v, rng),
    'dancing': lambda rng, b, v, s: sample(dancing(rng), s, b, dancing_view(rng, v), rng),
    'sitting down': lambda rng, b, v, s: sample(sitting_down(rng), s, b, v, rng),
}
EVERYDAY_VIEWS = [(ADULT, View(), 120.0), (CHILD, View(0.5, -15.0, 20.0), 60.0),
                  (TALL, View(1.5, 20.0, -20.0), 60.0)]


@pytest.mark.parametrize('who', range(len(EVERYDAY_VIEWS)), ids=['adult', 'child', 'tall'])
@pytest.mark.parametrize('activity', sorted(ACTIVITIES))
def test_everyday_movement_never_engages_or_publishes_anything(activity, who):
    """Never engaged: minutes of it produce no command at all (not even a zero)."""
    body, view, seconds = EVERYDAY_VIEWS[who]
    rng = np.random.default_rng(sorted(ACTIVITIES).index(activity) * 10 + who)
    seq = ACTIVITIES[activity](rng, body, view, seconds)
    assert len(seq) == int(seconds * 30)
    teleop = Teleop(DEFAULT, TeleopOptions())
    out = drive(teleop, frames(seq))
    assert out.published == []
    assert not any(e for _, e in out.engaged)
    assert not [e for e in out.events if e.phase is Phase.STARTED]


STATIONARY = ('waving at someone', 'waving both arms', 'scratching head', 'dancing',
              'sitting down')


@pytest.mark.parametrize('activity', sorted(ACTIVITIES))
def test_engaged_person_moving_about_gets_only_zero_commands(activity):
    """Engaged, then everyday movement for a minute: the robot only ever gets zeros.

    Precisely: every command published after engagement is exactly zero, and no motion
    gesture (forward, back, turn_left, turn_right) starts. A person who stays in view
    keeps control (zeros at every tick); one walking out of the frame is lost (zeros for
    the window, then silence).
    """
    rng = np.random.default_rng(sorted(ACTIVITIES).index(activity) + 100)
    teleop = Teleop(DEFAULT, TeleopOptions())
    engage = drive(teleop, frames(_engage(ADULT, View(), rng)))
    assert teleop.engaged
    seq = ACTIVITIES[activity](rng, ADULT, View(), 60.0)
    out = drive(teleop, frames(seq), start=engage.commands[-1][0] + 1 / 30)
    assert all(c == Command() for _, c in out.published)
    motion = {'forward', 'back', 'turn_left', 'turn_right'}
    assert not [e for e in out.events if e.name in motion]
    if activity in STATIONARY:
        assert all(e for _, e in out.engaged)
        assert len(out.published) == len(seq)


def test_rest_stance_is_not_a_gesture():
    teleop = Teleop(DEFAULT, TeleopOptions())
    rng = np.random.default_rng(9)
    engage = drive(teleop, frames(_engage(ADULT, View(), rng)))
    out = drive(teleop, frames(sample(lambda t: REST, 30.0, ADULT, View(), rng)),
                start=engage.commands[-1][0] + 1 / 30)
    assert teleop.engaged and all(c == Command() for _, c in out.published)
    assert len(out.published) == 900
