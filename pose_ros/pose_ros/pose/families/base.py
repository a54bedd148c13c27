"""What every model family shares: the registry that names them, detection, and the adapter base.

Users drop in whatever model they have; recognising the family from its tensor
signature spares them from knowing export details, and refusing a model that fits
no family (with the tensors it does have) turns a silent garbage-in robot into a
clear startup error.

Each family module registers itself here (``register``) with its signature, its tensor
matcher, its factory and its default person score; this module imports none of them, so
adding a family is one new module and one import line in ``families/__init__``.

The shared ``FamilyAdapter`` lives here rather than in each family module so that
letterboxing, input normalisation, timing and the final person selection behave
identically whichever network produced the poses.
"""

from __future__ import annotations

from dataclasses import dataclass
import time
from typing import Any, Callable, Protocol

import numpy as np

from pose_ros.core.checks import check_int, check_score
from pose_ros.core.geometry import BOX_KEYPOINT_SCORE, check_rgb, clamp_box, sigmoid
from pose_ros.core.keypoints import Pose
from pose_ros.pose.options import FAMILIES
from pose_ros.pose.preprocess import Affine, letterbox


class UnsupportedModelError(ValueError):
    """The model's tensors fit no supported family, or not the family asked for."""


class Adapter(Protocol):
    """What the estimator needs of a family: poses from a frame, and state it can drop."""

    family: str
    timings: dict[str, float]

    def infer(self, rgb: np.ndarray) -> list[Pose]: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class AdapterSettings:
    """What a family's factory gets besides the model's runtime.

    ``min_person_score`` is the threshold in force (the family default already applied).
    ``load(path, role)`` opens a further model file (BlazePose's detector) the way the
    estimator opens the model, so that it is released with it; ``detector_path`` '' means
    the family's own default place for it.
    """

    max_persons: int = 6
    min_person_score: float = 0.5
    detector_path: str = ''
    load: Callable[[str, str], Any] | None = None


@dataclass(frozen=True)
class Family:
    """A registered model family.

    ``matches(runtime)`` says whether a model's tensors fit; ``signature`` says in words
    what fits, for error messages; ``create(runtime, settings)`` builds the adapter;
    ``explain(runtime)`` may name a model the family recognises but that is not what to
    load (BlazePose's detector given as the model), or return None.
    """

    name: str
    signature: str
    matches: Callable[[Any], bool]
    create: Callable[[Any, AdapterSettings], Adapter]
    default_min_person_score: float
    explain: Callable[[Any], str | None] | None = None


_FAMILIES: dict[str, Family] = {}

# What a person's score is differs per family, so one threshold cannot suit them all; each
# family module gives its default for ``min_person_score`` when the user sets none, with
# what it is based on (README "Models"). Filled by ``register``.
DEFAULT_MIN_PERSON_SCORE: dict[str, float] = {}


def register(family: Family) -> Family:
    """Add a family, once; families are kept in ``ModelFamily`` order, others after them."""
    if family.name in _FAMILIES:
        raise ValueError(f'model family {family.name!r} is registered already')
    check_score(f'{family.name} default_min_person_score', family.default_min_person_score)
    ordered = sorted([*_FAMILIES.values(), family], key=lambda f: (
        FAMILIES.index(f.name) if f.name in FAMILIES else len(FAMILIES)))
    _FAMILIES.clear()
    _FAMILIES.update((f.name, f) for f in ordered)
    DEFAULT_MIN_PERSON_SCORE.clear()
    DEFAULT_MIN_PERSON_SCORE.update((f.name, float(f.default_min_person_score)) for f in ordered)
    return family


def registered() -> tuple[str, ...]:
    """Return the names of the registered families, in the order detection tries them."""
    return tuple(_FAMILIES)


def get_family(name: str) -> Family:
    """Return the registered family ``name`` or raise UnsupportedModelError listing them."""
    try:
        return _FAMILIES[name]
    except KeyError:
        raise UnsupportedModelError(
            f'unknown model family {name!r}; supported families are '
            f'{", ".join(_FAMILIES)}') from None


def default_min_person_score(family: str) -> float:
    """Return the person-score threshold that suits ``family`` when the user sets none."""
    return get_family(family).default_min_person_score


def tensor_shape(info: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in info.shape)


def output_shapes(runtime: Any) -> list[tuple[int, ...]]:
    return [tensor_shape(o) for o in runtime.outputs]


def image_input(runtime: Any) -> bool:
    """Whether the model takes one [1, H, W, 3] image, as most families do."""
    if len(runtime.inputs) != 1:
        return False
    shape = tensor_shape(runtime.inputs[0])
    return len(shape) == 4 and shape[0] == 1 and shape[3] == 3


def _describe(infos: list[Any]) -> str:
    if not infos:
        return 'none'
    return ', '.join(f'{info.name!r} {list(tensor_shape(info))} {np.dtype(info.dtype).name}'
                     for info in infos)


def describe_tensors(runtime: Any) -> str:
    """Return the model's inputs and outputs as 'name [shape] dtype' lists for messages."""
    return f'inputs: {_describe(runtime.inputs)}; outputs: {_describe(runtime.outputs)}'


def _supported_list() -> str:
    return '; '.join(f'{f.name}: {f.signature}' for f in _FAMILIES.values())


def detect_family(runtime: Any) -> str:
    """Name the family whose tensor signature the model has."""
    for family in _FAMILIES.values():
        hint = family.explain(runtime) if family.explain is not None else None
        if hint is not None:
            raise UnsupportedModelError(f'{hint}; found {describe_tensors(runtime)}')
    for family in _FAMILIES.values():
        if family.matches(runtime):
            return family.name
    raise UnsupportedModelError(
        f'model fits no supported pose family; found {describe_tensors(runtime)}. '
        f'Supported families: {_supported_list()}')


def check_family(family: str, runtime: Any) -> None:
    """Refuse a model whose tensors do not fit the family the user asked for."""
    spec = get_family(family)
    if not spec.matches(runtime):
        raise UnsupportedModelError(
            f'model_type {family!r} expects {spec.signature}; found '
            f'{describe_tensors(runtime)}')


def create_adapter(family: str, runtime: Any, *, max_persons: int = 6,
                   min_person_score: float | None = None, detector_path: str = '',
                   load: Callable[[str, str], Any] | None = None) -> Adapter:
    """Build the adapter for ``family`` around a loaded runtime.

    ``min_person_score`` None means the family's default (``DEFAULT_MIN_PERSON_SCORE``).
    ``detector_path`` and ``load`` serve families with a second model (``AdapterSettings``).
    """
    spec = get_family(family)
    score = spec.default_min_person_score if min_person_score is None else min_person_score
    settings = AdapterSettings(max_persons=max_persons, min_person_score=score,
                               detector_path=detector_path, load=load)
    return spec.create(runtime, settings)


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
        max_persons = check_int('max_persons', max_persons, 1)
        min_person_score = default_min_person_score(self.family) if min_person_score is None \
            else check_score('min_person_score', min_person_score)
        check_family(self.family, runtime)
        self.runtime = runtime
        self.max_persons = max_persons
        self.min_person_score = min_person_score
        self.input = runtime.inputs[0]
        _, height, width, _ = tensor_shape(self.input)
        if height < 2 or width < 2:
            raise UnsupportedModelError(
                f'{self.family} model input {self.input.name!r} has the dynamic shape '
                f'{list(tensor_shape(self.input))}; pose_ros needs a model exported with a fixed '
                'input size, e.g. [1,256,256,3]')
        self.input_width = width
        self.input_height = height
        self.timings: dict[str, float] = {'preprocess': 0.0, 'invoke': 0.0, 'decode': 0.0}

    @classmethod
    def create(cls, runtime: Any, settings: AdapterSettings) -> FamilyAdapter:
        """Build the adapter with the settings' person limits (the registry's factory)."""
        return cls(runtime, max_persons=settings.max_persons,
                   min_person_score=settings.min_person_score)

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
        boxed, affine = letterbox(rgb, self.input_width, self.input_height, self.pad_value)
        if np.dtype(self.input.dtype) == np.uint8:
            return boxed[np.newaxis], affine
        pixels = boxed.astype(np.float32)
        return self.normalize(pixels)[np.newaxis].astype(np.float32), affine

    def infer(self, rgb: np.ndarray) -> list[Pose]:
        """Return the people in ``rgb``, best first, in source-image pixels."""
        check_rgb(rgb, f'{type(self).__name__}.infer()')
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
