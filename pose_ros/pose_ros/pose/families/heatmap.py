"""Single-pose decoding of heatmap-only models (the STM32 model zoo's "heatmaps_spe").

These models output one low-resolution heatmap per keypoint and nothing else, so
the position comes from the heatmap alone: a plain argmax is quantised to whole
cells (4-8 input pixels), which is why the peak is refined to sub-cell precision.

Sub-cell refinement: along each axis a parabola is fitted through the log of the
peak and its two neighbours and its vertex is taken (clamped to half a cell). For
the Gaussian peaks these models are trained to draw the log is exactly a parabola,
so the refinement is exact there, where the common fixed quarter-cell shift towards
the larger neighbour is off by up to a quarter cell. Peaks on the heatmap border are
not refined.

Cell (i, j) covers input pixels [j * s, (j + 1) * s) with s = input / heatmap size,
so its centre maps to input pixel (j + 0.5) * s (the model zoo's own decoding).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pose_ros.core.keypoints import NUM_KEYPOINTS, Pose
from pose_ros.pose.families.base import (
    Family,
    FamilyAdapter,
    as_probability,
    image_input,
    output_shapes,
    pose_from_input,
    register,
)
from pose_ros.pose.preprocess import Affine

# Regression heads overshoot [0, 1] a little; only values beyond this are taken as logits.
HEATMAP_LOGIT_SLACK = 0.5
# Float inputs of the model zoo's heatmap models: rescaling scale 1/127.5, offset -1.
DEFAULT_INPUT_RANGE = (-1.0, 1.0)
_LOG_FLOOR = 1e-6


def _matches(runtime: Any) -> bool:
    shapes = output_shapes(runtime)
    return (image_input(runtime) and len(shapes) == 1 and len(shapes[0]) == 4
            and shapes[0][0] == 1 and shapes[0][1] > 1 and shapes[0][2] > 1
            and shapes[0][3] == NUM_KEYPOINTS)


def _vertex_offset(log_maps: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                   axis: int) -> np.ndarray:
    """Return the parabola-vertex shift of each peak along ``axis`` (0 rows, 1 columns)."""
    ids = np.arange(len(rows))
    pos = rows if axis == 0 else cols
    size = log_maps.shape[axis]
    inner = (pos > 0) & (pos < size - 1)
    lo = np.clip(pos - 1, 0, size - 1)
    hi = np.clip(pos + 1, 0, size - 1)
    if axis == 0:
        before, after = log_maps[lo, cols, ids], log_maps[hi, cols, ids]
    else:
        before, after = log_maps[rows, lo, ids], log_maps[rows, hi, ids]
    centre = log_maps[rows, cols, ids]
    curvature = before - 2.0 * centre + after
    peaked = inner & (curvature < 0)
    shift = np.divide(before - after, 2.0 * curvature, out=np.zeros_like(centre), where=peaked)
    return np.clip(shift, -0.5, 0.5)


def decode_heatmaps(heatmaps: np.ndarray, input_width: int, input_height: int) -> np.ndarray:
    """Return (17, 3) keypoints (x, y, score) in model-input pixels from (h, w, 17) heatmaps.

    The score is the peak value, passed through a sigmoid when the heatmaps are logits.
    """
    maps = np.asarray(heatmaps, dtype=np.float32)
    if maps.ndim != 3 or maps.shape[2] != NUM_KEYPOINTS:
        raise ValueError(f'heatmaps must have shape (h, w, {NUM_KEYPOINTS}), got {maps.shape}')
    h, w, k = maps.shape
    probs = as_probability(maps, slack=HEATMAP_LOGIT_SLACK)
    best = probs.reshape(h * w, k).argmax(axis=0)
    rows, cols = np.divmod(best, w)
    log_maps = np.log(np.maximum(probs, _LOG_FLOOR))
    dy = _vertex_offset(log_maps, rows, cols, axis=0)
    dx = _vertex_offset(log_maps, rows, cols, axis=1)
    kp = np.empty((k, 3), dtype=np.float32)
    kp[:, 0] = (cols + dx + 0.5) * (input_width / w) - 0.5
    kp[:, 1] = (rows + dy + 0.5) * (input_height / h) - 0.5
    kp[:, 2] = probs[rows, cols, np.arange(k)]
    return kp


class HeatmapPose(FamilyAdapter):
    """One person from a heatmap-only model, scored by its mean keypoint score.

    ``input_range`` is the (low, high) float inputs span for 0..255 pixels; the
    model zoo trains its heatmap models on [-1, 1]. Models with a uint8 input take
    raw pixels and ignore it.
    """

    family = 'heatmap'

    def __init__(self, runtime: Any, *, max_persons: int = 6,
                 min_person_score: float | None = None,
                 input_range: tuple[float, float] = DEFAULT_INPUT_RANGE) -> None:
        low, high = (float(v) for v in input_range)
        if not low < high:
            raise ValueError(f'heatmap input_range must be (low, high) with low < high, e.g. '
                             f'(-1, 1) or (0, 1); got {tuple(input_range)}')
        super().__init__(runtime, max_persons=max_persons, min_person_score=min_person_score)
        self.input_range = (low, high)

    def normalize(self, pixels: np.ndarray) -> np.ndarray:
        """Map 0..255 onto ``input_range``."""
        low, high = self.input_range
        return pixels * np.float32((high - low) / 255.0) + np.float32(low)

    def _decode(self, outputs: list[np.ndarray], to_source: Affine) -> list[Pose]:
        kp = decode_heatmaps(outputs[0][0], self.input_width, self.input_height)
        return [pose_from_input(kp, to_source)]


register(Family(name='heatmap', signature='input [1,H,W,3], one output [1,h,w,17] heatmaps',
                matches=_matches, create=HeatmapPose.create,
                default_min_person_score=0.2))  # mean keypoint peak, as MoveNet SinglePose
