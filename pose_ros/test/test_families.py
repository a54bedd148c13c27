"""Family detection from tensor signatures, explicit family checks and adapter creation."""

from pathlib import Path
from types import SimpleNamespace

from conftest import require_model
import numpy as np
import pytest

from pose_ros.pose.families.base import (
    FAMILIES,
    UnsupportedModelError,
    as_probability,
    check_family,
    create_adapter,
    detect_family,
    get_family,
    normalized_to_pixels,
    register,
)
from pose_ros.pose.families.blazepose import BlazePose
from pose_ros.pose.families.heatmap import HeatmapPose
from pose_ros.pose.families.movenet import MoveNetMultiPose, MoveNetSinglePose
from pose_ros.pose.families.posenet import PoseNet
from pose_ros.pose.families.yolo_pose import YoloPose
from pose_ros.pose.runtime import Runtime, TensorInfo


def model(inputs, outputs):
    """Build a runtime stand-in carrying only tensor signatures: [(name, shape, dtype), ...]."""
    def infos(specs, first):
        return [TensorInfo(name, first + i, tuple(shape), np.dtype(dtype), 0.0, 0)
                for i, (name, shape, dtype) in enumerate(specs)]
    return SimpleNamespace(inputs=infos(inputs, 0), outputs=infos(outputs, len(inputs)),
                           last_invoke_s=0.0, run=None)


def image(h, w, dtype=np.uint8):
    return [('input', (1, h, w, 3), dtype)]


SIGNATURES = {
    'blazepose': model(image(256, 256, np.float32),
                       [('Identity', (1, 195), np.float32), ('Identity_1', (1, 1), np.float32),
                        ('Identity_2', (1, 256, 256, 1), np.float32),
                        ('Identity_3', (1, 64, 64, 39), np.float32),
                        ('Identity_4', (1, 117), np.float32)]),
    'movenet_singlepose': model(image(192, 192), [('Identity', (1, 1, 17, 3), np.float32)]),
    'movenet_multipose': model(image(256, 256), [('Identity', (1, 6, 56), np.float32)]),
    'posenet': model(image(257, 257, np.float32),
                     [('heatmap', (1, 9, 9, 17), np.float32),
                      ('offset', (1, 9, 9, 34), np.float32),
                      ('displacement_fwd', (1, 9, 9, 32), np.float32),
                      ('displacement_bwd', (1, 9, 9, 32), np.float32)]),
    'yolo_pose': model(image(640, 640, np.float32), [('output0', (1, 56, 8400), np.float32)]),
    'heatmap': model(image(192, 192), [('heatmaps', (1, 48, 48, 17), np.float32)]),
}


@pytest.mark.parametrize('family', list(SIGNATURES))
def test_each_signature_is_recognised(family):
    assert detect_family(SIGNATURES[family]) == family


@pytest.mark.parametrize('family', list(SIGNATURES))
def test_each_signature_fits_only_its_own_family(family):
    check_family(family, SIGNATURES[family])
    for other in FAMILIES:
        if other != family:
            with pytest.raises(UnsupportedModelError, match=f'model_type {other!r} expects'):
                check_family(other, SIGNATURES[family])


@pytest.mark.parametrize('runtime, family', [
    (model(image(320, 320), [('out', (1, 2100, 56), np.float32)]), 'yolo_pose'),
    (model(image(256, 256, np.float32), [('offsets', (1, 16, 16, 34), np.int8),
                                         ('disp', (1, 16, 16, 64), np.int8),
                                         ('heatmaps', (1, 16, 16, 17), np.int8)]), 'posenet'),
    (model(image(257, 257, np.float32), [('heatmaps', (1, 9, 9, 17), np.float32),
                                         ('offsets', (1, 9, 9, 34), np.float32)]), 'posenet'),
    (model(image(1, 1), [('out', (1, 6, 56), np.float32)]), 'movenet_multipose'),
])
def test_export_variants_are_recognised(runtime, family):
    assert detect_family(runtime) == family


def test_posenet_needs_offsets_on_the_heatmap_grid():
    runtime = model(image(257, 257, np.float32), [('heatmaps', (1, 9, 9, 17), np.float32),
                                                  ('offsets', (1, 17, 17, 34), np.float32)])
    with pytest.raises(UnsupportedModelError):
        detect_family(runtime)


def test_blazepose_detector_alone_asks_for_the_landmark_model():
    detector = model(image(224, 224, np.float32), [('Identity', (1, 2254, 12), np.float32),
                                                   ('Identity_1', (1, 2254, 1), np.float32)])
    with pytest.raises(UnsupportedModelError, match='DETECTOR') as err:
        detect_family(detector)
    assert 'landmark model' in str(err.value)
    assert 'detector passed separately' in str(err.value)


def test_unsupported_model_lists_its_tensors_and_the_families():
    classifier = model(image(224, 224, np.float32), [('logits', (1, 1001), np.float32)])
    with pytest.raises(UnsupportedModelError) as err:
        detect_family(classifier)
    message = str(err.value)
    assert "'input' [1, 224, 224, 3] float32" in message
    assert "'logits' [1, 1001] float32" in message
    for family in FAMILIES:
        assert family in message
    assert '[1,6,56]' in message and '[1,1,17,3]' in message


def test_check_family_names_expected_and_found():
    with pytest.raises(UnsupportedModelError) as err:
        check_family('posenet', SIGNATURES['movenet_singlepose'])
    message = str(err.value)
    assert '[1,h,w,17] heatmaps and [1,h,w,34] offsets' in message
    assert "'Identity' [1, 1, 17, 3] float32" in message


def test_unknown_family_lists_the_known_ones():
    with pytest.raises(UnsupportedModelError, match='openpose') as err:
        check_family('openpose', SIGNATURES['posenet'])
    assert ', '.join(FAMILIES) in str(err.value)
    with pytest.raises(UnsupportedModelError, match=', '.join(FAMILIES)):
        create_adapter('openpose', SIGNATURES['posenet'])


@pytest.mark.parametrize('family, cls', [
    ('movenet_singlepose', MoveNetSinglePose), ('movenet_multipose', MoveNetMultiPose),
    ('posenet', PoseNet), ('yolo_pose', YoloPose), ('heatmap', HeatmapPose)])
def test_create_adapter_builds_the_family_with_its_limits(family, cls):
    adapter = create_adapter(family, SIGNATURES[family], max_persons=3, min_person_score=0.4)
    assert isinstance(adapter, cls)
    assert adapter.family == family
    assert (adapter.max_persons, adapter.min_person_score) == (3, 0.4)
    assert adapter.timings == {'preprocess': 0.0, 'invoke': 0.0, 'decode': 0.0}
    adapter.reset()


def test_create_adapter_refuses_a_model_of_another_family():
    with pytest.raises(UnsupportedModelError, match="model_type 'heatmap'"):
        create_adapter('heatmap', SIGNATURES['posenet'])


def test_create_adapter_points_blazepose_elsewhere():
    with pytest.raises(UnsupportedModelError, match='two models'):
        create_adapter('blazepose', SIGNATURES['blazepose'])


def test_blazepose_is_built_by_the_registry_with_the_detector_beside_the_model():
    landmark = require_model('pose_landmark_full.tflite')
    require_model('pose_detection.tflite')
    opened = []

    def load(path, role):
        opened.append((Path(path), role))
        return Runtime(path)

    adapter = create_adapter('blazepose', Runtime(landmark), load=load)
    assert isinstance(adapter, BlazePose)
    assert opened == [(landmark.parent / 'pose_detection.tflite', 'detector_path')]
    assert adapter.min_detection_score == adapter.min_tracking_score == 0.5  # its default
    opened.clear()
    adapter = create_adapter('blazepose', Runtime(landmark), min_person_score=0.7,
                             detector_path='/elsewhere/detector.tflite',
                             load=lambda path, role: opened.append(path) or Runtime(
                                 landmark.parent / 'pose_detection.tflite'))
    assert opened == ['/elsewhere/detector.tflite']
    assert adapter.min_detection_score == adapter.min_tracking_score == 0.7


def test_a_family_registers_once():
    with pytest.raises(ValueError, match="'posenet' is registered already"):
        register(get_family('posenet'))


@pytest.mark.parametrize('kwargs, message', [
    ({'max_persons': 0}, 'max_persons'), ({'max_persons': 2.5}, 'max_persons'),
    ({'min_person_score': 1.5}, 'min_person_score'),
    ({'min_person_score': -0.1}, 'min_person_score')])
def test_adapter_limits_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        create_adapter('movenet_singlepose', SIGNATURES['movenet_singlepose'], **kwargs)


def test_as_probability_keeps_probabilities_and_squashes_logits():
    probs = np.array([0.0, 0.25, 1.0], np.float32)
    np.testing.assert_array_equal(as_probability(probs), probs)
    logits = np.array([-3.0, 0.0, 2.0], np.float32)
    np.testing.assert_allclose(as_probability(logits), 1 / (1 + np.exp(-logits)), rtol=1e-6)
    overshoot = np.array([-0.05, 0.5, 1.04], np.float32)
    np.testing.assert_allclose(as_probability(overshoot, slack=0.1), [0.0, 0.5, 1.0])


def test_normalized_edges_map_to_outer_pixel_borders():
    # 0 and 1 are the image's outer edges: half a pixel outside the first and last centres.
    np.testing.assert_allclose(normalized_to_pixels(np.array([0.0, 1.0]), 100), [-0.5, 99.5])
