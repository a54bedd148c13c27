"""PoseNet single-pose: heatmaps and offsets built from chosen source keypoints decode back."""

from functools import partial

from fake_runtime import FakeRuntime, SourceFrame, logit, tensor
import numpy as np
import pytest

from pose_ros.core.keypoints import NUM_KEYPOINTS
from pose_ros.pose.families.posenet import PoseNet, decode_single_pose, output_stride
from pose_ros.pose.preprocess import letterbox

SRC_W, SRC_H = 480, 640   # portrait, so the letterbox pads left and right
IN, GRID = 257, 9
STRIDE = 32.0
BACKGROUND_LOGIT = -6.0

# (dtype, scale, zero point) for heatmap logits and offsets (in input pixels).
QUANT = {
    'float': ((np.float32, 0.0, 0), (np.float32, 0.0, 0)),
    'uint8': ((np.uint8, 0.05, 160), (np.uint8, 0.5, 128)),
    'int8': ((np.int8, 0.05, 32), (np.int8, 0.5, 0)),
}

SOURCE = SourceFrame(SRC_W, SRC_H)
to_input, source_image = SOURCE.to_input, SOURCE.image
ground_truth = partial(SOURCE.ground_truth, margin=10, score_range=(0.3, 0.95))


def build_outputs(xy_in, scores, rng):
    """Heatmaps peaking at the cell nearest each keypoint, offsets from that cell to it.

    Every other cell gets random offsets, so reading the wrong cell cannot pass.
    """
    heatmaps = np.full((1, GRID, GRID, NUM_KEYPOINTS), BACKGROUND_LOGIT, np.float32)
    heatmaps += rng.uniform(-1, 0, heatmaps.shape).astype(np.float32)
    offsets = rng.uniform(-30, 30, (1, GRID, GRID, 2 * NUM_KEYPOINTS)).astype(np.float32)
    cols = np.clip(np.rint(xy_in[:, 0] / STRIDE), 0, GRID - 1).astype(int)
    rows = np.clip(np.rint(xy_in[:, 1] / STRIDE), 0, GRID - 1).astype(int)
    for k in range(NUM_KEYPOINTS):
        heatmaps[0, rows[k], cols[k], k] = logit(scores[k])
        offsets[0, rows[k], cols[k], k] = xy_in[k, 1] - rows[k] * STRIDE
        offsets[0, rows[k], cols[k], NUM_KEYPOINTS + k] = xy_in[k, 0] - cols[k] * STRIDE
    return heatmaps, offsets


def posenet_runtime(xy, scores, quant, input_dtype=np.float32, with_displacements=True,
                    seed=0):
    xy_in, _ = to_input(xy, IN, IN)
    heatmaps, offsets = build_outputs(xy_in, scores, np.random.default_rng(seed))
    (hd, hs, hz), (od, os_, oz) = QUANT[quant]
    infos = [tensor('offsets', 1, offsets.shape, od, os_, oz),
             tensor('heatmaps', 2, heatmaps.shape, hd, hs, hz)]
    values = [offsets, heatmaps]
    if with_displacements:  # exports order these differently; put them around the others
        disp = np.zeros((1, GRID, GRID, 32), np.float32)
        infos = [tensor('displacement_fwd', 3, disp.shape)] + infos + \
            [tensor('displacement_bwd', 4, disp.shape)]
        values = [disp] + values + [disp]
    return FakeRuntime([tensor('image', 0, (1, IN, IN, 3), input_dtype)], infos, values)


@pytest.mark.parametrize('quant', list(QUANT))
def test_keypoints_return_to_source_pixels(quant):
    rng = np.random.default_rng(42)
    xy, scores = ground_truth(rng)
    adapter = PoseNet(posenet_runtime(xy, scores, quant), min_person_score=0.0)
    (pose,) = adapter.infer(source_image())

    _, lb_scale = to_input(xy, IN, IN)
    offset_step = QUANT[quant][1][1]
    logit_step = QUANT[quant][0][1]
    # Half an offset step in input pixels, back in source pixels; a sigmoid's slope is <= 1/4.
    pos_tol = 0.5 * offset_step / lb_scale + 1e-3
    score_tol = 0.25 * 0.5 * logit_step + 1e-5
    np.testing.assert_allclose(pose.keypoints[:, :2], xy, atol=pos_tol)
    np.testing.assert_allclose(pose.keypoints[:, 2], scores, atol=score_tol)
    assert pose.score == pytest.approx(float(np.mean(scores)), abs=score_tol)


def test_works_without_displacement_outputs():
    rng = np.random.default_rng(5)
    xy, scores = ground_truth(rng)
    adapter = PoseNet(posenet_runtime(xy, scores, 'float', with_displacements=False))
    (pose,) = adapter.infer(source_image())
    np.testing.assert_allclose(pose.keypoints[:, :2], xy, atol=1e-3)


def test_float_input_is_scaled_to_minus_one_one():
    xy, scores = ground_truth(np.random.default_rng(1))
    runtime = posenet_runtime(xy, scores, 'float')
    image = source_image(3)
    PoseNet(runtime).infer(image)
    boxed, _ = letterbox(image, IN, IN)
    (fed,) = runtime.fed
    assert fed.dtype == np.float32
    np.testing.assert_allclose(fed[0], boxed.astype(np.float32) / 127.5 - 1.0, atol=1e-6)


def test_uint8_input_gets_raw_pixels():
    xy, scores = ground_truth(np.random.default_rng(1))
    runtime = posenet_runtime(xy, scores, 'uint8', input_dtype=np.uint8)
    image = source_image(4)
    PoseNet(runtime).infer(image)
    boxed, _ = letterbox(image, IN, IN)
    np.testing.assert_array_equal(runtime.fed[0][0], boxed)


def test_low_scoring_person_is_dropped():
    xy, _ = ground_truth(np.random.default_rng(2))
    scores = np.full(NUM_KEYPOINTS, 0.1)
    adapter = PoseNet(posenet_runtime(xy, scores, 'float'), min_person_score=0.2)
    assert adapter.infer(source_image()) == []


@pytest.mark.parametrize('input_size, grid, stride', [
    (257, 9, 32.0), (513, 33, 16.0), (353, 23, 16.0), (256, 16, 16.0), (224, 14, 16.0)])
def test_output_stride(input_size, grid, stride):
    assert output_stride(input_size, grid) == stride


def test_decode_uses_each_keypoints_best_cell_and_its_offset():
    heatmaps = np.full((3, 4, NUM_KEYPOINTS), -5.0, np.float32)
    offsets = np.full((3, 4, 2 * NUM_KEYPOINTS), 99.0, np.float32)
    for k in range(NUM_KEYPOINTS):
        row, col = k % 3, k % 4
        heatmaps[row, col, k] = 2.0
        offsets[row, col, k] = -1.5                  # y offset
        offsets[row, col, NUM_KEYPOINTS + k] = 2.5   # x offset
    kp = decode_single_pose(heatmaps, offsets, stride_x=10.0, stride_y=20.0)
    ks = np.arange(NUM_KEYPOINTS)
    np.testing.assert_allclose(kp[:, 0], (ks % 4) * 10.0 + 2.5)
    np.testing.assert_allclose(kp[:, 1], (ks % 3) * 20.0 - 1.5)
    np.testing.assert_allclose(kp[:, 2], 1 / (1 + np.exp(-2.0)), rtol=1e-6)


def test_decode_rejects_mismatched_grids():
    with pytest.raises(ValueError, match='same grid'):
        decode_single_pose(np.zeros((9, 9, 17)), np.zeros((8, 8, 34)), 32.0, 32.0)
