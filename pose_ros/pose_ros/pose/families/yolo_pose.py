"""YOLO-pose (Ultralytics v8 / 11 exports) decoding: anchors -> people.

Every anchor predicts a box, a person confidence and 17 keypoints; people are what
survives a confidence threshold and non-maximum suppression. Exports disagree on
details this module absorbs: the tensor may be [1, 56, N] or [1, N, 56], TFLite
exports normalise coordinates to the input size while others give input pixels, and
keypoint visibility may or may not have its sigmoid applied.

Ultralytics appends its export metadata (imgsz, task, names, ...) to the .tflite file as a
zip archive, and its own runtime then always scales coordinates by the input size. Where
that metadata is present it settles the question; elsewhere the anchors that pass the
confidence threshold decide, since low-confidence anchors of int8 exports can hold values
far outside the normalised range.

Float inputs take pixels / 255; the letterbox border is grey (114) as in training.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any
import zipfile

import numpy as np

from pose_ros.core.checks import check_score
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
from pose_ros.pose.families.movenet import MULTIPOSE_SHAPE
from pose_ros.pose.nms import nms
from pose_ros.pose.preprocess import Affine

# Coordinates at most this large are taken as normalised: anchor centres in pixels
# span the whole input, so even a 32-pixel input has centres far beyond it.
NORMALIZED_LIMIT = 1.5
# Metadata larger than this is not Ultralytics' few hundred bytes; it is not parsed.
MAX_METADATA_BYTES = 1 << 20
# Ultralytics' own default IoU threshold for pose prediction.
DEFAULT_IOU_THRESHOLD = 0.7
YOLO_CHANNELS = 5 + 3 * NUM_KEYPOINTS  # 56


def _matches(runtime: Any) -> bool:
    shapes = output_shapes(runtime)
    if not image_input(runtime) or len(shapes) != 1 or len(shapes[0]) != 3:
        return False
    s = shapes[0]
    return s[0] == 1 and YOLO_CHANNELS in s[1:] and s != MULTIPOSE_SHAPE


def ultralytics_metadata(path: str | Path) -> dict[str, Any] | None:
    """Return the metadata Ultralytics appends to a TFLite export, or None if there is none.

    The archive's first member is metadata.json (JSON) in current exports and a Python
    dict literal in older ones, as Ultralytics' own loader reads it.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if not members or members[0].file_size > MAX_METADATA_BYTES:
                return None
            text = archive.read(members[0]).decode('utf-8')
            name = members[0].filename
        data = json.loads(text) if name == 'metadata.json' else ast.literal_eval(text)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, ValueError, SyntaxError,
            TypeError, MemoryError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def anchor_rows(output: np.ndarray) -> np.ndarray:
    """Return the output as (N, 56) rows, one per anchor, whichever axis the export chose.

    A square [1, 56, 56] tensor is read channels-first, the Ultralytics layout.
    """
    out = np.asarray(output, dtype=np.float32)
    if out.ndim == 3 and out.shape[0] == 1:
        out = out[0]
    if out.ndim != 2 or YOLO_CHANNELS not in out.shape:
        raise ValueError(f'YOLO-pose output must be [1, {YOLO_CHANNELS}, N] or '
                         f'[1, N, {YOLO_CHANNELS}], got {list(np.shape(output))}')
    return out.T if out.shape[0] == YOLO_CHANNELS else out


def decode_yolo_pose(output: np.ndarray, input_width: int, input_height: int,
                     conf_threshold: float, iou_threshold: float, max_det: int,
                     normalized: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return keypoints (P, 17, 3), boxes (P, 4) xyxy and scores (P,) in model-input pixels.

    Rows are (cx, cy, w, h, confidence, 17 x (x, y, visibility)); people are sorted
    by confidence, at most ``max_det`` of them. ``normalized`` says whether coordinates
    are fractions of the input size; None decides from the anchors that pass
    ``conf_threshold`` (their median centre), which are the ones reported.
    """
    rows = anchor_rows(output)
    conf = as_probability(rows[:, 4])
    visibility = as_probability(rows[:, 7::3])
    keep = np.flatnonzero(conf >= conf_threshold)
    cand = rows[keep]
    if normalized is None:
        normalized = cand.size == 0 or float(np.median(np.abs(cand[:, :2]))) <= NORMALIZED_LIMIT
    sx = np.float32(input_width if normalized else 1.0)
    sy = np.float32(input_height if normalized else 1.0)

    # Model coordinates count from the input's edge; ours from its first pixel centre.
    cx, cy = cand[:, 0] * sx - 0.5, cand[:, 1] * sy - 0.5
    half_w, half_h = cand[:, 2] * sx / 2, cand[:, 3] * sy / 2
    boxes = np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1)
    kpts = cand[:, 5:].reshape(-1, NUM_KEYPOINTS, 3).copy()
    kpts[..., 0] = kpts[..., 0] * sx - 0.5
    kpts[..., 1] = kpts[..., 1] * sy - 0.5
    kpts[..., 2] = visibility[keep]

    order = nms(boxes, conf[keep], iou_threshold, max_keep=max_det)
    return kpts[order], boxes[order].astype(np.float32), conf[keep][order]


class YoloPose(FamilyAdapter):
    """YOLO-pose: every person the detector finds, with its box and confidence.

    ``min_person_score`` is the confidence threshold applied before NMS. ``metadata`` is
    what Ultralytics appended to the model file (None when absent); with it, coordinates
    are normalised as in every Ultralytics TFLite export.
    """

    family = 'yolo_pose'
    pad_value = 114

    def __init__(self, runtime: Any, *, max_persons: int = 6,
                 min_person_score: float | None = None,
                 iou_threshold: float = DEFAULT_IOU_THRESHOLD) -> None:
        iou_threshold = check_score('iou_threshold', iou_threshold)
        super().__init__(runtime, max_persons=max_persons, min_person_score=min_person_score)
        self.iou_threshold = iou_threshold
        path = getattr(runtime, 'path', None)
        self.metadata = ultralytics_metadata(path) if path is not None else None
        self.normalized: bool | None = True if self.metadata is not None else None

    def normalize(self, pixels: np.ndarray) -> np.ndarray:
        """Scale pixels to [0, 1] as Ultralytics trains."""
        return pixels / np.float32(255.0)

    def _decode(self, outputs: list[np.ndarray], to_source: Affine) -> list[Pose]:
        keypoints, boxes, scores = decode_yolo_pose(
            outputs[0], self.input_width, self.input_height, self.min_person_score,
            self.iou_threshold, self.max_persons, self.normalized)
        return [pose_from_input(keypoints[i], to_source, box=boxes[i], score=float(scores[i]))
                for i in range(len(scores))]


register(Family(
    name='yolo_pose',
    signature='input [1,H,W,3], one output [1,56,N] or [1,N,56] '
              '(cx, cy, w, h, conf, 17 x (x, y, visibility))',
    matches=_matches, create=YoloPose.create,
    default_min_person_score=0.25))  # Ultralytics' default confidence threshold
