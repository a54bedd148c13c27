"""BlazePose: a person detector that runs only to (re)acquire, and a landmark model that tracks.

The landmark model is accurate only on an upright, centred crop of the body, so
the detector's job is to give that crop (centre, size, rotation) once; after
that each frame's landmarks give the next frame's crop and the costlier detector
stays idle until the person is lost. Model formats follow MediaPipe's pose
graphs (pose_detection_cpu, pose_landmarks_to_roi, tensors_to_pose_landmarks).
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from pathlib import Path
import time
from typing import Any

import cv2
import numpy as np

from pose_ros.core.checks import check_score
from pose_ros.core.geometry import box_iou, check_rgb, clamp_box, sigmoid
from pose_ros.core.keypoints import Pose
from pose_ros.pose.families.base import (
    AdapterSettings,
    Family,
    UnsupportedModelError,
    output_shapes,
    register,
    tensor_shape,
)
from pose_ros.pose.preprocess import crop_rotated, letterbox, upright_angle
from pose_ros.pose.runtime import Runtime

DETECTOR_SIZE = 224
# The detector's file name in the mediapipe wheel; looked for beside the landmark model.
DETECTOR_FILE = 'pose_detection.tflite'
LANDMARK_SIZE = 256
NUM_LANDMARKS = 39  # 33 body landmarks + 2 alignment points (33, 34) + 4 unused
# The detector's SSD head (MediaPipe SsdAnchorsCalculator options for this model).
ANCHOR_STRIDES = (8, 16, 32, 32, 32)
# Detector keypoints: 0 mid-hip centre, 1 full-body size/rotation point (2, 3: upper body).
# The landmark model reports the same pair as landmarks 33 and 34.
ROI_SCALE = 1.25          # margin the landmark model was trained with around 2x|hip->scale point|
# Tracking: a new crop moves only partly towards what the landmarks suggest while the change
# is jitter-sized (below ROI_FOLLOW of the crop), so a still person gets a still crop and
# still keypoints; bigger moves are followed at once.
ROI_FOLLOW = 0.1
ROI_MIN_BLEND = 0.2
# Tracking re-runs the detector in the same frame when the landmarks put the body's centre
# farther than this (a fraction of the crop's size) from the centre of the crop they were
# found in: the crop no longer fits the person, as after a cut to another scene, where the
# presence score stays near 1. Measured centre shifts: 9.1 and 9.3 % on cuts between the
# astronaut and camera photos; at most 3.1 % (30 Hz), 4.6 % (10 Hz) and 6.0 % (5 Hz) on the
# moving demo clip, and 3.2 % on a still photo while tracking settles.
REDETECT_SHIFT = 0.07
NMS_IOU = 0.3             # MediaPipe's weighted NMS threshold for this detector
# BlazePose landmark index for each COCO-17 keypoint, in COCO order (person's left/right).
COCO_FROM_BLAZEPOSE = np.array([0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])
# BlazePose landmarks for Pose.hand_points: per side (left, right) the index knuckle,
# little-finger knuckle and thumb (core.keypoints.HandPoint order).
HAND_FROM_BLAZEPOSE = np.array([[19, 17, 21], [20, 18, 22]])
_BODY = slice(0, 33)


def ssd_anchor_centers(input_size: int = DETECTOR_SIZE,
                       strides: tuple[int, ...] = ANCHOR_STRIDES) -> np.ndarray:
    """Return (N, 2) anchor centres, normalized, in the order the detector emits boxes.

    The model uses fixed-size anchors (every anchor is 1x1), so only centres matter.
    Consecutive layers with the same stride share one feature map and each adds two
    anchors per cell (aspect ratio 1 and the interpolated scale).
    """
    centers = []
    i = 0
    while i < len(strides):
        stride = strides[i]
        layers = 1
        while i + layers < len(strides) and strides[i + layers] == stride:
            layers += 1
        fm = math.ceil(input_size / stride)
        coords = (np.arange(fm, dtype=np.float32) + 0.5) / fm
        yy, xx = np.meshgrid(coords, coords, indexing='ij')
        cell = np.stack([xx.ravel(), yy.ravel()], axis=1)
        centers.append(np.repeat(cell, 2 * layers, axis=0))
        i += layers
    return np.concatenate(centers).astype(np.float32)


@dataclass(frozen=True)
class Roi:
    """A square, rotated region of the source image in which the landmark model looks."""

    center: tuple[float, float]
    size: float
    angle: float  # radians, image coordinates (positive = clockwise on screen)

    @staticmethod
    def from_alignment(hip: np.ndarray, scale_point: np.ndarray) -> Roi:
        """Build the region from the hip centre and the full-body scale point.

        The scale point lies on a circle around the hips that encloses the body, in the
        direction of the head, so its direction gives the rotation that makes the body
        upright and twice its distance the body's extent.
        """
        dx, dy = float(scale_point[0] - hip[0]), float(scale_point[1] - hip[1])
        size = 2.0 * math.hypot(dx, dy) * ROI_SCALE
        return Roi((float(hip[0]), float(hip[1])), size, upright_angle(hip, scale_point))

    def shift_to(self, other: Roi) -> float:
        """Return how far ``other``'s centre is from this one's, in units of this size."""
        return math.hypot(other.center[0] - self.center[0],
                          other.center[1] - self.center[1]) / self.size

    def follow(self, target: Roi) -> Roi:
        """Move towards ``target``: damped for jitter-sized changes, at once for real motion."""
        dx, dy = target.center[0] - self.center[0], target.center[1] - self.center[1]
        dangle = (target.angle - self.angle + math.pi) % (2 * math.pi) - math.pi
        change = max(math.hypot(dx, dy) / self.size, abs(target.size - self.size) / self.size,
                     abs(dangle) / math.pi)
        w = min(1.0, max(ROI_MIN_BLEND, change / ROI_FOLLOW))
        return Roi((self.center[0] + w * dx, self.center[1] + w * dy),
                   self.size + w * (target.size - self.size), self.angle + w * dangle)


@dataclass
class Detection:
    """The detector's best person, in source pixels."""

    score: float
    box: np.ndarray        # (4,) x_min, y_min, x_max, y_max of the face
    keypoints: np.ndarray  # (4, 2)


class BlazePose:
    """Single-person BlazePose adapter: ``infer`` returns at most one ``Pose``."""

    family: str = 'blazepose'

    def __init__(self, landmark: Runtime, detector: Runtime, *,
                 min_detection_score: float = 0.5, min_tracking_score: float = 0.5) -> None:
        _check_model(landmark, 'landmark', (1, LANDMARK_SIZE, LANDMARK_SIZE, 3),
                     {(1, NUM_LANDMARKS * 5), (1, 1)})
        anchors = ssd_anchor_centers()
        _check_model(detector, 'detector', (1, DETECTOR_SIZE, DETECTOR_SIZE, 3),
                     {(1, len(anchors), 12), (1, len(anchors), 1)})
        self.min_detection_score = check_score('min_detection_score', min_detection_score)
        self.min_tracking_score = check_score('min_tracking_score', min_tracking_score)
        self.landmark = landmark
        self.detector = detector
        self._anchors = anchors
        shapes = [o.shape for o in landmark.outputs]
        self._landmark_outputs = [shapes.index((1, NUM_LANDMARKS * 5)), shapes.index((1, 1))]
        shapes = [o.shape for o in detector.outputs]
        self._detector_outputs = [shapes.index((1, len(anchors), 12)),
                                  shapes.index((1, len(anchors), 1))]
        self._landmark_input = np.empty((LANDMARK_SIZE, LANDMARK_SIZE, 3), np.float32)
        self._roi: Roi | None = None
        self._preprocess_s = 0.0
        self._invoke_s = 0.0
        self.detector_runs = 0
        self.timings: dict[str, float] = {'preprocess': 0.0, 'invoke': 0.0, 'decode': 0.0}

    @property
    def roi(self) -> Roi | None:
        """The region the next ``infer`` will look in; None when the detector must run."""
        return self._roi

    @roi.setter
    def roi(self, roi: Roi | None) -> None:
        """Look in ``roi`` next (e.g. a region from another detector); None searches afresh."""
        if roi is not None and not roi.size > 0:
            raise ValueError(f'Roi.size must be > 0 source pixels, got {roi.size}')
        self._roi = roi

    def reset(self) -> None:
        """Forget the tracked person so the next frame is searched from scratch."""
        self._roi = None

    def infer(self, rgb: np.ndarray) -> list[Pose]:
        """Find the person in an RGB uint8 image; coordinates are source pixels.

        While tracking, the detector runs again in this same frame when the landmark model
        says nobody is in the region (presence below ``min_tracking_score``, as MediaPipe
        decides) or when the landmarks do not fit the region (``REDETECT_SHIFT``).
        """
        check_rgb(rgb, 'BlazePose.infer()')
        start = time.perf_counter()
        self._preprocess_s = 0.0
        self._invoke_s = 0.0
        roi = self._roi
        tracking = roi is not None
        if roi is None:
            roi = self._detect_roi(rgb)
        pose, target = self._landmarks(rgb, roi) if roi is not None else (None, None)
        if tracking and (target is None or roi.shift_to(target) > REDETECT_SHIFT):
            found = self._detect_roi(rgb)
            fresh, fresh_target = self._landmarks(rgb, found) if found else (None, None)
            if fresh is not None or pose is None:
                roi, pose, target = found, fresh, fresh_target
        self._roi = roi.follow(target) if roi is not None and target is not None else None
        if pose is not None:
            pose.box = clamp_box(pose.box, rgb.shape[1], rgb.shape[0])
        total = time.perf_counter() - start
        self.timings = {'preprocess': self._preprocess_s, 'invoke': self._invoke_s,
                        'decode': max(0.0, total - self._preprocess_s - self._invoke_s)}
        return [] if pose is None else [pose]

    def _detect_roi(self, rgb: np.ndarray) -> Roi | None:
        detection = self.detect(rgb)
        if detection is None:
            return None
        roi = Roi.from_alignment(detection.keypoints[0], detection.keypoints[1])
        return roi if roi.size >= 1.0 else None

    def detect(self, rgb: np.ndarray) -> Detection | None:
        """Run the person detector; return the best person above ``min_detection_score``."""
        t0 = time.perf_counter()
        image, affine = letterbox(rgb, DETECTOR_SIZE, DETECTOR_SIZE)
        tensor = image.astype(np.float32)
        tensor *= 1.0 / 127.5
        tensor -= 1.0
        self._preprocess_s += time.perf_counter() - t0
        raw, logits = self.detector.run(tensor, outputs=self._detector_outputs)
        self._invoke_s += self.detector.last_invoke_s
        self.detector_runs += 1
        raw, logits = raw[0], logits[0, :, 0]
        candidates = np.flatnonzero(logits > _logit(self.min_detection_score))
        if candidates.size == 0:
            return None
        scores = sigmoid(logits[candidates])
        raw = raw[candidates]
        centers = self._anchors[candidates] * DETECTOR_SIZE
        # Boxes: (cx, cy, w, h) offsets from the anchor centre in input pixels.
        cxcy = raw[:, 0:2] + centers
        half = raw[:, 2:4] * 0.5
        boxes = np.concatenate([cxcy - half, cxcy + half], axis=1)
        points = raw[:, 4:12].reshape(-1, 4, 2) + centers[:, np.newaxis, :]
        # Weighted NMS, first cluster only: average the detections overlapping the best one.
        best = int(np.argmax(scores))
        cluster = box_iou(boxes[best], boxes) > NMS_IOU
        cluster[best] = True  # a box without area overlaps nothing, not even itself
        weights = scores[cluster] / scores[cluster].sum()
        box = weights @ boxes[cluster]
        points = np.tensordot(weights, points[cluster], axes=1)
        # Model outputs are continuous pixel positions (0 = left edge); Affine uses centres.
        inverse = affine.inverse()
        points = inverse.apply(points - 0.5)
        corners = inverse.apply(box.reshape(2, 2) - 0.5)
        return Detection(float(scores[best]), corners.reshape(4), points)

    def _landmarks(self, rgb: np.ndarray, roi: Roi) -> tuple[Pose | None, Roi | None]:
        """Return the person in ``roi`` and the region their landmarks put them in."""
        t0 = time.perf_counter()
        crop, affine = crop_rotated(rgb, roi.center, roi.size, roi.angle,
                                    LANDMARK_SIZE, LANDMARK_SIZE)
        np.multiply(crop, np.float32(1.0 / 255.0), out=self._landmark_input)
        self._preprocess_s += time.perf_counter() - t0
        raw, flag = self.landmark.run(self._landmark_input, outputs=self._landmark_outputs)
        self._invoke_s += self.landmark.last_invoke_s
        # The pose flag is already a probability (the graph thresholds it at 0.5 unchanged).
        presence = float(flag.reshape(-1)[0])
        if presence < self.min_tracking_score:
            return None, None
        lm = raw.reshape(NUM_LANDMARKS, 5)
        # Crop pixels (continuous) -> pixel centres -> source image.
        xy = cv2.transform((lm[:, :2] - 0.5).reshape(1, -1, 2),
                           cv2.invertAffineTransform(affine.matrix))[0]
        # A landmark counts only if it is both unoccluded (visibility) and in frame (presence).
        scores = np.minimum(sigmoid(lm[_BODY, 3]), sigmoid(lm[_BODY, 4]))
        keypoints = np.empty((len(COCO_FROM_BLAZEPOSE), 3), np.float32)
        keypoints[:, :2] = xy[COCO_FROM_BLAZEPOSE]
        keypoints[:, 2] = scores[COCO_FROM_BLAZEPOSE]
        body = xy[_BODY]
        seen = body[scores >= 0.5]
        if len(seen) < 2:
            seen = body
        box = (float(seen[:, 0].min()), float(seen[:, 1].min()),
               float(seen[:, 0].max()), float(seen[:, 1].max()))
        hand_points = np.empty((2, HAND_FROM_BLAZEPOSE.shape[1], 3), np.float32)
        hand_points[..., :2] = xy[HAND_FROM_BLAZEPOSE]
        hand_points[..., 2] = scores[HAND_FROM_BLAZEPOSE]
        pose = Pose(keypoints=keypoints, score=presence, box=box, hand_points=hand_points)
        target = Roi.from_alignment(xy[33], xy[34])
        return pose, target if target.size >= 1.0 else None


def _logit(p: float) -> float:
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    return math.log(p / (1.0 - p))


def _check_model(runtime: Runtime, role: str, input_shape: tuple[int, ...],
                 output_shapes: set[tuple[int, ...]]) -> None:
    inputs = [i.shape for i in runtime.inputs]
    outputs = {o.shape for o in runtime.outputs}
    if inputs != [input_shape] or not output_shapes <= outputs:
        raise ValueError(
            f'{runtime.path.name!r} is not a BlazePose {role} model: expected input '
            f'{input_shape} and outputs including {sorted(output_shapes)}, got inputs {inputs} '
            f'and outputs {sorted(outputs)}')


def _create(landmark: Runtime, settings: AdapterSettings) -> BlazePose:
    """Build BlazePose from the landmark model, loading the detector the settings point to.

    The detector is ``settings.detector_path``, or the file the mediapipe wheel ships beside
    the landmark model. BlazePose follows one person, so ``max_persons`` does not apply.
    """
    if settings.load is None:
        raise UnsupportedModelError(
            'family blazepose needs two models (pose detector and landmark model): give '
            'create_adapter a load(path, role) that opens the detector, or use PoseEstimator')
    path = settings.detector_path or str(Path(landmark.path).expanduser().parent / DETECTOR_FILE)
    detector = settings.load(path, 'detector_path')
    return BlazePose(landmark, detector, min_detection_score=settings.min_person_score,
                     min_tracking_score=settings.min_person_score)


def _matches(runtime: Any) -> bool:
    return ([tensor_shape(i) for i in runtime.inputs] == [(1, LANDMARK_SIZE, LANDMARK_SIZE, 3)]
            and (1, NUM_LANDMARKS * 5) in output_shapes(runtime))


def _explain(runtime: Any) -> str | None:
    """Recognise the detector given as the model: it has box and score outputs per anchor."""
    shapes = output_shapes(runtime)
    boxes = {s[1] for s in shapes if len(s) == 3 and s[0] == 1 and s[2] == 12}
    scores = {s[1] for s in shapes if len(s) == 3 and s[0] == 1 and s[2] == 1}
    if not boxes & scores or _matches(runtime):
        return None
    return ('this is the BlazePose pose DETECTOR (box and score outputs); pose_ros needs the '
            'BlazePose landmark model as the model and the detector passed separately')


register(Family(
    name='blazepose',
    signature='landmark model: input [1,256,256,3], an output [1,195] '
              '(the pose detector is passed separately)',
    matches=_matches, create=_create, explain=_explain,
    # MediaPipe's defaults for detection, presence and tracking confidence.
    default_min_person_score=0.5))
