"""Hold time, hysteresis, release and occlusion: the failure modes fitness apps are known for."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from synthetic_people import (
    ADULT,
    BODIES,
    CHILD,
    FPS,
    GESTURE_STANCES,
    View,
    gesture_motion,
    render,
    sample,
    swing_through,
)

from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.gestures.features import compute_features
from pose_ros.gestures.language import load_gestures, parse_gestures
from pose_ros.gestures.matcher import GestureMatcher, MatchState, PersonMatcher, Phase

K = Keypoint
DEFAULT = load_gestures(Path(__file__).resolve().parents[1] / 'config' / 'gestures.yaml')

STRAIGHT = """\
engage: straight
disengage: other
gestures:
  straight:
    hold: {hold}
    release: {release}
    when: {{feature: 'angle(left_shoulder, left_elbow, left_wrist)', above: 150,
            hysteresis: {margin}}}
  other:
    when: {{feature: 'up(nose, left_wrist)', above: 5}}
"""


def _straight(hold=0.0, release=0.0, margin=0.0):
    text = STRAIGHT.format(hold=hold, release=release, margin=margin)
    return parse_gestures(text).get('straight')


def _elbow_pose(angle_deg: float, wrist_score: float = 0.9) -> Pose:
    """Upper arm horizontal; the forearm makes ``angle_deg`` at the elbow."""
    kp = np.zeros((17, 3), np.float32)
    a = np.radians(angle_deg)
    pts = {K.LEFT_SHOULDER: (340, 100), K.RIGHT_SHOULDER: (260, 100), K.LEFT_HIP: (330, 200),
           K.RIGHT_HIP: (270, 200), K.NOSE: (300, 60), K.LEFT_ELBOW: (390, 100),
           K.LEFT_WRIST: (390 - 50 * np.cos(a), 100 - 50 * np.sin(a))}
    for k, (x, y) in pts.items():
        kp[int(k)] = (x, y, 0.9)
    kp[int(K.LEFT_WRIST), 2] = wrist_score
    return Pose(kp, 0.9, (0, 0, 640, 480))


def _run(matcher, poses, times):
    events = []
    for pose, t in zip(poses, times):
        e = matcher.update(compute_features(pose, matcher.gesture.min_score), t)
        if e is not None and e.phase is not Phase.HELD:
            events.append(e)
    return events


def test_gesture_counts_only_after_its_hold_time():
    matcher = GestureMatcher(_straight(hold=0.5))
    times = [i / FPS for i in range(30)]
    events = _run(matcher, [_elbow_pose(170)] * 30, times)
    assert [e.phase for e in events] == [Phase.STARTED]
    assert events[0].stamp_s == pytest.approx(0.5, abs=1 / FPS)
    assert events[0].stamp_s >= 0.5
    assert 0.85 < events[0].confidence <= 0.9


@pytest.mark.parametrize('margin, release, most', [(8.0, 0.1, 1), (8.0, 0.0, 1)])
def test_value_hovering_at_threshold_does_not_flap(margin, release, most):
    rng = np.random.default_rng(3)
    angles = 150 + rng.normal(0, 2.0, 1800)   # one minute hovering at the threshold
    times = [i / FPS for i in range(len(angles))]
    poses = [_elbow_pose(a) for a in angles]
    calm = _run(GestureMatcher(_straight(margin=margin, release=release)), poses, times)
    assert len(calm) <= most
    # Control: without hysteresis the same input flaps hundreds of times.
    flapping = _run(GestureMatcher(_straight(margin=0.0, release=0.0)), poses, times)
    assert len(flapping) > 100


def test_slow_crossing_gives_one_start_and_one_end():
    rng = np.random.default_rng(4)
    ramp = np.concatenate([np.linspace(120, 175, 300), np.linspace(175, 120, 300)])
    angles = ramp + rng.normal(0, 2.0, ramp.size)
    times = [i / FPS for i in range(ramp.size)]
    events = _run(GestureMatcher(_straight(hold=0.2, margin=8.0, release=0.1)),
                  [_elbow_pose(a) for a in angles], times)
    assert [e.phase for e in events] == [Phase.STARTED, Phase.ENDED]
    # It ends near threshold - margin on the way down, not at the threshold itself.
    end_angle = ramp[int(round(events[1].stamp_s * FPS))]
    assert 138 < end_angle < 146


def test_a_single_bad_frame_does_not_end_a_held_gesture_but_a_real_change_does():
    matcher = GestureMatcher(_straight(hold=0.1, margin=5.0, release=0.1))
    angles = [170] * 20 + [100] + [170] * 10 + [100] * 5 + [170] * 10
    events = _run(matcher, [_elbow_pose(a) for a in angles], [i / FPS for i in range(46)])
    phases = [(e.phase, round(e.stamp_s * FPS)) for e in events]
    # Started once, survived the lone bad frame (20), ended in the 4-frame drop (31..35).
    assert phases[0] == (Phase.STARTED, 3)
    assert phases[1][0] is Phase.ENDED and 31 <= phases[1][1] <= 35
    assert phases[2][0] is Phase.STARTED and len(phases) == 3


def test_unknown_frames_do_not_restart_the_release_time():
    # Held, then the pose fails every other frame while the joint flickers in and out:
    # the unknown frames must not let the failed ones be forgiven again and again.
    matcher = GestureMatcher(_straight(hold=0.1, margin=5.0, release=0.1))
    poses = [_elbow_pose(170)] * 10 + [_elbow_pose(100), _elbow_pose(170, 0.05)] * 10
    events = _run(matcher, poses, [i / FPS for i in range(len(poses))])
    ended = [e for e in events if e.phase is Phase.ENDED]
    assert len(ended) == 1
    assert ended[0].stamp_s - 10 / FPS == pytest.approx(0.133, abs=0.01)


@pytest.mark.parametrize('gap, ends', [(0.3, False), (0.45, False), (0.7, True)])
def test_occluded_joint_keeps_a_held_gesture_until_the_timeout(gap, ends):
    matcher = GestureMatcher(_straight(hold=0.2, margin=5.0), unknown_timeout=0.5)
    n_gap = int(round(gap * FPS))
    scores = [0.9] * 30 + [0.05] * n_gap + [0.9] * 15
    poses = [_elbow_pose(170, s) for s in scores]
    events = _run(matcher, poses, [i / FPS for i in range(len(poses))])
    ended = [e for e in events if e.phase is Phase.ENDED]
    assert bool(ended) is ends
    if ends:
        assert ended[0].stamp_s - 29 / FPS == pytest.approx(0.5, abs=1.5 / FPS)


def test_occluded_joint_does_not_start_a_gesture():
    matcher = GestureMatcher(_straight(hold=0.0))
    events = _run(matcher, [_elbow_pose(170, 0.05)] * 30, [i / FPS for i in range(30)])
    assert events == [] and matcher.state is MatchState.INACTIVE


def test_proportional_value_is_kept_while_its_joint_is_occluded():
    rng = np.random.default_rng(5)
    seq = sample(gesture_motion('turn_left', 2.0, rng), 2.0, ADULT, View(), None)
    pm = PersonMatcher(DEFAULT, 0.5, ('turn_left',))
    for t, p in zip(seq.times, seq.poses):
        pm.update(p, t)
    matcher = pm.matchers['turn_left']
    assert matcher.active
    before = matcher.axes['angular_z']
    assert before > 0.2
    hidden = seq.poses[-1]
    hidden.keypoints[int(K.RIGHT_WRIST), 2] = 0.0
    for i in range(9):   # 0.3 s
        events = pm.update(hidden, seq.times[-1] + (i + 1) / FPS)
        assert [e.phase for e in events] == [Phase.HELD]
    assert matcher.active and matcher.axes['angular_z'] == before


def _still(pose, min_score):
    """Features of ``pose`` as if it had not moved: speed() is 0, the geometry is all."""
    return compute_features(pose, min_score, compute_features(pose, min_score), 1.0)


def _longest_pending(gesture, seq) -> float:
    """How long the swing keeps the gesture's pose conditions (with hysteresis) satisfied.

    Speed is left out (each frame is taken as still): the swing must reach the pose's
    geometry, so that it is the hold time (and speed) that keeps the gesture from starting.
    """
    matcher = GestureMatcher(replace(gesture, hold_s=100.0), 0.5)
    longest = 0.0
    for t, p in zip(seq.times, seq.poses):
        matcher.update(_still(p, gesture.min_score), t)
        if matcher.state is MatchState.PENDING:
            longest = max(longest, matcher.last_true_s - matcher.since_s + 1 / FPS)
    return longest


@pytest.mark.parametrize('gesture, through', [('turn_left', 0.45), ('turn_right', 0.45),
                                              ('forward', 0.6), ('back', 0.5),
                                              ('engage', 2.0), ('stop', 0.25)])
@pytest.mark.parametrize('body', sorted(BODIES))
def test_fast_swing_through_a_pose_does_not_trigger_it(gesture, through, body):
    view = View(0.6, 10, 10)
    clean = sample(swing_through(gesture, through), through + 0.5, BODIES[body], view, None)
    dwell = _longest_pending(DEFAULT.get(gesture), clean)
    # The swing really passes through the pose, for less than the hold time.
    assert 0.0 < dwell < DEFAULT.get(gesture).hold_s
    rng = np.random.default_rng(6)
    for _ in range(3):
        seq = sample(swing_through(gesture, through), through + 0.5, BODIES[body], view, rng)
        pm = PersonMatcher(DEFAULT, 0.5)
        started = [e.name for t, p in zip(seq.times, seq.poses) for e in pm.update(p, t)
                   if e.phase is Phase.STARTED]
        assert started == []
    # Control: holding the same pose does trigger it.
    held = sample(gesture_motion(gesture, DEFAULT.get(gesture).hold_s + 0.5, rng), 3.0,
                  BODIES[body], view, rng)
    pm = PersonMatcher(DEFAULT, 0.5)
    started = [e.name for t, p in zip(held.times, held.poses) for e in pm.update(p, t)
               if e.phase is Phase.STARTED]
    assert started == [gesture]


def test_adopt_keeps_what_is_held_when_the_gesture_set_changes():
    seq = sample(gesture_motion('forward', 1.5, np.random.default_rng(7)), 2.0, CHILD, View(),
                 None)
    old = PersonMatcher(DEFAULT, 0.5)
    for t, p in zip(seq.times, seq.poses):
        old.update(p, t)
    assert old.is_active('forward')
    new = PersonMatcher(DEFAULT, 0.5)
    new.adopt(old)
    assert new.is_active('forward')
    assert not new.is_active('back')


def test_stance_table_is_complete():
    assert set(GESTURE_STANCES) == set(DEFAULT.names)
    assert render(ADULT, GESTURE_STANCES['stop'], View(), None).keypoints.shape == (17, 3)


def test_confidence_is_the_mean_score_of_the_gestures_keypoints():
    # Gesture.msg promises the mean of the keypoints the gesture depends on (here the left
    # shoulder, elbow and wrist), not their lowest score.
    matcher = GestureMatcher(_straight(hold=0.0))
    events = _run(matcher, [_elbow_pose(170, wrist_score=0.6)] * 3, [0.0, 0.1, 0.2])
    assert matcher.gesture.keypoints == {K.LEFT_SHOULDER, K.LEFT_ELBOW, K.LEFT_WRIST}
    assert events[0].confidence == pytest.approx((0.9 + 0.9 + 0.6) / 3)


STILL = """\
engage: raised
disengage: other
gestures:
  raised:
    hold: 0.4
    when:
      all:
        - {feature: 'elevation(left_shoulder, left_wrist)', between: [60, 120]}
        - {feature: 'speed(left_shoulder, left_wrist)', below: 1.5}
  other:
    when: {feature: 'up(nose, left_wrist)', above: 5}
"""


def _raised(elevation_deg):
    """Pose the left arm straight at ``elevation_deg`` from hanging down, 100 px long."""
    r = np.radians(elevation_deg)
    wrist = (340 + 100 * np.sin(r), 100 + 100 * np.cos(r))
    elbow = (340 + 50 * np.sin(r), 100 + 50 * np.cos(r))
    return _elbow_pose_at(elbow, wrist)


def _elbow_pose_at(elbow, wrist):
    pose = _elbow_pose(170)
    kp = pose.keypoints.copy()
    kp[int(K.LEFT_ELBOW), :2] = elbow
    kp[int(K.LEFT_WRIST), :2] = wrist
    return Pose(kp, 0.9, pose.box)


def test_an_arm_raised_slowly_through_a_held_pose_is_not_the_gesture():
    """Found by the rendered-people benchmark, an arm lifted to wave passed a turn pose.

    It stayed in the pose longer than the hold. Held still, the same pose is the gesture.
    """
    gestures = parse_gestures(STILL)
    # 10 to 170 degrees in 1.6 s: 0.6 s within 60..120 (plus hysteresis), over the hold.
    times = [i / FPS for i in range(int(1.6 * FPS))]
    matcher = PersonMatcher(gestures, 0.5)
    started = [e.name for t in times for e in matcher.update(_raised(10 + 100 * t), t)
               if e.phase is Phase.STARTED]
    assert started == []
    no_speed = parse_gestures(STILL.replace(
        "        - {feature: 'speed(left_shoulder, left_wrist)', below: 1.5}\n", ''))
    matcher = PersonMatcher(no_speed, 0.5)
    started = [e.name for t in times for e in matcher.update(_raised(10 + 100 * t), t)
               if e.phase is Phase.STARTED]
    assert started == ['raised'], 'without speed the pass is long enough to count'
    matcher = PersonMatcher(gestures, 0.5)
    started = [(e.name, round(e.stamp_s, 2)) for t in times
               for e in matcher.update(_raised(90), t) if e.phase is Phase.STARTED]
    # Held: the speed is known after 0.2 s, then the 0.4 s hold.
    assert [n for n, _ in started] == ['raised'] and started[0][1] == pytest.approx(0.6, abs=0.05)
