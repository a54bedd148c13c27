"""PoseNet (MobileNet v1) single-pose decoding from heatmaps and short-range offsets.

PoseNet locates each keypoint coarsely as the best cell of a low-resolution
heatmap and then refines it with a regressed offset in input pixels; both steps
are needed, the grid alone is 32 px coarse.

Float inputs take pixels / 127.5 - 1, as the TFLite PoseNet sample prepares them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pose_ros.core.geometry import sigmoid
from pose_ros.core.keypoints import NUM_KEYPOINTS, Pose
from pose_ros.pose.families.base import (
    Family,
    FamilyAdapter,
    UnsupportedModelError,
    describe_tensors,
    image_input,
    output_shapes,
    pose_from_input,
    register,
)
from pose_ros.pose.preprocess import Affine

SIGNATURE = ('input [1,H,W,3], outputs [1,h,w,17] heatmaps and [1,h,w,34] offsets '
             '(displacements optional)')


def posenet_outputs(runtime: Any) -> tuple[int, int]:
    """Return the positions of PoseNet's heatmap and offset outputs, or raise if absent.

    Exports differ in output order, so the tensors are found by their channel counts
    on a shared grid rather than by position or name.
    """
    shapes = output_shapes(runtime)
    for i, s in enumerate(shapes):
        if len(s) != 4 or s[0] != 1 or s[3] != NUM_KEYPOINTS:
            continue
        for j, t in enumerate(shapes):
            if t == (1, s[1], s[2], 2 * NUM_KEYPOINTS):
                return i, j
    raise UnsupportedModelError(f'posenet expects {SIGNATURE}; found {describe_tensors(runtime)}')


def _matches(runtime: Any) -> bool:
    try:
        posenet_outputs(runtime)
    except UnsupportedModelError:
        return False
    return image_input(runtime)


def output_stride(input_size: int, grid_size: int) -> float:
    """Return the input pixels between neighbouring heatmap cells along one axis.

    PoseNet's strides are 8, 16 or 32. Its canonical inputs are sized
    stride * (grid - 1) + 1 (257 = 32 * 8 + 1) so that cells fall on pixels 0 and
    input - 1; other exports use stride * grid (256 = 16 * 16). Whichever reading
    gives a power of two is the stride, the aligned one when neither does.
    """
    if input_size < 2 or grid_size < 2:
        raise ValueError(f'PoseNet needs an input and a heatmap grid of at least 2 cells, got '
                         f'input {input_size}, grid {grid_size}')
    aligned = (input_size - 1) / (grid_size - 1)
    plain = input_size / grid_size
    for stride in (aligned, plain):
        if stride.is_integer() and int(stride) & (int(stride) - 1) == 0:
            return stride
    return aligned


def decode_single_pose(heatmaps: np.ndarray, offsets: np.ndarray, stride_x: float,
                       stride_y: float) -> np.ndarray:
    """Return (17, 3) keypoints (x, y, score) in model-input pixels.

    ``heatmaps`` is (h, w, 17) logits, ``offsets`` (h, w, 34) with the 17 y offsets
    first, then the 17 x offsets. Each keypoint takes its best cell; the score is the
    sigmoid of that cell's logit.
    """
    heatmaps = np.asarray(heatmaps, dtype=np.float32)
    offsets = np.asarray(offsets, dtype=np.float32)
    h, w, k = heatmaps.shape
    if k != NUM_KEYPOINTS or offsets.shape != (h, w, 2 * NUM_KEYPOINTS):
        raise ValueError(f'PoseNet needs heatmaps (h, w, {NUM_KEYPOINTS}) and offsets '
                         f'(h, w, {2 * NUM_KEYPOINTS}) on the same grid, got '
                         f'{heatmaps.shape} and {offsets.shape}')
    best = heatmaps.reshape(h * w, k).argmax(axis=0)
    rows, cols = np.divmod(best, w)
    ids = np.arange(k)
    kp = np.empty((k, 3), dtype=np.float32)
    kp[:, 0] = cols * stride_x + offsets[rows, cols, NUM_KEYPOINTS + ids]
    kp[:, 1] = rows * stride_y + offsets[rows, cols, ids]
    kp[:, 2] = sigmoid(heatmaps[rows, cols, ids])
    return kp


class PoseNet(FamilyAdapter):
    """PoseNet single-pose: the best-scoring position of every keypoint, one person.

    The displacement outputs that multi-person decoding would need are ignored, so
    two people in view blend into one pose; use a multi-person family for crowds.
    """

    family = 'posenet'

    def __init__(self, runtime: Any, *, max_persons: int = 6,
                 min_person_score: float | None = None) -> None:
        super().__init__(runtime, max_persons=max_persons, min_person_score=min_person_score)
        self._heatmap_index, self._offset_index = posenet_outputs(runtime)
        _, grid_h, grid_w, _ = runtime.outputs[self._heatmap_index].shape
        self.stride_x = output_stride(self.input_width, int(grid_w))
        self.stride_y = output_stride(self.input_height, int(grid_h))

    def normalize(self, pixels: np.ndarray) -> np.ndarray:
        """Scale pixels to [-1, 1] as PoseNet's MobileNet was trained."""
        return pixels / np.float32(127.5) - np.float32(1.0)

    def _decode(self, outputs: list[np.ndarray], to_source: Affine) -> list[Pose]:
        heatmaps = outputs[self._heatmap_index][0]
        offsets = outputs[self._offset_index][0]
        kp = decode_single_pose(heatmaps, offsets, self.stride_x, self.stride_y)
        return [pose_from_input(kp, to_source)]


register(Family(name='posenet', signature=SIGNATURE, matches=_matches, create=PoseNet.create,
                default_min_person_score=0.2))  # mean keypoint score, as MoveNet SinglePose
