"""The hand benchmark's scene generator: valid scenes whose windows hold the intended hands.

Parsing only (the time-line at each window's middle), no rendering: a window whose hand
shape, hand or palm direction is not the one its label names would make the benchmark's
recall and false events measure the wrong thing.
"""

from pathlib import Path
import sys

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'benchmarks'))

from hand_scenes import (  # noqa: E402 - the benchmark's own module
    DISTANCE,
    DISTANCE_STEP,
    HAND_GESTURES,
    NEGATIVES,
    RESOLUTIONS,
    SHAPE,
    hand_everyday_plan,
    hand_session_plan,
)

from pose_ros.rendering import parse_scene  # noqa: E402
from pose_ros.rendering.timeline import Timeline  # noqa: E402

SIDE = {'l': 'left', 'r': 'right'}
TWIST = {'l': 'lowerarm02.L', 'r': 'lowerarm02.R'}


@pytest.mark.parametrize('first', [1, 5])
def test_six_consecutive_sessions_put_a_person_in_every_half_metre_of_the_range(first):
    bins = set()
    for seed in range(first, first + 6):
        d = parse_scene(hand_session_plan(seed, RESOLUTIONS[0]).text).camera.distance
        assert DISTANCE[0] <= d < DISTANCE[1]
        bins.add(int((d - DISTANCE[0]) // DISTANCE_STEP))
    assert bins == set(range(6))


def _windows(plan):
    return sorted([tuple(p) for p in plan.performed]
                  + [tuple(p) for p in plan.variation.extra['negatives']], key=lambda p: p[1])


@pytest.mark.parametrize('resolution', RESOLUTIONS)
@pytest.mark.parametrize('seed', [1, 2, 3, 4, 5])
def test_sessions_hold_each_labelled_shape_with_the_labelled_hand(seed, resolution):
    plan = hand_session_plan(seed, resolution)
    scene = parse_scene(plan.text, f'{plan.name}.scene')
    assert (scene.camera.width, scene.camera.height_px) == resolution
    assert DISTANCE[0] <= scene.camera.distance <= DISTANCE[1]
    windows = _windows(plan)
    names = [w[0] for w in windows]
    # Every hand gesture and negative once; engage opens (Teleop obeys nothing before it)
    # and stop closes (it releases control).
    assert sorted(names) == sorted(HAND_GESTURES + NEGATIVES)
    assert names[0] == 'engage' and names[-1] == 'stop'
    for a, b in zip(windows, windows[1:]):
        assert a[1] < a[2] < a[3] <= a[4] <= b[1], (a, b)
    sides = plan.variation.extra['sides']
    assert sides['turn_left'] == 'r' and sides['turn_right'] == 'l'
    timeline = Timeline(scene, '')
    for name, _, hold_start, hold_end, _ in windows:
        pose = timeline.at((hold_start + hold_end) / 2).pose
        making, other = SIDE[sides[name]], SIDE['r' if sides[name] == 'l' else 'l']
        assert pose.hands.get(making, 'relaxed') == SHAPE[name], name
        assert pose.hands.get(other, 'relaxed') == 'relaxed', name
        if name in ('stop', 'pinch', 'relaxed', 'palm_away'):
            # Raised beside the shoulder: the forearm twist turns the palm to the camera
            # (about -30 on the right hand) or the back of the hand (about 150).
            twist = pose.bones[TWIST[sides[name]]][1] * (1 if sides[name] == 'r' else -1)
            assert (twist > 90) == (name == 'palm_away'), (name, twist)
    # Rest between windows: both hands relaxed, so no shape carries over.
    gaps = [(a[4] + b[1]) / 2 for a, b in zip(windows, windows[1:]) if b[1] - a[4] > 0.2]
    assert gaps
    for t in gaps:
        assert set(timeline.at(t).pose.hands.values()) <= {'relaxed'}, t


def test_everyday_clips_make_no_gesture_shape_after_the_engage():
    for seed in (1, 2, 3):
        plan = hand_everyday_plan(seed, RESOLUTIONS[0], seconds=30.0)
        scene = parse_scene(plan.text, f'{plan.name}.scene')
        assert [p[0] for p in plan.performed] == ['engage']
        assert plan.everyday_from >= plan.performed[0][4]
        timeline = Timeline(scene, '')
        times = np.arange(plan.everyday_from, scene.duration, 0.1)
        walks = [(a, b) for kind, a, b in plan.activities if kind.startswith('walk')]
        shapes = {s for t in times if not any(a <= t <= b for a, b in walks)
                  for s in timeline.at(float(t)).pose.hands.values()}
        # Waving and clapping open the hand, the phone pinches; a fist, a point or a
        # thumbs-up would be a gesture made on purpose.
        assert shapes and shapes <= {'relaxed', 'open_palm', 'pinch'}, shapes
        assert scene.duration - plan.everyday_from >= 30.0
