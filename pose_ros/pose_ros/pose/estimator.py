"""PoseEstimator: one object from options to poses, whatever model family is loaded.

Nodes and scripts depend only on this API, so a model swap is a change of options:
the family is recognised from the file, and tracking ids and smoothing are applied
the same way for every family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import time
from types import TracebackType
from typing import Any

import numpy as np

from pose_ros.core.keypoints import Pose
from pose_ros.pose.families.base import (
    FAMILIES,
    check_family,
    create_adapter,
    default_min_person_score,
    detect_family,
)
from pose_ros.pose.families.blazepose import BlazePose
from pose_ros.pose.runtime import ModelLoadError, Runtime
from pose_ros.pose.smoothing import KeypointSmoother
from pose_ros.pose.tracking import IouTracker

BLAZEPOSE_DETECTOR = 'pose_detection.tflite'
FETCH_HINT = 'python -m pose_ros.models fetch blazepose_full'
MODEL_TYPES: tuple[str, ...] = ('auto',) + FAMILIES


@dataclass
class PoseEstimatorOptions:
    """How to build a ``PoseEstimator``; every field maps to a node parameter.

    ``min_person_score`` None takes the family's own default: a person's score means
    something different in each family (``families.DEFAULT_MIN_PERSON_SCORE``).
    """

    model_path: str
    model_type: str = 'auto'
    detector_path: str = ''
    num_threads: int = 2
    delegate_path: str = ''
    max_persons: int = 6
    min_person_score: float | None = None
    smoothing: bool = True
    smoothing_min_cutoff: float = 1.0
    smoothing_beta: float = 4.0


@dataclass
class PoseResult:
    """The people in one frame, in the frame's pixels, and where the time went (seconds)."""

    poses: list[Pose]
    image_width: int
    image_height: int
    timings: dict[str, float] = field(default_factory=dict)


def _load(path: str, role: str, options: PoseEstimatorOptions) -> Runtime:
    if not path or not Path(path).expanduser().is_file():
        raise ModelLoadError(f'{role} {path!r} does not exist; expected a .tflite file. '
                             f'Fetch the default model with: {FETCH_HINT}')
    return Runtime(path, num_threads=options.num_threads,
                   delegate_path=options.delegate_path or None)


def _check_options(options: PoseEstimatorOptions) -> None:
    if options.model_type not in MODEL_TYPES:
        raise ValueError(f'model_type {options.model_type!r} is not supported; allowed: '
                         f'{", ".join(MODEL_TYPES)}')
    if isinstance(options.num_threads, bool) or int(options.num_threads) != options.num_threads \
            or options.num_threads < 1:
        raise ValueError(f'num_threads must be an integer >= 1, got {options.num_threads!r}')
    if isinstance(options.max_persons, bool) or int(options.max_persons) != options.max_persons \
            or options.max_persons < 1:
        raise ValueError(f'max_persons must be an integer >= 1, got {options.max_persons!r}')
    if options.min_person_score is not None and not 0.0 <= options.min_person_score <= 1.0:
        raise ValueError(f'min_person_score must be within [0, 1], got '
                         f'{options.min_person_score}')


class PoseEstimator:
    """Load a pose model and turn RGB frames into tracked, smoothed COCO-17 poses."""

    def __init__(self, options: PoseEstimatorOptions) -> None:
        _check_options(options)
        self.options = options
        self.model_name = Path(options.model_path).stem
        runtime = _load(options.model_path, 'model_path', options)
        family = options.model_type
        if family == 'auto':
            family = detect_family(runtime)
        else:
            check_family(family, runtime)
        self.family = family
        self.min_person_score = default_min_person_score(family) \
            if options.min_person_score is None else float(options.min_person_score)
        self._runtimes = [runtime]
        self._adapter: Any
        if family == 'blazepose':
            detector_path = options.detector_path or str(
                Path(options.model_path).expanduser().parent / BLAZEPOSE_DETECTOR)
            detector = _load(detector_path, 'detector_path', options)
            self._runtimes.append(detector)
            # BlazePose follows one person; max_persons does not apply.
            self._adapter = BlazePose(runtime, detector,
                                      min_detection_score=self.min_person_score,
                                      min_tracking_score=self.min_person_score)
        else:
            self._adapter = create_adapter(family, runtime, max_persons=options.max_persons,
                                           min_person_score=self.min_person_score)
        self._tracker = IouTracker()
        self._smoother = KeypointSmoother(options.smoothing_min_cutoff, options.smoothing_beta) \
            if options.smoothing else None
        self._closed = False

    def __repr__(self) -> str:
        return (f'PoseEstimator(model={self.model_name!r}, family={self.family!r}, '
                f'smoothing={self._smoother is not None})')

    def estimate(self, rgb: np.ndarray, timestamp_s: float) -> PoseResult:
        """Return the people in an RGB uint8 frame taken at ``timestamp_s`` (seconds).

        Timestamps drive the smoothing filters, so they must come from the camera
        (message stamp), not from when the frame happened to be processed.
        """
        if self._closed:
            raise RuntimeError('PoseEstimator is closed; create a new one to estimate again')
        if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 \
                or rgb.shape[2] != 3 or rgb.size == 0:
            raise ValueError('estimate() needs an RGB uint8 image of shape (H, W, 3), got '
                             f'{getattr(rgb, "dtype", type(rgb).__name__)} '
                             f'{getattr(rgb, "shape", "")}')
        start = time.perf_counter()
        poses = self._adapter.infer(rgb)
        inferred = time.perf_counter()
        poses = self._tracker.update(poses)
        tracked = time.perf_counter()
        if self._smoother is not None:
            poses = self._smoother.update(poses, float(timestamp_s))
        done = time.perf_counter()
        timings = dict(self._adapter.timings)
        timings['tracking'] = tracked - inferred
        timings['smoothing'] = done - tracked
        timings['total'] = done - start
        return PoseResult(poses, int(rgb.shape[1]), int(rgb.shape[0]), timings)

    def reset(self) -> None:
        """Forget people, tracks and filter state (e.g. after a camera switch or a pause)."""
        if self._closed:
            return
        self._adapter.reset()
        self._tracker.reset()
        if self._smoother is not None:
            self._smoother.reset()

    def close(self) -> None:
        """Release the interpreters; ``estimate`` refuses to run afterwards."""
        self._closed = True
        self._adapter = None
        self._runtimes.clear()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
