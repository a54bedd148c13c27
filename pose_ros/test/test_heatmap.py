"""Heatmap-only single-pose models: Gaussian heatmaps drawn at chosen keypoints decode back."""

from functools import partial

from fake_runtime import UNIT_QUANT, FakeRuntime, SourceFrame, tensor
import numpy as np
import pytest

from pose_ros.core.keypoints import NUM_KEYPOINTS
from pose_ros.pose.families.heatmap import HeatmapPose, decode_heatmaps
from pose_ros.pose.preprocess import letterbox

SRC_W, SRC_H = 500, 300
IN, GRID = 192, 48
CELL = IN / GRID
SIGMA = 1.5  # cells

QUANT = UNIT_QUANT

SOURCE = SourceFrame(SRC_W, SRC_H, IN, IN)
to_input, source_image = SOURCE.to_input, SOURCE.image
ground_truth = partial(SOURCE.ground_truth, margin=30, score_range=(0.3, 0.95))


def gaussians(cells, peaks, grid=GRID):
    """(grid, grid, 17) heatmaps with a Gaussian of height peaks[k] at cells[k] = (col, row)."""
    r, c = np.mgrid[0:grid, 0:grid].astype(np.float64)
    d2 = (c[..., None] - cells[:, 0]) ** 2 + (r[..., None] - cells[:, 1]) ** 2
    return peaks * np.exp(-d2 / (2 * SIGMA ** 2))


def cell_peaks(cells, peaks):
    """Return the Gaussians' values at their best cells, which is what a model reports."""
    d2 = ((np.rint(cells) - cells) ** 2).sum(axis=1)
    return peaks * np.exp(-d2 / (2 * SIGMA ** 2))


def heatmap_runtime(maps, quant='float', input_dtype=np.float32):
    dtype, scale, zp = QUANT[quant]
    out = maps[np.newaxis].astype(np.float32)
    return FakeRuntime([tensor('input_1', 0, (1, IN, IN, 3), input_dtype)],
                       [tensor('heatmaps', 1, out.shape, dtype, scale, zp)], [out])


def cells_of(xy):
    """Map source pixels to heatmap cells; cell j's centre is input pixel (j + .5) * CELL - .5."""
    xy_in, scale = to_input(xy)
    return (xy_in + 0.5) / CELL - 0.5, scale


@pytest.mark.parametrize('quant', list(QUANT))
def test_keypoints_return_to_source_pixels(quant):
    xy, peaks = ground_truth(np.random.default_rng(21))
    cells, scale = cells_of(xy)
    adapter = HeatmapPose(heatmap_runtime(gaussians(cells, peaks), quant), min_person_score=0.0)
    (pose,) = adapter.infer(source_image())

    # Float: the log of a Gaussian is a parabola, so the fit is exact. Quantized: the
    # 1/255 steps perturb the fit by a few hundredths of a cell; 0.1 cell is allowed,
    # a fifth of a plain argmax's worst-case error.
    tol_cells = 1e-3 if quant == 'float' else 0.1
    np.testing.assert_allclose(pose.keypoints[:, :2], xy, atol=tol_cells * CELL / scale)
    peak_tol = 0.5 * QUANT[quant][1] + 1e-5
    np.testing.assert_allclose(pose.keypoints[:, 2], cell_peaks(cells, peaks), atol=peak_tol)
    assert pose.score == pytest.approx(float(cell_peaks(cells, peaks).mean()), abs=peak_tol)


def test_refinement_beats_the_plain_argmax():
    # Keypoints a third of a cell off their cell centres, where the argmax is 1/3 cell off.
    base = np.array([[10, 12], [20, 30], [35, 8]], np.float64)
    frac = np.array([[0.33, -0.33], [-0.33, 0.33], [0.33, 0.33]])
    cells = np.tile(base + frac, (6, 1))[:NUM_KEYPOINTS]
    kp = decode_heatmaps(gaussians(cells, np.full(NUM_KEYPOINTS, 0.8)), IN, IN)
    expected = (cells + 0.5) * CELL - 0.5
    np.testing.assert_allclose(kp[:, :2], expected, atol=1e-3 * CELL)


def test_logit_heatmaps_are_passed_through_a_sigmoid():
    xy, peaks = ground_truth(np.random.default_rng(22))
    cells, scale = cells_of(xy)
    probs = np.clip(gaussians(cells, peaks), 1e-7, 1 - 1e-7)
    logits = np.log(probs / (1 - probs))
    (pose,) = HeatmapPose(heatmap_runtime(logits), min_person_score=0.0).infer(source_image())
    np.testing.assert_allclose(pose.keypoints[:, 2], cell_peaks(cells, peaks), atol=1e-5)
    np.testing.assert_allclose(pose.keypoints[:, :2], xy, atol=1e-3 * CELL / scale)


def test_slight_regression_overshoot_is_not_taken_for_logits():
    cells = np.full((NUM_KEYPOINTS, 2), 20.0)
    maps = gaussians(cells, np.full(NUM_KEYPOINTS, 0.7)) - 0.05  # background dips below 0
    kp = decode_heatmaps(maps, IN, IN)
    np.testing.assert_allclose(kp[:, 2], 0.65, atol=1e-6)


def test_peak_on_the_border_is_the_cell_centre():
    cells = np.zeros((NUM_KEYPOINTS, 2))
    cells[:, 0] = GRID - 1  # last column, first row
    kp = decode_heatmaps(gaussians(cells, np.full(NUM_KEYPOINTS, 0.9)), IN, IN)
    np.testing.assert_allclose(kp[:, 0], (GRID - 0.5) * CELL - 0.5)
    np.testing.assert_allclose(kp[:, 1], 0.5 * CELL - 0.5)


def test_non_square_heatmaps_scale_each_axis():
    cells = np.tile([[5.25, 3.75]], (NUM_KEYPOINTS, 1))
    r, c = np.mgrid[0:12, 0:16].astype(np.float64)
    maps = np.exp(-((c - 5.25) ** 2 + (r - 3.75) ** 2) / (2 * SIGMA ** 2))
    maps = np.repeat(maps[..., None], NUM_KEYPOINTS, axis=2)
    kp = decode_heatmaps(maps, 256, 192)  # 16 px cells both ways
    np.testing.assert_allclose(kp[:, :2], (cells + 0.5) * 16 - 0.5, atol=1e-3)


@pytest.mark.parametrize('input_range, expected', [
    (None, lambda px: px / 127.5 - 1.0),
    ((0.0, 1.0), lambda px: px / 255.0),
])
def test_float_input_range(input_range, expected):
    xy, peaks = ground_truth(np.random.default_rng(23))
    cells, _ = cells_of(xy)
    runtime = heatmap_runtime(gaussians(cells, peaks))
    kwargs = {} if input_range is None else {'input_range': input_range}
    image = source_image(5)
    HeatmapPose(runtime, **kwargs).infer(image)
    boxed, _ = letterbox(image, IN, IN)
    np.testing.assert_allclose(runtime.fed[0][0], expected(boxed.astype(np.float32)), atol=1e-6)


def test_uint8_input_gets_raw_pixels():
    xy, peaks = ground_truth(np.random.default_rng(24))
    cells, _ = cells_of(xy)
    runtime = heatmap_runtime(gaussians(cells, peaks), 'uint8', input_dtype=np.uint8)
    image = source_image(6)
    HeatmapPose(runtime).infer(image)
    boxed, _ = letterbox(image, IN, IN)
    np.testing.assert_array_equal(runtime.fed[0][0], boxed)


def test_reversed_input_range_is_refused():
    runtime = heatmap_runtime(np.zeros((GRID, GRID, NUM_KEYPOINTS)))
    with pytest.raises(ValueError, match='input_range'):
        HeatmapPose(runtime, input_range=(1.0, -1.0))
