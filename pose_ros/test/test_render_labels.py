"""The scene library's labels agree with the gesture definitions, on the true keypoints.

Checked on the renderer's ground truth (no pose model): every frame a gesture scene labels
as holding a gesture (from ``SPEED_WINDOW_S`` into the hold, when the speed() of a still arm
is known) satisfies that gesture's conditions in config/gestures.yaml, and no
everyday scene satisfies any gesture's conditions for as long as its hold time. Whether
the pose model then sees the same is the end-to-end tests' business.
"""

from pathlib import Path

import numpy as np
import pytest
from render_helpers import require_assets

from pose_ros.core.keypoints import Pose
from pose_ros.gestures import load_gestures
from pose_ros.gestures.features import SPEED_WINDOW_S, FeatureSet
from pose_ros.rendering import GESTURES, Poser, library, load_scene

DEFAULT = load_gestures(Path(__file__).resolve().parents[1] / 'config' / 'gestures.yaml')
BY_NAME = {g.name: g for g in DEFAULT.gestures}
STEP = 3   # every third frame: 10 Hz


def _features(poser, t, past=None, dt=0.0):
    _, px, moment = poser.keypoints_at(t)
    kp = np.hstack([px, np.ones((17, 1))]).astype(np.float32)
    return moment, FeatureSet(Pose(kp), 0.3, past, dt)


def _matches(poser, t):
    # speed() compares with the pose SPEED_WINDOW_S earlier, as the matcher does.
    past = _features(poser, max(0.0, t - SPEED_WINDOW_S))[1] if t > 0 else None
    moment, features = _features(poser, t, past, min(t, SPEED_WINDOW_S))
    return moment, {g.name: g.evaluate(features, False) is True for g in DEFAULT.gestures}


@pytest.mark.parametrize('path', library(), ids=lambda p: p.stem)
def test_labels_agree_with_the_gesture_definitions(path):
    assets = require_assets()
    scene = load_scene(path)
    poser = Poser(scene, assets)
    fps = scene.effects.fps
    held = 0
    run = dict.fromkeys(BY_NAME, 0.0)
    longest = dict.fromkeys(BY_NAME, 0.0)
    hold_since = None
    for i in range(0, scene.frame_count, STEP):
        moment, matches = _matches(poser, i / fps)
        holding = moment.phase == 'hold' and moment.gesture in GESTURES
        hold_since = (hold_since if hold_since is not None else i / fps) if holding else None
        # A gesture that must be held still is only known to be once the arm has been
        # still for SPEED_WINDOW_S: the frames before compare with the move into it.
        if holding and i / fps - hold_since >= SPEED_WINDOW_S - 1e-6:
            held += 1
            assert matches[moment.gesture], (path.stem, i, moment.gesture)
        for name, ok in matches.items():
            run[name] = run[name] + STEP / fps if ok else 0.0
            longest[name] = max(longest[name], run[name])
    if path.stem in GESTURES or path.stem.startswith(('session', 'hand_session')):
        assert held > 0
    else:
        for name, seconds in longest.items():
            assert seconds < BY_NAME[name].hold_s, (path.stem, name, seconds)
