"""Per-stage cost of PoseEstimator on a moving 640x480 clip, next to references from the same run.

The clip is the astronaut photo drifting and zooming a little each frame, so the
BlazePose tracker re-crops every frame as it would on a camera, instead of seeing
one frozen image.

    python benchmarks/bench_pose.py --frames 300 --threads 2

References, measured in the same run because absolute times vary with the machine: the bare
landmark ``invoke()`` (always), and MediaPipe's own BlazePose pipeline on the same frames
(``mp.solutions.pose``, model complexity 1, which runs the same pose_detection and
pose_landmark_full models from the mediapipe wheel) when ``mediapipe`` is importable. It is
not in the project's venv (mediapipe 0.10.21 needs numpy < 2); a venv for it:

    python3.11 -m venv /tmp/mp && /tmp/mp/bin/pip install mediapipe==0.10.21 ai-edge-litert \
        scikit-image
    PYTHONPATH=pose_ros /tmp/mp/bin/python benchmarks/bench_pose.py

(without ROS there, the message stage is not measured).
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
import sys
import time

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'pose_ros'))

from pose_ros.media.image import image_to_rgb  # noqa: E402
from pose_ros.pose.estimator import PoseEstimator, PoseEstimatorOptions  # noqa: E402

try:  # building the PersonArray is part of the node's per-frame cost, where ROS is installed
    from std_msgs.msg import Header

    from pose_ros.ros.messages import poses_to_msg
except ImportError:
    poses_to_msg = None

WIDTH, HEIGHT = 640, 480
STAGES = ('conversion', 'preprocess', 'invoke', 'decode', 'tracking', 'smoothing', 'message',
          'total')


def make_clip(frames: int) -> list[np.ndarray]:
    """Astronaut on a 640x480 frame, swaying +-40 px and zooming +-6 %, one cycle per 4 s."""
    photo = data.astronaut()
    clip = []
    for i in range(frames):
        phase = 2 * math.pi * i / 120.0
        scale = 0.85 * (1.0 + 0.06 * math.sin(phase * 0.5))
        dx = 40.0 * math.sin(phase)
        dy = 10.0 * math.cos(phase)
        m = np.array([[scale, 0.0, WIDTH / 2 - scale * 256 + dx],
                      [0.0, scale, HEIGHT / 2 - scale * 256 + dy]])
        clip.append(cv2.warpAffine(photo, m, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE))
    return clip


def default_model(model_type: str) -> str:
    root = Path(os.environ.get('POSE_ROS_MODELS', '~/.cache/pose_ros/models')).expanduser()
    return str(root / 'pose_landmark_full.tflite') if model_type in ('auto', 'blazepose') else ''


def mediapipe_solution():
    """MediaPipe's own BlazePose pipeline, or None when mediapipe is not installed."""
    try:
        import mediapipe as mp
    except ImportError:
        return None
    return mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1,
                                  smooth_landmarks=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=300)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--model-type', default='blazepose')
    parser.add_argument('--model', default='', help='model file (default: BlazePose full)')
    parser.add_argument('--no-smoothing', action='store_true')
    parser.add_argument('--warmup', type=int, default=10)
    args = parser.parse_args(argv)

    model = args.model or default_model(args.model_type)
    if not model:
        parser.error(f'--model is required for --model-type {args.model_type}')
    options = PoseEstimatorOptions(model_path=model, model_type=args.model_type,
                                   num_threads=args.threads, smoothing=not args.no_smoothing)
    clip = make_clip(args.frames)
    records = {stage: [] for stage in STAGES}
    found = 0
    # Frame by frame in turn with ours, so that both see the same load on a shared machine.
    reference = mediapipe_solution() if args.model_type == 'blazepose' else None
    reference_s, reference_found = [], 0
    with PoseEstimator(options) as estimator:
        for i in range(args.warmup):
            estimator.estimate(clip[i % len(clip)], i / 30.0)
            if reference is not None:
                reference.process(clip[i % len(clip)])
        estimator.reset()
        if reference is not None:
            reference.reset()
        runs_before = getattr(estimator._adapter, 'detector_runs', 0)
        start = time.perf_counter()
        # Frames as they arrive in a sensor_msgs/Image: rgb8 bytes, converted like the node does.
        raw = [frame.tobytes() for frame in clip]
        for i, data_bytes in enumerate(raw):
            t0 = time.perf_counter()
            frame = image_to_rgb('rgb8', WIDTH, HEIGHT, WIDTH * 3, data_bytes)
            t1 = time.perf_counter()
            result = estimator.estimate(frame, i / 30.0)
            t2 = time.perf_counter()
            if poses_to_msg is not None:
                poses_to_msg(result.poses, Header(), WIDTH, HEIGHT, 'bench')
            t3 = time.perf_counter()
            found += len(result.poses) > 0
            timings = dict(result.timings, conversion=t1 - t0, message=t3 - t2)
            timings['total'] = timings['total'] + timings['conversion'] + timings['message']
            for stage in STAGES:
                records[stage].append(timings.get(stage, 0.0))
            if reference is not None:
                t4 = time.perf_counter()
                reference_found += reference.process(clip[i]).pose_landmarks is not None
                reference_s.append(time.perf_counter() - t4)
        wall = time.perf_counter() - start - sum(reference_s)
        detector_runs = getattr(estimator._adapter, 'detector_runs', None)
        if detector_runs is not None:
            detector_runs -= runs_before

    print(f'model {Path(model).name} ({estimator.family}), {args.frames} frames '
          f'{WIDTH}x{HEIGHT}, {args.threads} threads, smoothing '
          f'{"off" if args.no_smoothing else "on"}')
    print(f'{"stage":<12}{"mean ms":>10}{"p50 ms":>10}{"p95 ms":>10}')
    for stage in STAGES:
        ms = np.array(records[stage]) * 1e3
        print(f'{stage:<12}{ms.mean():>10.3f}{np.percentile(ms, 50):>10.3f}'
              f'{np.percentile(ms, 95):>10.3f}')
    invoke = np.array(records['invoke'])
    around = np.array(records['total']) - invoke
    print(f'around-invoke / invoke: {around.sum() / invoke.sum():.3f} '
          f'(mean {around.mean() * 1e3:.3f} ms vs {invoke.mean() * 1e3:.3f} ms)')
    print(f'frames/s: {args.frames / wall:.1f} (wall), '
          f'{1.0 / np.mean(records["total"]):.1f} (estimate() mean)')
    print(f'frames with a person: {found}/{args.frames}'
          + (f', detector runs: {detector_runs}' if detector_runs is not None else ''))
    estimate = np.array(records['total']) - np.array(records['conversion']) \
        - np.array(records['message'])
    print(f'per frame, estimate(): mean {estimate.mean() * 1e3:.2f} ms, p50 '
          f'{np.percentile(estimate, 50) * 1e3:.2f} ms '
          f'({estimate.mean() / invoke.mean():.2f}x the bare invoke())')
    if reference is None:
        print('MediaPipe reference: not measured (mediapipe not installed, or not BlazePose)')
    else:
        reference.close()
        times = np.array(reference_s)
        print(f'MediaPipe solutions.pose (complexity 1), same frames in turn: mean '
              f'{times.mean() * 1e3:.2f} ms, p50 {np.percentile(times, 50) * 1e3:.2f} ms, '
              f'{1.0 / times.mean():.1f} frames/s, a person in {reference_found}/{len(clip)}')
        print(f'estimate() / MediaPipe: {estimate.mean() / times.mean():.2f} (mean), '
              f'{np.percentile(estimate, 50) / np.percentile(times, 50):.2f} (p50)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
