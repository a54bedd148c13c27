"""Hands per person: the body's arms say where to look, the hand models say what is there.

For each person and side, the landmark model runs on, in turn: the region the same hand
had in the previous frame (tracking, as MediaPipe's hand tracking graph does), then the
region the body model's hand points give (BlazePose's knuckles, as MediaPipe Holistic
does), then the region the arm points to (elbow -> wrist); those two are no smaller than
the upper arm says the hand is, and refined once from the hand's own landmarks. A side
whose body wrist is unusable, and a frame with nobody in it, fall back to palm detection
over the whole image. Handedness is the body's: the hand at the left wrist is the left
hand; the model's own handedness is kept as ``handedness_score``, how much it agrees.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import Enum
import math
import os
import threading
import time
from typing import Callable, Sequence, TypeVar

import numpy as np

from pose_ros.core.checks import check_score
from pose_ros.core.geometry import check_rgb
from pose_ros.core.keypoints import HandPoint, Keypoint, Pose
from pose_ros.hands.landmarks import Handedness, HandLandmarker, HandLandmarks
from pose_ros.hands.palm import PalmDetector
from pose_ros.hands.recrop import HandRecropper
from pose_ros.hands.regions import (
    region_from_arm,
    region_from_hand_points,
    region_from_landmarks,
    upper_arm_floor,
)
from pose_ros.models.registry import DEFAULT_HAND_MODEL, resolve_model
from pose_ros.pose.families.blazepose import Roi
from pose_ros.pose.runtime import Runtime

ARM = {Handedness.LEFT: (Keypoint.LEFT_ELBOW, Keypoint.LEFT_WRIST),
       Handedness.RIGHT: (Keypoint.RIGHT_ELBOW, Keypoint.RIGHT_WRIST)}
SHOULDER = {Handedness.LEFT: Keypoint.LEFT_SHOULDER, Handedness.RIGHT: Keypoint.RIGHT_SHOULDER}
# A hand whose landmark wrist lies farther than this (in region sides) from the body's
# wrist is another hand (the person's other one, or someone else's) and is not taken.
MAX_WRIST_OFFSET = 0.5
# A first look from the arm, the body's hand points or a palm is a guess, and a region
# too large, turned or off centre can hold the hand and still score low. On the tests'
# rendered person (640x480, 1.4 m), of 500 regions 1 to 3 times the true one, up to 0.4 of
# its side off centre and turned by 0 or 29 degrees, the landmark model found the hand in
# 153 directly; in 379 on the region the re-crop model gave (a run taking 0.20 of the
# landmark model's, timed side by side); and in 465 when a re-cropped look scoring at least
# this, but below min_presence, was looked at again on the region its landmarks give
# (median error 0.035 hand lengths, p90 0.09). A plain wall scores 0.001.
LOOK_AGAIN_PRESENCE = 0.02
T = TypeVar('T')
R = TypeVar('R')


class HandSource(Enum):
    """Which region the hand was found in."""

    TRACKED = 'tracked'
    HAND_POINTS = 'hand_points'
    ARM = 'arm'
    PALM = 'palm'


@dataclass(frozen=True)
class HandEstimatorOptions:
    """How hands are found; defaults follow MediaPipe's hand landmarker.

    ``model``: a registered hands model (``python -m pose_ros.models list``).
    ``min_presence``: the landmark model's hand presence below which a region holds no hand.
    ``min_wrist_score``: body elbow and wrist scores needed to look along the arm (and
    the shoulder's, for the upper arm to set the region's least size; the knuckles', for
    the body model's hand points).
    ``refine``: when the region came from the body's hand points or arm (a guess) or a
    palm (the palm only), first let MediaPipe Holistic's re-crop model place the hand in
    it, and where the landmark model then scores the hand below ``min_presence`` but not
    nothing, run it a second time on the region its landmarks give.
    ``num_threads``: CPU threads for the hand models in all. ``workers``: hands looked for
    at once (at most ``num_threads``), each worker with its own landmark interpreter and an
    equal share of ``num_threads`` (the first ones one more where it does not divide).
    TFLite's invoke releases the GIL, and the landmark model gains less from a second
    thread than a second hand gains from running beside the first
    (``benchmarks/bench_hands.py``).
    """

    model: str = DEFAULT_HAND_MODEL
    num_threads: int = 2
    workers: int = 2
    min_presence: float = 0.5
    min_wrist_score: float = 0.3
    min_palm_score: float = 0.5
    refine: bool = True
    palm_fallback: bool = True
    max_palms: int = 4


@dataclass
class Hand:
    """One hand in source-image pixels.

    ``keypoints`` (21, 3) float32 x, y, score in ``landmarks.HandLandmark`` order.
    ``person`` indexes the poses given to ``estimate`` (-1: found by palm detection and
    in no person's box). ``handedness_score``: the model's probability of ``handedness``.
    """

    keypoints: np.ndarray
    score: float
    handedness: Handedness
    handedness_score: float
    region: Roi
    person: int
    source: HandSource
    track_id: int = -1
    depth: np.ndarray = field(default_factory=lambda: np.zeros(21, np.float32))


class HandEstimator:
    """Finds each person's hands; a context manager (``close`` frees the interpreters)."""

    def __init__(self, options: HandEstimatorOptions = HandEstimatorOptions(),
                 cache_dir: str | os.PathLike | None = None) -> None:
        check_score('min_presence', options.min_presence)
        check_score('min_wrist_score', options.min_wrist_score)
        if isinstance(options.workers, bool) or not isinstance(options.workers, int) \
                or options.workers < 1:
            raise ValueError(f'workers must be an integer >= 1, got {options.workers!r}')
        resolved = resolve_model(options.model, cache_dir, kind='hands')
        self.options = options
        # One interpreter per worker: an interpreter runs one invoke at a time.
        # No more workers than threads: num_threads 1 means one thread, as for the body.
        workers = max(1, min(options.workers, options.num_threads))
        shares = [options.num_threads // workers + (k < options.num_threads % workers)
                  for k in range(workers)]
        self._landmarkers = [HandLandmarker(Runtime(resolved.model_path, share))
                             for share in shares]
        self.landmarker = self._landmarkers[0]
        # Each worker's own re-crop interpreter, beside its landmark one.
        self._recroppers = {lm: HandRecropper(Runtime(resolved.recrop_path, share))
                            for lm, share in zip(self._landmarkers, shares)}
        self._pool = ThreadPoolExecutor(workers - 1, 'hands') if workers > 1 else None
        self.palms = PalmDetector(Runtime(resolved.detector_path, options.num_threads),
                                  options.min_palm_score)
        self._tracked: dict[tuple[int, Handedness], Roi] = {}
        self.timings: dict[str, float] = {}
        self.landmark_runs = 0
        self.recrop_runs = 0
        self._count = threading.Lock()  # workers count their re-crop runs
        self.palm_runs = 0
        self._closed = False

    def __enter__(self) -> HandEstimator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the models; ``estimate`` raises afterwards."""
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.landmarker = self.palms = None  # type: ignore[assignment]
        self._landmarkers = []
        self._recroppers = {}
        self._tracked.clear()

    def reset(self) -> None:
        """Forget the tracked hand regions (e.g. after a camera switch)."""
        self._tracked.clear()

    def estimate(self, rgb: np.ndarray, poses: Sequence[Pose],
                 timestamp_s: float | None = None) -> list[Hand]:
        """Return the hands of ``poses`` (and palms outside them) in an RGB uint8 frame.

        With ``timestamp_s`` the frame is one of a video and each tracked person's hand
        regions carry over to the next call; without it nothing carries over.
        """
        if self._closed:
            raise RuntimeError('HandEstimator is closed; create a new one to estimate again')
        check_rgb(rgb, 'HandEstimator.estimate()')
        start = time.perf_counter()
        self.landmark_runs = self.recrop_runs = self.palm_runs = 0
        self.timings = {}
        video = timestamp_s is not None and math.isfinite(timestamp_s)
        tracked, self._tracked = (self._tracked if video else {}), {}
        jobs = [(index, pose, side) for index, pose in enumerate(poses) for side in Handedness]
        hands: list[Hand] = []
        blind = not poses
        searched = self._spread(
            lambda lm, job: self._arm_hand(lm, rgb, job[1], job[0], job[2], tracked), jobs)
        for (_, pose, side), (hand, runs) in zip(jobs, searched):
            self.landmark_runs += runs
            if hand is None:
                blind = blind or not self._usable_arm(pose, side)
                continue
            hands.append(hand)
        if blind and self.options.palm_fallback:
            hands.extend(self._palm_hands(rgb, poses, hands))
        if video:
            for hand in hands:
                region = region_from_landmarks(hand.keypoints)
                if hand.track_id >= 0 and region is not None:
                    self._tracked[(hand.track_id, hand.handedness)] = region
        self.timings['total'] = time.perf_counter() - start
        return hands

    def _spread(self, work: Callable[[HandLandmarker, T], R], items: Sequence[T]) -> list[R]:
        """Return ``work(landmarker, item)`` for each item, ``workers`` at a time, in order.

        Each item is one hand's search: it reads only the frame, its pose or palm and last
        frame's regions, so the results do not depend on how the items are shared out.
        """
        n = len(self._landmarkers)
        if self._pool is None or len(items) < 2:
            return [work(self.landmarker, item) for item in items]

        def chunk(k: int) -> list[R]:
            return [work(self._landmarkers[k], item) for item in items[k::n]]

        futures = [self._pool.submit(chunk, k) for k in range(1, min(n, len(items)))]
        out: list = [None] * len(items)
        try:
            out[0::n] = chunk(0)
        finally:  # even on an error, no interpreter is still running when this returns
            wait(futures)
        for k, future in enumerate(futures, start=1):
            out[k::n] = future.result()
        return out

    def _usable_arm(self, pose: Pose, side: Handedness) -> bool:
        elbow, wrist = ARM[side]
        return bool(min(pose.keypoints[elbow, 2], pose.keypoints[wrist, 2])
                    >= self.options.min_wrist_score)

    def _look(self, lm: HandLandmarker, rgb: np.ndarray, roi: Roi, refine: bool
              ) -> tuple[tuple[HandLandmarks, Roi] | None, int]:
        """Run the landmark model in ``roi``, re-cropped and refined: (hand or None, runs)."""
        if refine:
            with self._count:
                self.recrop_runs += 1
            roi = self._recroppers[lm].run(rgb, roi) or roi
        found = lm.run(rgb, roi)
        seen = found.presence >= self.options.min_presence
        if seen or not refine or found.presence < LOOK_AGAIN_PRESENCE:
            return ((found, roi) if seen else None), 1
        better = region_from_landmarks(found.keypoints)
        if better is None:
            return None, 1
        again = lm.run(rgb, better)
        return ((again, better) if again.presence >= self.options.min_presence else None), 2

    def _arm_hand(self, lm: HandLandmarker, rgb: np.ndarray, pose: Pose, index: int,
                  side: Handedness, tracked: dict[tuple[int, Handedness], Roi]
                  ) -> tuple[Hand | None, int]:
        """Return the hand found at ``side`` of ``pose`` (or None) and the model runs."""
        elbow, wrist = (pose.keypoints[k] for k in ARM[side])
        usable = self._usable_arm(pose, side)
        candidates: list[tuple[Roi, HandSource]] = []
        previous = tracked.get((pose.track_id, side)) if pose.track_id >= 0 else None
        if previous is not None:
            candidates.append((previous, HandSource.TRACKED))
        shoulder = pose.keypoints[SHOULDER[side]]
        least = upper_arm_floor(shoulder, elbow) \
            if usable and shoulder[2] >= self.options.min_wrist_score else 0.0
        points = pose.hand_points[side] if pose.hand_points is not None else None
        if usable and points is not None and min(
                points[HandPoint.INDEX, 2], points[HandPoint.PINKY, 2]) \
                >= self.options.min_wrist_score:
            hand = region_from_hand_points(wrist, points[HandPoint.INDEX],
                                           points[HandPoint.PINKY], least)
            if hand is not None:
                candidates.append((hand, HandSource.HAND_POINTS))
        arm = region_from_arm(elbow, wrist, least) if usable else None
        if arm is not None:
            candidates.append((arm, HandSource.ARM))
        runs = 0
        for roi, source in candidates:
            seen, n = self._look(lm, rgb, roi,
                                 self.options.refine and source is not HandSource.TRACKED)
            runs += n
            if seen is None:
                continue
            found, region = seen
            if usable and np.hypot(*(found.keypoints[0, :2] - wrist[:2])) \
                    > MAX_WRIST_OFFSET * region.size:
                continue
            return _hand(found, region, side, index, source, pose.track_id), runs
        return None, runs

    def _palm_hands(self, rgb: np.ndarray, poses: Sequence[Pose],
                    found: list[Hand]) -> list[Hand]:
        t0 = time.perf_counter()
        palms = self.palms.detect(rgb, self.options.max_palms)
        self.palm_runs += 1
        self.timings['palm'] = time.perf_counter() - t0
        regions = [roi for roi in (palm.region() for palm in palms) if roi is not None]
        looks = self._spread(lambda lm, roi: self._look(lm, rgb, roi, self.options.refine),
                             regions)
        out: list[Hand] = []
        for seen, runs in looks:
            self.landmark_runs += runs
            if seen is None:
                continue
            lm, region = seen
            wrist = lm.keypoints[0, :2]
            if any(np.hypot(*(wrist - h.keypoints[0, :2])) < MAX_WRIST_OFFSET * h.region.size
                   for h in found + out):
                continue  # a hand already found from an arm
            side = lm.handedness
            person = _owner(wrist, poses, side, found + out)
            track = poses[person].track_id if person >= 0 else -1
            out.append(_hand(lm, region, side, person, HandSource.PALM, track))
        return out


def _hand(lm: HandLandmarks, region: Roi, side: Handedness, person: int,
          source: HandSource, track_id: int) -> Hand:
    agreement = lm.right_score if side is Handedness.RIGHT else 1.0 - lm.right_score
    return Hand(lm.keypoints, lm.presence, side, float(agreement), region, person, source,
                track_id, lm.depth)


def _owner(wrist: np.ndarray, poses: Sequence[Pose], side: Handedness,
           taken: list[Hand]) -> int:
    """Return the person whose box holds ``wrist`` and who has no ``side`` hand yet, or -1."""
    for i, pose in enumerate(poses):
        x0, y0, x1, y1 = pose.box
        if x0 <= wrist[0] <= x1 and y0 <= wrist[1] <= y1 and not any(
                h.person == i and h.handedness is side for h in taken):
            return i
    return -1
