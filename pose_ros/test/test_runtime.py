"""Runtime: (de)quantization maths without a model, loading and running the BlazePose files."""

from conftest import require_model
import numpy as np
import pytest

from pose_ros.pose.runtime import ModelLoadError, Runtime, TensorInfo, dequantize, quantize


def _info(dtype, scale, zero_point) -> TensorInfo:
    return TensorInfo('t', 0, (1, 4), np.dtype(dtype), scale, zero_point)


@pytest.mark.parametrize('dtype, scale, zero_point', [
    (np.uint8, 0.05, 128), (np.uint8, 1 / 255, 0), (np.int8, 0.02, -3), (np.int8, 0.1, 0)])
def test_quantize_round_trip_is_within_half_a_step(dtype, scale, zero_point):
    info = _info(dtype, scale, zero_point)
    limits = np.iinfo(dtype)
    lo, hi = (limits.min - zero_point) * scale, (limits.max - zero_point) * scale
    x = np.linspace(lo, hi, 1001, dtype=np.float32)
    q = quantize(x, info)
    assert q.dtype == np.dtype(dtype)
    back = dequantize(q, info)
    assert back.dtype == np.float32
    assert np.max(np.abs(back - x)) <= scale / 2 + 1e-6
    # Every code is reachable, so quantization is not collapsing the range.
    assert q.min() == limits.min and q.max() == limits.max


def test_quantize_clips_to_the_dtype_range_and_rounds():
    info = _info(np.int8, 0.5, 10)
    q = quantize(np.array([-1000.0, 1000.0, 0.0, 0.74, 0.76]), info)
    assert q.tolist() == [-128, 127, 10, 11, 12]
    assert dequantize(q, info).tolist() == [-69.0, 58.5, 0.0, 0.5, 1.0]


def test_quantized_flag_needs_integer_dtype_and_positive_scale():
    assert _info(np.uint8, 0.1, 0).quantized
    assert not _info(np.uint8, 0.0, 0).quantized  # raw 0..255 pixel input
    assert not _info(np.float32, 0.1, 0).quantized
    with pytest.raises(ValueError, match='not quantized'):
        quantize(np.zeros(3), _info(np.uint8, 0.0, 0))


def test_missing_model_names_the_path(tmp_path):
    missing = tmp_path / 'nope.tflite'
    with pytest.raises(ModelLoadError, match='nope.tflite.*does not exist'):
        Runtime(missing)


def test_garbage_file_is_rejected(tmp_path):
    junk = tmp_path / 'junk.tflite'
    junk.write_bytes(b'this is not a flatbuffer at all' * 10)
    with pytest.raises(ModelLoadError, match='not a TFLite model'):
        Runtime(junk)


def test_truncated_model_is_rejected(tmp_path):
    data = require_model('pose_detection.tflite').read_bytes()
    cut = tmp_path / 'cut.tflite'
    cut.write_bytes(data[:4096])  # right magic, broken body
    with pytest.raises(ModelLoadError, match='cut.tflite'):
        Runtime(cut)


def test_bad_delegate_is_reported(tmp_path):
    with pytest.raises(ModelLoadError, match='delegate'):
        Runtime(require_model('pose_detection.tflite'), delegate_path=str(tmp_path / 'libnone.so'))


def test_detector_tensors_and_run():
    rt = Runtime(require_model('pose_detection.tflite'), num_threads=1)
    assert [i.shape for i in rt.inputs] == [(1, 224, 224, 3)]
    assert {o.shape for o in rt.outputs} == {(1, 2254, 12), (1, 2254, 1)}
    assert not rt.inputs[0].quantized
    # uint8 and a missing batch axis are both accepted for a float input.
    image = np.random.default_rng(0).integers(0, 255, (224, 224, 3), dtype=np.uint8)
    out_u8 = rt.run(image)
    out_f32 = rt.run(image[np.newaxis].astype(np.float32))
    assert [o.shape for o in out_u8] == [o.shape for o in rt.outputs]
    assert all(o.dtype == np.float32 for o in out_u8)
    for a, b in zip(out_u8, out_f32, strict=True):
        np.testing.assert_array_equal(a, b)
    assert rt.last_invoke_s > 0


def test_landmark_outputs_can_be_selected():
    rt = Runtime(require_model('pose_landmark_full.tflite'))
    shapes = {o.name: o.shape for o in rt.outputs}
    assert shapes['Identity'] == (1, 195) and shapes['Identity_1'] == (1, 1)
    x = np.full((256, 256, 3), 0.5, np.float32)
    wanted = [rt.outputs.index(rt.output('Identity')), rt.outputs.index(rt.output('Identity_1'))]
    some = rt.run(x, outputs=wanted)
    everything = rt.run(x)
    assert [o.shape for o in some] == [(1, 195), (1, 1)]
    np.testing.assert_allclose(some[0], everything[wanted[0]], rtol=1e-6, atol=1e-6)
    with pytest.raises(KeyError, match='no output'):
        rt.output('segmentation')


def test_wrong_input_shape_and_count_are_errors():
    rt = Runtime(require_model('pose_detection.tflite'))
    with pytest.raises(ValueError, match=r'expects shape \(1, 224, 224, 3\)'):
        rt.run(np.zeros((256, 256, 3), np.float32))
    with pytest.raises(ValueError, match='takes 1 input'):
        rt.run(np.zeros((224, 224, 3), np.float32), np.zeros(3))
