"""PoseEstimator end to end: options to tracked, smoothed poses, and the errors users meet."""

import math
from pathlib import Path
import shutil

from conftest import require_model
import numpy as np
import pytest
from skimage import data

from pose_ros.core.keypoints import Keypoint
from pose_ros.models.registry import ModelNotFoundError
from pose_ros.pose.estimator import PoseEstimator, PoseEstimatorOptions, PoseResult
from pose_ros.pose.options import ModelFamily
from pose_ros.pose.runtime import ModelLoadError


@pytest.fixture
def landmark_path():
    require_model('pose_detection.tflite')
    return str(require_model('pose_landmark_full.tflite'))


def _astronaut_640x480(dx=0):
    canvas = np.zeros((480, 640, 3), np.uint8)
    canvas[:, 64 + dx:64 + dx + 512] = data.astronaut()[:480]
    return canvas


# Nose region of the astronaut (x 185-255, y 95-155 in the 512 px photo, chosen by viewing it
# with a grid), placed 64 px right in the 640x480 frame.
NOSE_BOX = (185 + 64, 95, 255 + 64, 155)


@pytest.mark.parametrize('model_type', ['auto', 'blazepose'])
def test_estimates_the_astronaut(landmark_path, model_type):
    options = PoseEstimatorOptions(model_path=landmark_path, model_type=model_type)
    with PoseEstimator(options) as estimator:
        assert estimator.family == 'blazepose'
        assert estimator.model_name == 'pose_landmark_full'
        result = estimator.estimate(_astronaut_640x480(), 0.0)
    assert isinstance(result, PoseResult)
    assert (result.image_width, result.image_height) == (640, 480)
    assert len(result.poses) == 1
    pose = result.poses[0]
    x, y, score = pose.point(Keypoint.NOSE)
    assert NOSE_BOX[0] <= x <= NOSE_BOX[2] and NOSE_BOX[1] <= y <= NOSE_BOX[3]
    assert score > 0.9
    assert pose.track_id >= 0
    # Every stage did work, so each took time; together they make up the total.
    for stage in ('preprocess', 'invoke', 'decode', 'tracking', 'smoothing', 'total'):
        assert result.timings[stage] > 0.0, stage
    stages = sum(result.timings[s] for s in ('preprocess', 'invoke', 'decode', 'tracking',
                                             'smoothing'))
    assert stages == pytest.approx(result.timings['total'], rel=0.05, abs=2e-4)


def test_track_id_is_stable_and_smoothing_damps_jitter(landmark_path):
    frames = [_astronaut_640x480(dx) for dx in (0, 3, -3, 3, -3, 3)]
    raw, smooth = [], []
    for smoothing, out in ((False, raw), (True, smooth)):
        options = PoseEstimatorOptions(model_path=landmark_path, smoothing=smoothing,
                                       smoothing_min_cutoff=0.5, smoothing_beta=0.0)
        with PoseEstimator(options) as estimator:
            ids = set()
            for i, frame in enumerate(frames):
                pose = estimator.estimate(frame, i / 30.0).poses[0]
                ids.add(pose.track_id)
                out.append(pose.keypoints[Keypoint.NOSE, 0])
            assert len(ids) == 1
    # The frame shakes by +-3 px: the smoothed nose must move less, frame to frame.
    assert np.abs(np.diff(smooth)).sum() < np.abs(np.diff(raw)).sum()


def test_reset_runs_the_detector_again(landmark_path):
    with PoseEstimator(PoseEstimatorOptions(model_path=landmark_path)) as estimator:
        image = _astronaut_640x480()
        first = estimator.estimate(image, 0.0).poses[0].track_id
        estimator.estimate(image, 0.033)
        adapter = estimator._adapter
        assert adapter.detector_runs == 1
        estimator.reset()
        again = estimator.estimate(image, 0.066).poses[0].track_id
        assert adapter.detector_runs == 2
        assert again != first  # tracks were forgotten, so the person gets a new id


def test_close_releases_and_refuses_further_use(landmark_path):
    with PoseEstimator(PoseEstimatorOptions(model_path=landmark_path)) as estimator:
        assert not estimator.closed
    assert estimator.closed
    with pytest.raises(RuntimeError, match='closed'):
        estimator.estimate(_astronaut_640x480(), 0.0)
    estimator.reset()  # harmless after close
    estimator.close()  # idempotent


def test_missing_model_names_the_path_and_the_fetch_command(tmp_path):
    missing = tmp_path / 'nowhere' / 'pose_landmark_full.tflite'
    with pytest.raises(ModelLoadError) as err:
        PoseEstimator(PoseEstimatorOptions(model_path=str(missing)))
    assert str(missing) in str(err.value)
    assert 'python -m pose_ros.models fetch blazepose_full' in str(err.value)


def test_missing_detector_is_named(landmark_path, tmp_path):
    alone = tmp_path / 'pose_landmark_full.tflite'
    shutil.copy(landmark_path, alone)
    with pytest.raises(ModelLoadError, match='detector_path.*pose_detection.tflite'):
        PoseEstimator(PoseEstimatorOptions(model_path=str(alone)))
    # An explicit detector path is used instead of the neighbour.
    detector = str(Path(landmark_path).parent / 'pose_detection.tflite')
    with PoseEstimator(PoseEstimatorOptions(model_path=str(alone),
                                            detector_path=detector)) as estimator:
        assert len(estimator.estimate(_astronaut_640x480(), 0.0).poses) == 1


def test_bad_model_type_lists_the_allowed_families(tmp_path):
    # Options are checked before any file is opened, so no model is needed.
    with pytest.raises(ValueError) as err:
        PoseEstimator(PoseEstimatorOptions(model_path=str(tmp_path / 'm.tflite'),
                                           model_type='openpose'))
    message = str(err.value)
    assert "'openpose'" in message
    for family in ('auto', 'blazepose', 'movenet_singlepose', 'movenet_multipose', 'posenet',
                   'yolo_pose', 'heatmap'):
        assert family in message


def test_model_type_that_does_not_fit_the_file_is_refused(landmark_path):
    with pytest.raises(ValueError, match='movenet_singlepose'):
        PoseEstimator(PoseEstimatorOptions(model_path=landmark_path,
                                           model_type='movenet_singlepose'))


def test_detector_given_as_the_model_is_explained():
    detector = str(require_model('pose_detection.tflite'))
    with pytest.raises(ValueError, match='DETECTOR'):
        PoseEstimator(PoseEstimatorOptions(model_path=detector))


@pytest.mark.parametrize('field, value, match', [
    ('num_threads', 0, 'num_threads'),
    ('max_persons', 0, 'max_persons'),
    ('min_person_score', 1.5, 'min_person_score'),
])
def test_bad_options_are_refused(tmp_path, field, value, match):
    # Refused where the options are made, before any file is opened.
    with pytest.raises(ValueError, match=match):
        PoseEstimator(PoseEstimatorOptions(model_path=str(tmp_path / 'm.tflite'),
                                           **{field: value}))


def test_bad_image_is_refused(landmark_path):
    with PoseEstimator(PoseEstimatorOptions(model_path=landmark_path)) as estimator:
        with pytest.raises(ValueError, match=r'RGB uint8 image of shape \(H, W, 3\)'):
            estimator.estimate(np.zeros((480, 640), np.uint8), 0.0)


def test_from_model_resolves_a_registered_name_and_passes_options_through(landmark_path):
    with PoseEstimator.from_model('blazepose_full', num_threads=1, smoothing=False,
                                  min_person_score=0.6) as estimator:
        assert estimator.model_name == 'blazepose_full'
        assert estimator.family == 'blazepose'
        assert estimator.options.model_path == landmark_path
        assert estimator.options.detector_path.endswith('pose_detection.tflite')
        assert (estimator.options.num_threads, estimator.options.smoothing) == (1, False)
        assert estimator.min_person_score == 0.6
        assert len(estimator.estimate(_astronaut_640x480()).poses) == 1


def test_from_model_takes_a_path_and_a_model_family(landmark_path):
    with PoseEstimator.from_model(Path(landmark_path),
                                  model_type=ModelFamily.BLAZEPOSE) as estimator:
        assert estimator.model_name == 'pose_landmark_full'
        assert estimator.family == 'blazepose'


def test_from_model_of_a_missing_model_says_how_to_fetch_it(tmp_path, monkeypatch):
    monkeypatch.setenv('POSE_ROS_MODELS', str(tmp_path))
    with pytest.raises(ModelNotFoundError) as err:
        PoseEstimator.from_model('blazepose_full')
    assert 'python -m pose_ros.models fetch blazepose_full' in str(err.value)
    assert str(tmp_path) in str(err.value)


def test_from_model_refuses_unknown_and_doubled_options(landmark_path):
    with pytest.raises(TypeError, match='num_thread'):
        PoseEstimator.from_model('blazepose_full', num_thread=2)
    with pytest.raises(TypeError, match='first argument'):
        PoseEstimator.from_model('blazepose_full', model_path=landmark_path)
    with pytest.raises(ValueError, match='max_persons'):
        PoseEstimator.from_model('blazepose_full', max_persons=0)


def test_a_still_image_carries_nothing_over_from_or_to_other_calls(landmark_path):
    image, moved = _astronaut_640x480(), _astronaut_640x480(dx=40)
    with PoseEstimator.from_model('blazepose_full') as fresh:
        still = fresh.estimate(image).poses[0]
        first_frame = fresh.estimate(image, 0.0).poses[0]
    with PoseEstimator.from_model('blazepose_full') as estimator:
        adapter = estimator._adapter
        for i in range(4):  # a video of the person 40 px to the right: tracked, smoothed
            estimator.estimate(moved, i / 30.0)
        assert adapter.detector_runs == 1
        after_video = estimator.estimate(image).poses[0]
        assert adapter.detector_runs == 2  # searched afresh
        again = estimator.estimate(image).poses[0]
        assert adapter.detector_runs == 3
        next_frame = estimator.estimate(image, 1.0).poses[0]
        assert adapter.detector_runs == 4  # the video starts afresh after a still
    # Exactly what a fresh estimator sees: no region, track or filter state came along.
    np.testing.assert_array_equal(after_video.keypoints, still.keypoints)
    np.testing.assert_array_equal(again.keypoints, still.keypoints)
    np.testing.assert_array_equal(next_frame.keypoints, first_frame.keypoints)
    # Every still gets new track ids: its people are not the ones of another call.
    assert len({after_video.track_id, again.track_id, next_frame.track_id}) == 3


def test_a_timestamp_must_be_a_finite_number(landmark_path):
    with PoseEstimator.from_model('blazepose_full') as estimator:
        with pytest.raises(ValueError, match='timestamp_s'):
            estimator.estimate(_astronaut_640x480(), math.nan)
