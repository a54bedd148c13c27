"""What hand keypoints cost per frame for one person with both hands, next to the body model.

On one rendered frame (the hands-up scene of the hand tests, 640x480): the body model's bare
``invoke()`` (BlazePose full landmark model), and ``HandEstimator.estimate`` tracking both
hands (one hand_landmark run per hand), from the body's hand points (per hand a hand_recrop
run on the region they give, then one hand_landmark run) and by palm detection alone (no
body); and a video frame as pose_node runs it with hands on: the whole body estimate
(tracking, smoothing), then the tracked hands. Medians, in milliseconds and as ratios to
``reference_ms`` and to the body invoke measured in the same run.

``--workers 1`` looks for the hands one after the other (the default, 2, side by side);
the tracked hands are also measured both ways in alternating rounds.

    python benchmarks/bench_hands.py [--model hands_lite] [--threads 2] [--workers 2]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
import platform
import statistics
import sys
import time

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'pose_ros'))
sys.path.insert(0, str(HERE.parent / 'pose_ros' / 'test'))
sys.path.insert(0, str(HERE))

from hand_helpers import HANDS_UP_SCENE  # noqa: E402 - the hand tests' scene
from reference import reference_ms  # noqa: E402 - beside this script

from pose_ros.hands import HandEstimator, HandEstimatorOptions  # noqa: E402
from pose_ros.models.registry import DEFAULT_HAND_MODEL  # noqa: E402
from pose_ros.pose.estimator import PoseEstimator  # noqa: E402
from pose_ros.rendering import Film  # noqa: E402
from pose_ros.rendering.scene import parse_scene  # noqa: E402

REPEAT = 40


def median_ms(fn) -> float:
    fn()
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def alternating(fns, rounds: int = 12, per_round: int = 20) -> list[float]:
    """Return each function's median ms, measured in turn round after round."""
    times: list[list[float]] = [[] for _ in fns]
    for fn in fns:
        fn()
    for _ in range(rounds):
        for fn, out in zip(fns, times):
            for _ in range(per_round):
                t0 = time.perf_counter()
                fn()
                out.append((time.perf_counter() - t0) * 1e3)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default=DEFAULT_HAND_MODEL, help='registered hands model')
    parser.add_argument('--threads', type=int, default=2,
                        help='TFLite threads for the body model, and for the hand models in all')
    parser.add_argument('--workers', type=int, default=HandEstimatorOptions().workers,
                        help='hands looked for at once')
    args = parser.parse_args()
    with Film(parse_scene(HANDS_UP_SCENE)) as film:
        image = film.frame(3).image
    ref = reference_ms()
    options = HandEstimatorOptions(model=args.model, num_threads=args.threads,
                                   workers=args.workers)
    with PoseEstimator.from_model('blazepose_full', num_threads=args.threads) as body, \
            HandEstimator(options) as hands:
        poses = body.estimate(image).poses
        poses[0].track_id = 1
        landmark = body._adapter.landmark  # the bare body landmark model
        tensor = body._adapter._landmark_input
        body_ms = median_ms(lambda: landmark.run(tensor))
        clock = iter(range(10 ** 9))
        tracked = median_ms(lambda: hands.estimate(image, poses, float(next(clock))))
        from_body = median_ms(lambda: hands.estimate(image, poses))
        palms = median_ms(lambda: hands.estimate(image, []))
        # The two hands side by side against one after the other, in alternating rounds
        # so that the shared machine's load falls on both alike.
        with HandEstimator(replace(options, workers=1)) as serial:
            serial_ms, parallel_ms = alternating(
                [lambda: serial.estimate(image, poses, float(next(clock))),
                 lambda: hands.estimate(image, poses, float(next(clock)))])
    with PoseEstimator.from_model('blazepose_full', num_threads=args.threads,
                                  smoothing=True) as body, HandEstimator(options) as hands:
        clock = iter(range(10 ** 9))

        def frame() -> None:
            t = float(next(clock)) / 30.0
            hands.estimate(image, body.estimate(image, t).poses, t)
        both = median_ms(frame)
    print(f'machine {platform.machine()}, {args.model}, {args.threads} threads, '
          f'{args.workers} workers, reference {ref:.1f} ms')
    print(f'body landmark invoke      {body_ms:6.1f} ms  {body_ms / ref:5.2f} x ref')
    for label, ms in (('hands tracked (2 runs)', tracked), ('hands from the body', from_body),
                      ('hands by palm detection', palms),
                      ('body estimate + hands', both),
                      ('tracked, 1 worker', serial_ms),
                      (f'tracked, {args.workers} workers', parallel_ms)):
        print(f'{label:25s} {ms:6.1f} ms  {ms / ref:5.2f} x ref  {ms / body_ms:5.2f} x body')
    print(f'body estimate + hands: {1e3 / both:.0f} frames/s on this machine')
    print(f'tracked hands, {args.workers} workers / 1 worker (alternating rounds): '
          f'{parallel_ms / serial_ms:.2f}')
    ref_after = reference_ms()
    print(f'reference after: {ref_after:.1f} ms')


if __name__ == '__main__':
    main()
