"""MoveNet SinglePose (Lightning / Thunder) and MultiPose decoding.

MoveNet already regresses keypoints, so decoding is only unpacking normalised
(y, x) pairs into pixels; what matters is mapping them through the letterbox so a
wide camera image gets the same answer as a square one.

Inputs take 0..255 pixels: uint8 in the published TFLite files, float32 0..255 in
float re-exports (the model card: "RGB with values in [0, 255]").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pose_ros.core.keypoints import NUM_KEYPOINTS, Pose
from pose_ros.pose.families.base import (
    Family,
    FamilyAdapter,
    check_family,
    image_input,
    normalized_to_pixels,
    output_shapes,
    pose_from_input,
    register,
)
from pose_ros.pose.preprocess import Affine

SINGLEPOSE_SHAPE = (1, 1, NUM_KEYPOINTS, 3)
MULTIPOSE_SHAPE = (1, 6, 3 * NUM_KEYPOINTS + 5)  # (1, 6, 56)


def _find(outputs: list[np.ndarray], shape: tuple[int, ...], family: str) -> np.ndarray:
    for out in outputs:
        if tuple(out.shape) == shape:
            return out
    raise ValueError(f'{family} output of shape {shape} missing; the model returned shapes '
                     f'{[tuple(o.shape) for o in outputs]}')


def decode_singlepose(output: np.ndarray, input_width: int, input_height: int) -> np.ndarray:
    """Return (17, 3) keypoints as (x, y, score) in model-input pixels.

    ``output`` is MoveNet's [1, 1, 17, 3] tensor of normalised (y, x, score).
    """
    out = np.asarray(output, dtype=np.float32).reshape(NUM_KEYPOINTS, 3)
    kp = np.empty((NUM_KEYPOINTS, 3), dtype=np.float32)
    kp[:, 0] = normalized_to_pixels(out[:, 1], input_width)
    kp[:, 1] = normalized_to_pixels(out[:, 0], input_height)
    kp[:, 2] = np.clip(out[:, 2], 0.0, 1.0)
    return kp


def decode_multipose(output: np.ndarray, input_width: int,
                     input_height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return keypoints (P, 17, 3), boxes (P, 4) xyxy and scores (P,) in model-input pixels.

    ``output`` is MoveNet MultiPose's [1, 6, 56] tensor: per person 17 x (y, x, score)
    then ymin, xmin, ymax, xmax, score, all normalised to the input.
    """
    out = np.asarray(output, dtype=np.float32).reshape(-1, MULTIPOSE_SHAPE[2])
    raw = out[:, :3 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 3)
    keypoints = np.empty_like(raw)
    keypoints[..., 0] = normalized_to_pixels(raw[..., 1], input_width)
    keypoints[..., 1] = normalized_to_pixels(raw[..., 0], input_height)
    keypoints[..., 2] = np.clip(raw[..., 2], 0.0, 1.0)
    ymin, xmin, ymax, xmax = (out[:, 3 * NUM_KEYPOINTS + i] for i in range(4))
    boxes = np.stack([normalized_to_pixels(xmin, input_width),
                      normalized_to_pixels(ymin, input_height),
                      normalized_to_pixels(xmax, input_width),
                      normalized_to_pixels(ymax, input_height)], axis=1)
    scores = np.clip(out[:, -1], 0.0, 1.0)
    return keypoints, boxes, scores


class MoveNetSinglePose(FamilyAdapter):
    """MoveNet SinglePose: one person per frame, scored by its mean keypoint score."""

    family = 'movenet_singlepose'

    def _decode(self, outputs: list[np.ndarray], to_source: Affine) -> list[Pose]:
        out = _find(outputs, SINGLEPOSE_SHAPE, self.family)
        kp = decode_singlepose(out, self.input_width, self.input_height)
        return [pose_from_input(kp, to_source)]


class MoveNetMultiPose(FamilyAdapter):
    """MoveNet MultiPose: up to six people, each with the model's own box and score.

    The published MultiPose files have a dynamic [1,1,1,3] input meant to be resized
    at load time. If the runtime offers ``resize_input(shape)`` the input is fixed at
    256x256 (the model card's recommended size for the longer side, a multiple of 32
    as the model requires); otherwise a fixed-size export is required.
    """

    family = 'movenet_multipose'
    dynamic_input_size = 256

    def __init__(self, runtime: Any, *, max_persons: int = 6,
                 min_person_score: float | None = None) -> None:
        check_family(self.family, runtime)
        shape = tuple(runtime.inputs[0].shape)
        if min(shape[1:3]) <= 1 and callable(getattr(runtime, 'resize_input', None)):
            size = self.dynamic_input_size
            runtime.resize_input((1, size, size, 3))
        super().__init__(runtime, max_persons=max_persons, min_person_score=min_person_score)

    def _decode(self, outputs: list[np.ndarray], to_source: Affine) -> list[Pose]:
        out = _find(outputs, MULTIPOSE_SHAPE, self.family)
        keypoints, boxes, scores = decode_multipose(out, self.input_width, self.input_height)
        return [pose_from_input(keypoints[i], to_source, box=boxes[i], score=float(scores[i]))
                for i in np.flatnonzero(scores >= self.min_person_score)]


register(Family(
    name='movenet_singlepose',
    signature='input [1,H,W,3], output [1,1,17,3] (y, x, score)',
    matches=lambda runtime: image_input(runtime) and SINGLEPOSE_SHAPE in output_shapes(runtime),
    create=MoveNetSinglePose.create,
    # A clear, whole person scores 0.38 to 0.43 with MoveNet SinglePose Lightning int8 (the
    # mean of its 17 keypoint scores): half of that, so a partly hidden person still counts.
    default_min_person_score=0.2))

register(Family(
    name='movenet_multipose',
    signature='input [1,H,W,3], output [1,6,56] (17 x (y, x, score), box, score)',
    matches=lambda runtime: image_input(runtime) and MULTIPOSE_SHAPE in output_shapes(runtime),
    create=MoveNetMultiPose.create,
    default_min_person_score=0.2))  # the model's own person score, chosen as SinglePose's
