"""The scene library's labels agree with the gesture definitions, on the true keypoints.

Checked on the renderer's ground truth (no pose model): every frame a gesture scene labels
as holding a gesture satisfies that gesture's conditions in config/gestures.yaml, and no
everyday scene satisfies any gesture's conditions for as long as its hold time. Whether
the pose model then sees the same is the end-to-end tests' business.
"""

from pathlib import Path

import numpy as np
import pytest
from render_helpers import require_assets

from pose_ros.core.keypoints import Pose
from pose_ros.gestures import load_gestures
from pose_ros.gestures.features import FeatureSet
from pose_ros.rendering import GESTURES, Poser, library, load_scene

DEFAULT = load_gestures(Path(__file__).resolve().parents[1] / 'config' / 'gestures.yaml')
BY_NAME = {g.name: g for g in DEFAULT.gestures}
STEP = 3   # every third frame: 10 Hz


def _matches(poser, t):
    _, px, moment = poser.keypoints_at(t)
    kp = np.hstack([px, np.ones((17, 1))]).astype(np.float32)
    features = FeatureSet(Pose(kp), 0.3)
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
    for i in range(0, scene.frame_count, STEP):
        moment, matches = _matches(poser, i / fps)
        if moment.phase == 'hold' and moment.gesture in GESTURES:
            held += 1
            assert matches[moment.gesture], (path.stem, i, moment.gesture)
        for name, ok in matches.items():
            run[name] = run[name] + STEP / fps if ok else 0.0
            longest[name] = max(longest[name], run[name])
    if path.stem in GESTURES or path.stem.startswith('session'):
        assert held > 0
    else:
        for name, seconds in longest.items():
            assert seconds < BY_NAME[name].hold_s, (path.stem, name, seconds)
