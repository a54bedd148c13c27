"""BlazePose finds the rendered people: every frame, sides right, arms on the rig's joints.

This is what makes the rendered clips worth testing against: a real pose model, not the
renderer's own truth, has to see the gestures. Frames come from the shipped gesture
scenes (different bodies, clothes, rooms and camera angles), with noise, blur and JPEG.
"""

from conftest import require_model
import numpy as np
import pytest
from render_helpers import require_assets, require_gl

from pose_ros.core.keypoints import Keypoint
from pose_ros.pose.estimator import PoseEstimator, PoseEstimatorOptions
from pose_ros.rendering import Film, load_scene

K = Keypoint
ARMS = [K.LEFT_SHOULDER, K.RIGHT_SHOULDER, K.LEFT_ELBOW, K.RIGHT_ELBOW, K.LEFT_WRIST,
        K.RIGHT_WRIST]
SWAPPED = [K.RIGHT_SHOULDER, K.LEFT_SHOULDER, K.RIGHT_ELBOW, K.LEFT_ELBOW, K.RIGHT_WRIST,
           K.LEFT_WRIST]


@pytest.fixture(scope='module')
def estimator():
    landmark = require_model('pose_landmark_full.tflite')
    detector = require_model('pose_detection.tflite')
    est = PoseEstimator(PoseEstimatorOptions(model_path=str(landmark),
                                             detector_path=str(detector), smoothing=False))
    yield est
    est.close()


@pytest.mark.parametrize('name', ['engage', 'turn_left', 'stop', 'back'])
def test_blazepose_finds_the_rendered_gesture(estimator, name):
    assets = require_assets()
    require_gl()
    scene = load_scene(name)
    with Film(scene, assets) as film:
        fps = scene.effects.fps
        held = [i for i in range(scene.frame_count)
                if film.timeline.at(i / fps).phase == 'hold']
        picks = held[len(held) // 4::max(len(held) // 4, 1)][:3]
        frames = [film.frame(i) for i in picks]
    assert len(frames) == 3
    estimator.reset()
    errors = []
    for f in frames:
        assert f.gesture == name
        result = estimator.estimate(f.image, f.time)
        assert result.poses, f'{name}: nobody found in frame {f.index}'
        kp = result.poses[0].keypoints
        truth = f.truth.points_2d
        err = np.linalg.norm(kp[ARMS, :2] - truth[ARMS], axis=1)
        swapped = np.linalg.norm(kp[SWAPPED, :2] - truth[ARMS], axis=1)
        # Left and right not swapped: each arm keypoint is nearer its own side's truth.
        assert (err < swapped).all(), (name, f.index, err, swapped)
        errors.extend(err)
    diagonal = float(np.hypot(scene.camera.width, scene.camera.height_px))
    assert np.median(errors) <= 0.01 * diagonal, (name, np.round(errors, 1))
