"""Which pose-model family a .tflite file belongs to, and what every family's adapter shares.

Users drop in whatever model they have; recognising the family from its tensor
signature spares them from knowing export details, and refusing a model that fits
no family (with the tensors it does have) turns a silent garbage-in robot into a
clear startup error.

The shared ``FamilyAdapter`` lives here rather than in each family module so that
letterboxing, input normalisation, timing and the final person selection behave
identically whichever network produced the poses.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from pose_ros.core.geometry import BOX_KEYPOINT_SCORE, clamp_box, sigmoid
from pose_ros.core.keypoints import NUM_KEYPOINTS, Pose
from pose_ros.pose.preprocess import Affine, letterbox

FAMILIES: tuple[str, ...] = ('blazepose', 'movenet_singlepose', 'movenet_multipose', 'posenet',
                             'yolo_pose', 'heatmap')

# Human-readable signatures, shown whenever a model does not fit.
SIGNATURES: dict[str, str] = {
    'blazepose': 'landmark model: input [1,256,256,3], an output [1,195] '
                 '(the pose detector is passed separately)',
    'movenet_singlepose': 'input [1,H,W,3], output [1,1,17,3] (y, x, score)',
    'movenet_multipose': 'input [1,H,W,3], output [1,6,56] (17 x (y, x, score), box, score)',
    'posenet': 'input [1,H,W,3], outputs [1,h,w,17] heatmaps and [1,h,w,34] offsets '
               '(displacements optional)',
    'yolo_pose': 'input [1,H,W,3], one output [1,56,N] or [1,N,56] '
                 '(cx, cy, w, h, conf, 17 x (x, y, visibility))',
    'heatmap': 'input [1,H,W,3], one output [1,h,w,17] heatmaps',
}

YOLO_CHANNELS = 5 + 3 * NUM_KEYPOINTS  # 56
MULTIPOSE_SHAPE = (1, 6, 3 * NUM_KEYPOINTS + 5)  # (1, 6, 56)
SINGLEPOSE_SHAPE = (1, 1, NUM_KEYPOINTS, 3)
BLAZEPOSE_INPUT = (1, 256, 256, 3)
BLAZEPOSE_LANDMARKS = (1, 195)


# What a person's score is differs per family, so one threshold cannot suit them all: a
# clear, whole person scores 0.38 to 0.43 with MoveNet SinglePose Lightning int8 (the mean of
# its 17 keypoint scores), where a BlazePose presence is 0.9 or more. These are the defaults
# for ``min_person_score`` when the user gives none; README "Models" says what each is based on.
DEFAULT_MIN_PERSON_SCORE: dict[str, float] = {
    'blazepose': 0.5,           # MediaPipe's default detection / presence / tracking confidence
    'movenet_singlepose': 0.2,  # half a clear person's mean keypoint score
    'movenet_multipose': 0.2,   # the model's own person score
    'posenet': 0.2,             # mean keypoint score, as MoveNet SinglePose
    'yolo_pose': 0.25,          # Ultralytics' default confidence threshold for prediction
    'heatmap': 0.2,             # mean keypoint peak, as MoveNet SinglePose
}


def default_min_person_score(family: str) -> float:
    """Return the person-score threshold that suits ``family`` when the user sets none."""
    _check_known(family)
    return DEFAULT_MIN_PERSON_SCORE[family]


class UnsupportedModelError(ValueError):
    """The model's tensors fit no supported family, or not the family asked for."""


def _shape(info: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in info.shape)


def _describe(infos: list[Any]) -> str:
    if not infos:
        return 'none'
    return ', '.join(f'{info.name!r} {list(_shape(info))} {np.dtype(info.dtype).name}'
                     for info in infos)


def describe_tensors(runtime: Any) -> str:
    """Return the model's inputs and outputs as 'name [shape] dtype' lists for messages."""
    return f'inputs: {_describe(runtime.inputs)}; outputs: {_describe(runtime.outputs)}'


def _supported_list() -> str:
    return '; '.join(f'{name}: {SIGNATURES[name]}' for name in FAMILIES)


def _image_input(runtime: Any) -> bool:
    if len(runtime.inputs) != 1:
        return False
    shape = _shape(runtime.inputs[0])
    return len(shape) == 4 and shape[0] == 1 and shape[3] == 3


def _output_shapes(runtime: Any) -> list[tuple[int, ...]]:
    return [_shape(o) for o in runtime.outputs]


def _is_blazepose_detector(runtime: Any) -> bool:
    shapes = _output_shapes(runtime)
    boxes = {s[1] for s in shapes if len(s) == 3 and s[0] == 1 and s[2] == 12}
    scores = {s[1] for s in shapes if len(s) == 3 and s[0] == 1 and s[2] == 1}
    return bool(boxes & scores)


def _match_blazepose(runtime: Any) -> bool:
    return (len(runtime.inputs) == 1 and _shape(runtime.inputs[0]) == BLAZEPOSE_INPUT
            and BLAZEPOSE_LANDMARKS in _output_shapes(runtime))


def _match_movenet_singlepose(runtime: Any) -> bool:
    return _image_input(runtime) and SINGLEPOSE_SHAPE in _output_shapes(runtime)


def _match_movenet_multipose(runtime: Any) -> bool:
    return _image_input(runtime) and MULTIPOSE_SHAPE in _output_shapes(runtime)


def posenet_outputs(runtime: Any) -> tuple[int, int]:
    """Return the positions of PoseNet's heatmap and offset outputs, or raise if absent.

    Exports differ in output order, so the tensors are found by their channel counts
    on a shared grid rather than by position or name.
    """
    shapes = _output_shapes(runtime)
    for i, s in enumerate(shapes):
        if len(s) != 4 or s[0] != 1 or s[3] != NUM_KEYPOINTS:
            continue
        for j, t in enumerate(shapes):
            if t == (1, s[1], s[2], 2 * NUM_KEYPOINTS):
                return i, j
    raise UnsupportedModelError(
        f'posenet expects {SIGNATURES["posenet"]}; found {describe_tensors(runtime)}')


def _match_posenet(runtime: Any) -> bool:
    try:
        posenet_outputs(runtime)
    except UnsupportedModelError:
        return False
    return _image_input(runtime)


def _match_heatmap(runtime: Any) -> bool:
    shapes = _output_shapes(runtime)
    return (_image_input(runtime) and len(shapes) == 1 and len(shapes[0]) == 4
            and shapes[0][0] == 1 and shapes[0][1] > 1 and shapes[0][2] > 1
            and shapes[0][3] == NUM_KEYPOINTS)


def _match_yolo_pose(runtime: Any) -> bool:
    shapes = _output_shapes(runtime)
    if not _image_input(runtime) or len(shapes) != 1 or len(shapes[0]) != 3:
        return False
    s = shapes[0]
    return s[0] == 1 and YOLO_CHANNELS in s[1:] and s != MULTIPOSE_SHAPE


_MATCHERS: dict[str, Callable[[Any], bool]] = {
    'blazepose': _match_blazepose,
    'movenet_singlepose': _match_movenet_singlepose,
    'movenet_multipose': _match_movenet_multipose,
    'posenet': _match_posenet,
    'heatmap': _match_heatmap,
    'yolo_pose': _match_yolo_pose,
}


def _check_known(family: str) -> None:
    if family not in FAMILIES:
        raise UnsupportedModelError(
            f'unknown model family {family!r}; supported families are {", ".join(FAMILIES)}')


def detect_family(runtime: Any) -> str:
    """Name the family whose tensor signature the model has."""
    if _is_blazepose_detector(runtime) and not _match_blazepose(runtime):
        raise UnsupportedModelError(
            'this is the BlazePose pose DETECTOR (box and score outputs); pose_ros needs the '
            'BlazePose landmark model as the model and the detector passed separately; '
            f'found {describe_tensors(runtime)}')
    for family, matches in _MATCHERS.items():
        if matches(runtime):
            return family
    raise UnsupportedModelError(
        f'model fits no supported pose family; found {describe_tensors(runtime)}. '
        f'Supported families: {_supported_list()}')


def check_family(family: str, runtime: Any) -> None:
    """Refuse a model whose tensors do not fit the family the user asked for."""
    _check_known(family)
    if not _MATCHERS[family](runtime):
        raise UnsupportedModelError(
            f'model_type {family!r} expects {SIGNATURES[family]}; found '
            f'{describe_tensors(runtime)}')


def create_adapter(family: str, runtime: Any, *, max_persons: int = 6,
                   min_person_score: float | None = None) -> FamilyAdapter:
    """Build the adapter for ``family`` around a loaded runtime.

    ``min_person_score`` None means the family's default (``DEFAULT_MIN_PERSON_SCORE``).
    """
    # Imported here because every adapter module builds on FamilyAdapter from this module.
    from pose_ros.pose.families.heatmap import HeatmapPose
    from pose_ros.pose.families.movenet import MoveNetMultiPose, MoveNetSinglePose
    from pose_ros.pose.families.posenet import PoseNet
    from pose_ros.pose.families.yolo_pose import YoloPose

    _check_known(family)
    classes: dict[str, type[FamilyAdapter]] = {
        'movenet_singlepose': MoveNetSinglePose,
        'movenet_multipose': MoveNetMultiPose,
        'posenet': PoseNet,
        'yolo_pose': YoloPose,
        'heatmap': HeatmapPose,
    }
    if family not in classes:
        raise UnsupportedModelError(
            f'family {family!r} needs two models (pose detector and landmark model), so it is '
            f'not built by create_adapter; create_adapter builds {", ".join(classes)}')
    return classes[family](runtime, max_persons=max_persons, min_person_score=min_person_score)


def as_probability(x: np.ndarray, slack: float = 0.0) -> np.ndarray:
    """Return scores in [0, 1], applying a sigmoid only if ``x`` holds logits.

    Exports differ in whether the final sigmoid is baked in. Values outside
    [-slack, 1 + slack] cannot be probabilities, so the whole tensor is then taken as
    logits; ``slack`` tolerates regression heads that overshoot [0, 1] slightly.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.size and (x.min() < -slack or x.max() > 1.0 + slack):
        return sigmoid(x)
    return np.clip(x, 0.0, 1.0)


def normalized_to_pixels(v: np.ndarray, size: int) -> np.ndarray:
    """Map [0, 1] edge-to-edge coordinates onto pixel-centre coordinates of ``size`` pixels.

    Models report 0 at the image's left edge and 1 at its right edge, while our
    ``Affine`` counts integer values as pixel centres: edge 0 is pixel -0.5.
    """
    return np.asarray(v, dtype=np.float32) * np.float32(size) - np.float32(0.5)


def pose_from_input(keypoints: np.ndarray, to_source: Affine,
                    box: np.ndarray | None = None, score: float | None = None) -> Pose:
    """Build a source-pixel Pose from (17, 3) model-input-pixel keypoints.

    Without a model box, the box is the extent of the confident keypoints; without a
    model score, the person score is the mean of all 17 keypoint scores (as PoseNet
    single-pose defines it; TF.js MoveNet averages only keypoints above 0.2).
    """
    kp = np.array(keypoints, dtype=np.float32, copy=True)
    kp[:, :2] = to_source.apply(kp[:, :2])
    pose = Pose(keypoints=kp, score=float(kp[:, 2].mean()) if score is None else float(score))
    if box is None:
        pose.box = pose.box_from_keypoints(BOX_KEYPOINT_SCORE)
    else:
        corners = to_source.apply(np.asarray(box, dtype=np.float64).reshape(2, 2))
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        pose.box = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
    return pose


class FamilyAdapter:
    """Turn one RGB frame into source-pixel poses with one model family.

    Subclasses set ``family`` and implement ``_decode``; they may override
    ``normalize`` (float input range) and ``pad_value`` (letterbox border colour).
    """

    family = ''
    pad_value = 0

    def __init__(self, runtime: Any, *, max_persons: int = 6,
                 min_person_score: float | None = None) -> None:
        if isinstance(max_persons, bool) or not isinstance(max_persons, (int, np.integer)) \
                or max_persons < 1:
            raise ValueError(f'max_persons must be an integer >= 1, got {max_persons!r}')
        if min_person_score is None:
            min_person_score = DEFAULT_MIN_PERSON_SCORE[self.family]
        if not 0.0 <= float(min_person_score) <= 1.0:
            raise ValueError(f'min_person_score must be within [0, 1], got {min_person_score}')
        check_family(self.family, runtime)
        self.runtime = runtime
        self.max_persons = int(max_persons)
        self.min_person_score = float(min_person_score)
        self.input = runtime.inputs[0]
        _, height, width, _ = _shape(self.input)
        if height < 2 or width < 2:
            raise UnsupportedModelError(
                f'{self.family} model input {self.input.name!r} has the dynamic shape '
                f'{list(_shape(self.input))}; pose_ros needs a model exported with a fixed '
                'input size, e.g. [1,256,256,3]')
        self.input_width = width
        self.input_height = height
        self.timings: dict[str, float] = {'preprocess': 0.0, 'invoke': 0.0, 'decode': 0.0}

    def __repr__(self) -> str:
        return (f'{type(self).__name__}({self.runtime!r}, max_persons={self.max_persons}, '
                f'min_person_score={self.min_person_score})')

    def normalize(self, pixels: np.ndarray) -> np.ndarray:
        """Map float32 0..255 pixels onto the range the family's float models were trained on."""
        return pixels

    def model_input(self, rgb: np.ndarray) -> tuple[np.ndarray, Affine]:
        """Letterbox ``rgb`` into the model's input tensor; return it and the source->input map.

        A uint8 input takes raw pixels: converters fold the normalisation into that
        tensor's quantization, so raw pixels are exactly what it was calibrated on. Any
        other input gets floats in the family's range (the runtime quantizes int8 ones).
        """
        if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 \
                or rgb.shape[2] != 3 or rgb.size == 0:
            raise ValueError(f'infer() needs an RGB uint8 image of shape (H, W, 3), got '
                             f'{getattr(rgb, "dtype", type(rgb).__name__)} '
                             f'{getattr(rgb, "shape", "")}')
        boxed, affine = letterbox(rgb, self.input_width, self.input_height, self.pad_value)
        if np.dtype(self.input.dtype) == np.uint8:
            return boxed[np.newaxis], affine
        pixels = boxed.astype(np.float32)
        return self.normalize(pixels)[np.newaxis].astype(np.float32), affine

    def infer(self, rgb: np.ndarray) -> list[Pose]:
        """Return the people in ``rgb``, best first, in source-image pixels."""
        start = time.perf_counter()
        tensor, affine = self.model_input(rgb)
        prepared = time.perf_counter()
        outputs = self.runtime.run(tensor)
        ran = time.perf_counter()
        poses = self._decode(outputs, affine.inverse())
        for pose in poses:
            pose.box = clamp_box(pose.box, rgb.shape[1], rgb.shape[0])
        poses = [p for p in poses if p.score >= self.min_person_score]
        poses.sort(key=lambda p: p.score, reverse=True)
        poses = poses[:self.max_persons]
        done = time.perf_counter()
        self.timings = {'preprocess': prepared - start,
                        'invoke': float(getattr(self.runtime, 'last_invoke_s', ran - prepared)),
                        'decode': done - ran}
        return poses

    def reset(self) -> None:
        """Forget state carried between frames (the families here carry none)."""

    def _decode(self, outputs: list[np.ndarray], to_source: Affine) -> list[Pose]:
        raise NotImplementedError
