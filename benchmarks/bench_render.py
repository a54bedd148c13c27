"""Time the body renderer per 640x480 frame, by stage, next to a reference in the same run.

The machine is shared and noisy, so every figure is also given as a ratio to a reference
workload timed in the same run (a 512x512 float64 matrix product, numpy's BLAS). Run in
the set-up environment (``source pose_ros_env.sh``):

    python benchmarks/bench_render.py [--scene session_basic] [--frames 40]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'pose_ros'))

from reference import reference_ms  # noqa: E402 - beside this script

from pose_ros.rendering import Film, load_scene  # noqa: E402
from pose_ros.rendering.film import apply_effects  # noqa: E402
from pose_ros.rendering.groundtruth import ground_truth, keypoints_world  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scene', default='session_basic')
    parser.add_argument('--frames', type=int, default=40)
    args = parser.parse_args()
    scene = load_scene(args.scene)
    stages: dict[str, list[float]] = {k: [] for k in
                                      ('time-line', 'skinning', 'GL draw + read', 'effects',
                                       'ground truth', 'whole frame')}
    ref_before = reference_ms()
    with Film(scene) as film:
        film.frame(0)
        step = max(scene.frame_count // args.frames, 1)
        for i in range(0, scene.frame_count, step)[:args.frames]:
            t = i / scene.effects.fps
            t0 = time.perf_counter()
            moment = film.timeline.at(t)
            t1 = time.perf_counter()
            posed = film.posed(moment)
            t2 = time.perf_counter()
            frame = film.renderer.render(posed, scene.camera, film.extrinsics)
            t3 = time.perf_counter()
            apply_effects(frame.image, scene.effects, np.random.default_rng(i))
            t4 = time.perf_counter()
            world = keypoints_world(film.body, posed, str(film.assets))
            ground_truth(world, *film.extrinsics, scene.camera.intrinsics, frame.depth)
            t5 = time.perf_counter()
            film.frame(i)
            t6 = time.perf_counter()
            for key, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
                stages[key].append(dt * 1e3)
    ref = (ref_before + reference_ms()) / 2
    print(f'machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}')
    print(f'load average: {", ".join(f"{x:.1f}" for x in os.getloadavg())}')
    print(f'reference (512x512 matmul): {ref:.2f} ms')
    print(f'scene {scene.name}, {scene.camera.width}x{scene.camera.height_px}, '
          f'motion_blur={scene.effects.motion_blur}, {len(stages["whole frame"])} frames')
    print(f'{"stage":16s} {"median ms":>10s} {"x reference":>12s}')
    for key, values in stages.items():
        med = statistics.median(values)
        print(f'{key:16s} {med:10.1f} {med / ref:12.1f}')


if __name__ == '__main__':
    main()
