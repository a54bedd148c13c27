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

import numpy as np

from pose_ros.core.geometry import check_rgb
from pose_ros.core.keypoints import Pose
from pose_ros.models.registry import DEFAULT_MODEL, fetch_command
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
    """Load a pose model and turn RGB frames into tracked, smoothed COCO-17 poses."""

    def __init__(self, options: PoseEstimatorOptions) -> None:
        if not isinstance(options, PoseEstimatorOptions):
            raise TypeError(f'PoseEstimator needs PoseEstimatorOptions, got '
                            f'{type(options).__name__}')
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

    def estimate(self, rgb: np.ndarray, timestamp_s: float) -> PoseResult:
        """Return the people in an RGB uint8 frame taken at ``timestamp_s`` (seconds).

        Timestamps drive the smoothing filters, so they must come from the camera
        (message stamp), not from when the frame happened to be processed.
        """
        if self._closed or self._adapter is None:
            raise RuntimeError('PoseEstimator is closed; create a new one to estimate again')
        check_rgb(rgb, 'estimate()')
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
