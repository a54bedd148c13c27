"""PoseEstimator: one object from options to poses, whatever model family is loaded.

Nodes and scripts depend only on this API, so a model swap is a change of options:
the family is recognised from the file, and tracking ids and smoothing are applied
the same way for every family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
import os
from pathlib import Path
import time
from types import TracebackType
from typing import Any

import numpy as np

from pose_ros.core.geometry import check_rgb
from pose_ros.core.keypoints import Pose
from pose_ros.models.registry import DEFAULT_MODEL, fetch_command, resolve_model
from pose_ros.pose.families import (
    Adapter,
    check_family,
    create_adapter,
    default_min_person_score,
    detect_family,
)
from pose_ros.pose.options import ModelFamily, PoseEstimatorOptions
from pose_ros.pose.runtime import ModelLoadError, Runtime
from pose_ros.pose.smoothing import KeypointSmoother
from pose_ros.pose.tracking import IouTracker

__all__ = ['ModelFamily', 'PoseEstimator', 'PoseEstimatorOptions', 'PoseResult']


@dataclass
class PoseResult:
    """The people in one frame, in the frame's pixels, and where the time went (seconds)."""

    poses: list[Pose]
    image_width: int
    image_height: int
    timings: dict[str, float] = field(default_factory=dict)


class PoseEstimator:
    """Load a pose model and turn RGB frames into tracked, smoothed COCO-17 poses.

    The short way, from a registered model name or a .tflite path::

        with PoseEstimator.from_model('blazepose_full') as estimator:
            poses = estimator.estimate(rgb).poses
    """

    def __init__(self, options: PoseEstimatorOptions) -> None:
        if not isinstance(options, PoseEstimatorOptions):
            raise TypeError(f'PoseEstimator needs PoseEstimatorOptions, got '
                            f'{type(options).__name__}; for a model name use '
                            'PoseEstimator.from_model(name)')
        self.options = options
        self.model_name = Path(options.model_path).stem
        self._runtimes: list[Runtime] = []
        runtime = self._load(options.model_path, 'model_path')
        family = options.model_type
        if family == ModelFamily.AUTO:
            family = detect_family(runtime)
        else:
            check_family(family, runtime)
        self.family = family
        self.min_person_score = default_min_person_score(family) \
            if options.min_person_score is None else options.min_person_score
        self._adapter: Adapter | None = create_adapter(
            family, runtime, max_persons=options.max_persons,
            min_person_score=self.min_person_score, detector_path=options.detector_path,
            load=self._load)
        self._tracker = IouTracker()
        self._smoother = KeypointSmoother(options.smoothing_min_cutoff, options.smoothing_beta) \
            if options.smoothing else None
        self._closed = False

    @classmethod
    def from_model(cls, model: str | os.PathLike = DEFAULT_MODEL, **options: Any
                   ) -> PoseEstimator:
        """Build an estimator for a registered model name (``models.REGISTRY``) or a file.

        ``options`` are ``PoseEstimatorOptions`` fields other than ``model_path``. A
        registered name brings its family and, for BlazePose, its detector; a name whose
        files are missing raises ``ModelNotFoundError`` with the command that fetches them.
        """
        if 'model_path' in options:
            raise TypeError('from_model() takes the model as its first argument, not '
                            'model_path=; PoseEstimator(PoseEstimatorOptions(model_path=...)) '
                            'takes a path')
        resolved = resolve_model(model)
        if options.get('model_type', ModelFamily.AUTO) == ModelFamily.AUTO and resolved.family:
            options['model_type'] = resolved.family
        if not options.get('detector_path'):
            options['detector_path'] = resolved.detector_path
        estimator = cls(PoseEstimatorOptions(model_path=resolved.model_path, **options))
        estimator.model_name = resolved.name
        return estimator

    def _load(self, path: str, role: str) -> Runtime:
        if not path or not Path(path).expanduser().is_file():
            raise ModelLoadError(f'{role} {path!r} does not exist; expected a .tflite file. '
                                 f'Fetch the default model with: {fetch_command(DEFAULT_MODEL)}')
        runtime = Runtime(path, num_threads=self.options.num_threads,
                          delegate_path=self.options.delegate_path or None)
        self._runtimes.append(runtime)
        return runtime

    def __repr__(self) -> str:
        return (f'PoseEstimator(model={self.model_name!r}, family={self.family!r}, '
                f'smoothing={self._smoother is not None})')

    def estimate(self, rgb: np.ndarray, timestamp_s: float | None = None) -> PoseResult:
        """Return the people in an RGB uint8 frame.

        With ``timestamp_s`` (seconds) the frame is one of a video: people are followed
        from the frames before (track ids, BlazePose's region) and their keypoints smoothed
        over time. The timestamps drive the smoothing filters, so they must come from the
        camera (the message stamp), not from when the frame happened to be processed.

        Without it the frame is a still image, as in MediaPipe's IMAGE running mode: it is
        searched afresh and nothing carries over from or to other calls; no smoothing, and
        its people get new track ids. A video passed without timestamps is therefore
        searched afresh every frame: slower, and unsmoothed.
        """
        if self._closed or self._adapter is None:
            raise RuntimeError('PoseEstimator is closed; create a new one to estimate again')
        check_rgb(rgb, 'estimate()')
        still = timestamp_s is None
        if not still and not math.isfinite(timestamp_s):
            raise ValueError(f'timestamp_s must be a finite number of seconds or None, got '
                             f'{timestamp_s!r}')
        if still:
            self.reset()
        start = time.perf_counter()
        poses = self._adapter.infer(rgb)
        inferred = time.perf_counter()
        poses = self._tracker.update(poses)
        tracked = time.perf_counter()
        if self._smoother is not None and not still:
            poses = self._smoother.update(poses, float(timestamp_s))
        done = time.perf_counter()
        timings = dict(self._adapter.timings)
        timings['tracking'] = tracked - inferred
        timings['smoothing'] = done - tracked
        timings['total'] = done - start
        if still:
            self.reset()
        return PoseResult(poses, int(rgb.shape[1]), int(rgb.shape[0]), timings)

    def reset(self) -> None:
        """Forget people, tracks and filter state (e.g. after a camera switch or a pause)."""
        if self._closed or self._adapter is None:
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
