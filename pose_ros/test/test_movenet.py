"""MoveNet SinglePose / MultiPose: tensors built from chosen source-pixel keypoints decode back.

The source image is wide (640x360) and the model square, so every test also checks
the letterbox is undone correctly.
"""

from functools import partial

from fake_runtime import UNIT_QUANT, FakeRuntime, SourceFrame, tensor
import numpy as np
import pytest

from pose_ros.core.geometry import BOX_KEYPOINT_SCORE
from pose_ros.core.keypoints import NUM_KEYPOINTS
from pose_ros.pose.families.base import UnsupportedModelError
from pose_ros.pose.families.movenet import MoveNetMultiPose, MoveNetSinglePose, decode_singlepose
from pose_ros.pose.preprocess import letterbox

SRC_W, SRC_H = 640, 360

# Output quantizations covering [0, 1] as the int8 MoveNet exports do.
OUTPUT_QUANT = UNIT_QUANT

SOURCE = SourceFrame(SRC_W, SRC_H)
to_input, source_image = SOURCE.to_input, SOURCE.image
ground_truth = partial(SOURCE.ground_truth, margin=20, score_range=(0.05, 0.95),
                       score_dtype=np.float32)


def to_normalized(points_in, in_w, in_h):
    """Input pixel centres -> MoveNet's [0, 1] edge-to-edge (y, x)."""
    return (points_in[:, 1] + 0.5) / in_h, (points_in[:, 0] + 0.5) / in_w


def quant_tolerance(quant, in_size, scale):
    """Source-pixel error of half a quantization step of a [0, 1] coordinate."""
    step = OUTPUT_QUANT[quant][1]
    return (0.5 * step * in_size) / scale + 1e-3 if step else 1e-3


def singlepose_runtime(xy, scores, size, input_dtype, quant):
    pts, _ = to_input(xy, size, size)
    ny, nx = to_normalized(pts, size, size)
    out = np.stack([ny, nx, scores], axis=1).reshape(1, 1, NUM_KEYPOINTS, 3)
    dtype, scale, zp = OUTPUT_QUANT[quant]
    return FakeRuntime([tensor('input', 0, (1, size, size, 3), input_dtype)],
                       [tensor('Identity', 1, (1, 1, NUM_KEYPOINTS, 3), dtype, scale, zp)], [out])


@pytest.mark.parametrize('size', [192, 256])
@pytest.mark.parametrize('quant', list(OUTPUT_QUANT))
def test_singlepose_keypoints_return_to_source_pixels(size, quant):
    xy, scores = ground_truth(np.random.default_rng(size))
    runtime = singlepose_runtime(xy, scores, size, np.uint8, quant)
    adapter = MoveNetSinglePose(runtime, min_person_score=0.0)
    (pose,) = adapter.infer(source_image())
    _, scale = to_input(xy, size, size)
    np.testing.assert_allclose(pose.keypoints[:, :2], xy, atol=quant_tolerance(quant, size, scale))
    np.testing.assert_allclose(pose.keypoints[:, 2], scores, atol=0.5 / 255 + 1e-6)
    assert pose.score == pytest.approx(float(pose.keypoints[:, 2].mean()), abs=1e-6)
    assert pose.score == pytest.approx(float(scores.mean()), abs=0.5 / 255 + 1e-6)


def test_singlepose_box_spans_only_confident_keypoints():
    rng = np.random.default_rng(3)
    xy, scores = ground_truth(rng)
    scores[:5] = 0.05  # Below BOX_KEYPOINT_SCORE: their guesses must not stretch the box.
    xy[:5] = [[1, 1], [SRC_W - 2, 1], [1, SRC_H - 2], [SRC_W - 2, SRC_H - 2], [2, 2]]
    adapter = MoveNetSinglePose(singlepose_runtime(xy, scores, 192, np.uint8, 'float'))
    (pose,) = adapter.infer(source_image())
    confident = xy[scores > BOX_KEYPOINT_SCORE]
    expected = (*confident.min(axis=0), *confident.max(axis=0))
    np.testing.assert_allclose(pose.box, expected, atol=1e-3)


@pytest.mark.parametrize('dtype, seed', [(np.uint8, 7), (np.float32, 8)])
def test_input_gets_letterboxed_0_to_255_pixels(dtype, seed):
    # A uint8 input takes the raw letterboxed pixels; a float input the same values as floats.
    xy, scores = ground_truth(np.random.default_rng(1))
    runtime = singlepose_runtime(xy, scores, 192, dtype, 'float')
    image = source_image(seed)
    MoveNetSinglePose(runtime).infer(image)
    boxed, _ = letterbox(image, 192, 192)
    (fed,) = runtime.fed
    assert fed.dtype == dtype
    np.testing.assert_array_equal(fed[0], boxed.astype(dtype))


def test_singlepose_below_min_person_score_reports_nobody():
    xy, _ = ground_truth(np.random.default_rng(2))
    scores = np.full(NUM_KEYPOINTS, 0.1, np.float32)
    adapter = MoveNetSinglePose(singlepose_runtime(xy, scores, 192, np.uint8, 'float'),
                                min_person_score=0.2)
    assert adapter.infer(source_image()) == []


def test_timings_report_the_runtime_invoke_time():
    xy, scores = ground_truth(np.random.default_rng(4))
    runtime = singlepose_runtime(xy, scores, 192, np.uint8, 'float')
    adapter = MoveNetSinglePose(runtime)
    adapter.infer(source_image())
    assert set(adapter.timings) == {'preprocess', 'invoke', 'decode'}
    assert adapter.timings['invoke'] == runtime.last_invoke_s
    assert adapter.timings['preprocess'] > 0 and adapter.timings['decode'] > 0


def test_decode_singlepose_swaps_y_x_into_x_y():
    out = np.zeros((1, 1, NUM_KEYPOINTS, 3), np.float32)
    out[0, 0, :, 0] = 0.25   # y
    out[0, 0, :, 1] = 0.75   # x
    out[0, 0, :, 2] = 0.5
    kp = decode_singlepose(out, 200, 100)
    # Edge-to-edge 0.75 of 200 px is 150 from the left edge, pixel-centre 149.5.
    np.testing.assert_allclose(kp[:, 0], 0.75 * 200 - 0.5)
    np.testing.assert_allclose(kp[:, 1], 0.25 * 100 - 0.5)


@pytest.mark.parametrize('shape', [(640, 360, 3), (360, 640)])
def test_infer_rejects_non_rgb_images(shape):
    xy, scores = ground_truth(np.random.default_rng(5))
    adapter = MoveNetSinglePose(singlepose_runtime(xy, scores, 192, np.uint8, 'float'))
    with pytest.raises(ValueError, match='RGB uint8'):
        adapter.infer(np.zeros(shape, np.float32 if len(shape) == 3 else np.uint8))


def test_singlepose_adapter_refuses_a_multipose_model():
    runtime = FakeRuntime([tensor('input', 0, (1, 256, 256, 3), np.uint8)],
                          [tensor('out', 1, (1, 6, 56))], [np.zeros((1, 6, 56))])
    with pytest.raises(UnsupportedModelError, match='movenet_singlepose'):
        MoveNetSinglePose(runtime)


def multipose_output(people, size):
    """Build [1, 6, 56] from (xy, scores, box_xyxy, person_score) tuples in source pixels."""
    out = np.zeros((1, 6, 56), np.float32)
    for i, (xy, scores, box, score) in enumerate(people):
        pts, _ = to_input(xy, size, size)
        ny, nx = to_normalized(pts, size, size)
        out[0, i, :51] = np.stack([ny, nx, scores], axis=1).ravel()
        corners, _ = to_input(np.array(box, np.float64).reshape(2, 2), size, size)
        (ymin, ymax), (xmin, xmax) = to_normalized(corners, size, size)
        out[0, i, 51:] = [ymin, xmin, ymax, xmax, score]
    return out


@pytest.mark.parametrize('quant', list(OUTPUT_QUANT))
def test_multipose_keeps_the_best_people_in_score_order(quant):
    rng = np.random.default_rng(11)
    size = 256
    person_scores = [0.35, 0.9, 0.05, 0.6, 0.1, 0.15]
    people = []
    for score in person_scores:
        xy, kp_scores = ground_truth(rng)
        box = (*(xy.min(axis=0) - 5), *(xy.max(axis=0) + 5))
        people.append((xy, kp_scores, box, score))
    dtype, scale, zp = OUTPUT_QUANT[quant]
    runtime = FakeRuntime([tensor('input', 0, (1, size, size, 3), np.uint8)],
                          [tensor('out', 1, (1, 6, 56), dtype, scale, zp)],
                          [multipose_output(people, size)])
    poses = MoveNetMultiPose(runtime, max_persons=2, min_person_score=0.2).infer(source_image())

    _, lb_scale = to_input(people[0][0], size, size)
    tol = quant_tolerance(quant, size, lb_scale)
    assert len(poses) == 2
    # 0.9 then 0.6; 0.35 is cut by max_persons.
    for pose, index in zip(poses, [1, 3], strict=True):
        xy, kp_scores, box, score = people[index]
        assert pose.score == pytest.approx(score, abs=0.5 / 255 + 1e-6)
        np.testing.assert_allclose(pose.keypoints[:, :2], xy, atol=tol)
        np.testing.assert_allclose(pose.keypoints[:, 2], kp_scores, atol=0.5 / 255 + 1e-6)
        np.testing.assert_allclose(pose.box, box, atol=tol)


def test_multipose_with_dynamic_input_asks_for_a_fixed_size_export():
    runtime = FakeRuntime([tensor('input', 0, (1, 1, 1, 3), np.uint8)],
                          [tensor('out', 1, (1, 6, 56))], [np.zeros((1, 6, 56))])
    with pytest.raises(UnsupportedModelError,
                       match=r'dynamic shape \[1, 1, 1, 3\].*fixed input size'):
        MoveNetMultiPose(runtime)


class ResizableRuntime(FakeRuntime):
    """A fake whose input can be resized, as the TFLite interpreter allows."""

    def resize_input(self, shape):
        self.inputs = [tensor(self.inputs[0].name, 0, shape, self.inputs[0].dtype)]


def test_multipose_dynamic_input_is_fixed_at_256_when_the_runtime_can_resize():
    rng = np.random.default_rng(12)
    xy, kp_scores = ground_truth(rng)
    box = (*(xy.min(axis=0) - 5), *(xy.max(axis=0) + 5))
    runtime = ResizableRuntime([tensor('input', 0, (1, 1, 1, 3), np.uint8)],
                               [tensor('out', 1, (1, 6, 56))],
                               [multipose_output([(xy, kp_scores, box, 0.8)], 256)])
    (pose,) = MoveNetMultiPose(runtime).infer(source_image())
    assert runtime.inputs[0].shape == (1, 256, 256, 3)
    assert runtime.fed[0].shape == (1, 256, 256, 3)
    np.testing.assert_allclose(pose.keypoints[:, :2], xy, atol=1e-3)
