"""3D keypoints from aligned depth, measured on rendered RGB-D frames with exact ground truth.

Bodies (1.1 to 2.0 m, every shape, clothes and room of ``recognition_scenes.py``) are rendered
at 1.5 to 6 m, turned up to 30 degrees, in ten still poses each (rest, the gestures, hands on
hips, arms crossed, clapping in front of the chest, a wave). The renderer's depth buffer is
exact; a depth camera's is not, so ``sensor_depth`` makes it one: axial noise growing with the
square of the distance (Kinect's model, Nguyen et al. 2012), disparity quantisation of a
structured-light sensor (1/8 pixel of a 580 px, 7.5 cm baseline), projector shadows (no depth
where the projector beside the camera cannot see past a near edge), flying pixels on edges,
random holes, and millimetre 16UC1. Keypoints are lifted with ``pose_ros.depth`` from the true
2D keypoints and from BlazePose's (the default model, as pose_node runs it, no smoothing:
each frame is another pose), and compared with the rig's joint centres.

    python benchmarks/bench_depth.py --offsets        # measure the surface-to-joint offsets
    python benchmarks/bench_depth.py                  # the benchmark (minutes)

Writes ``benchmarks/results/depth.{json,md}`` (``--quick``: ``output/depth_quick.*``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path
import platform
import statistics
import sys
import time

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'pose_ros'))
sys.path.insert(0, str(HERE))

from recognition_scenes import header, sample_variation  # noqa: E402
from reference import reference_ms  # noqa: E402 - beside this script

from pose_ros.core.keypoints import NUM_KEYPOINTS, Keypoint  # noqa: E402
from pose_ros.depth.camera import PinholeCamera  # noqa: E402
from pose_ros.depth.image import DepthImage  # noqa: E402
from pose_ros.depth.lift import lift_keypoints  # noqa: E402

K = Keypoint
GROUPS = {'shoulders': (K.LEFT_SHOULDER, K.RIGHT_SHOULDER), 'elbows': (K.LEFT_ELBOW,
          K.RIGHT_ELBOW), 'wrists': (K.LEFT_WRIST, K.RIGHT_WRIST),
          'hips': (K.LEFT_HIP, K.RIGHT_HIP)}
DIST_BINS = (1.5, 2.5, 3.0, 3.5, 4.0, 5.0, 6.01)
TARGETS = {'shoulders': 0.9, 'elbows': 0.9, 'hips': 0.9, 'wrists': 0.8}
KINECT = 0.73
MIN_SCORE = 0.5
EXTRA_POSES = (
    'pose clap like=rest l_upperarm=18,45 l_forearm=10,80 r_upperarm=18,45 r_forearm=10,80',
    'pose watch like=rest l_upperarm=15,35 l_forearm=-45,70',
    'pose reach like=rest r_upperarm=80,60 r_forearm=80,70',
)
POSES = ('rest', 'forward', 'back', 'turn_left', 'stop', 'hands_on_hips', 'arms_crossed_low',
         'clap', 'watch', 'reach')
SEEDS_OFFSETS = range(5000, 5012)       # bodies the offsets are measured on ...
SEEDS_BENCH = range(6000, 6060)         # ... and others the benchmark runs on


def scene_text(seed: int, distance: tuple[float, float]) -> str:
    v = sample_variation(seed, 'session', distance=distance, yaw=30.0)
    lines = header(v)
    lines[4] = lines[4].replace('fps=15', 'fps=5')
    lines[4] = lines[4].replace(f'motion_blur={v.motion_blur}', 'motion_blur=0')
    lines += list(EXTRA_POSES) + ['']
    lines += [f'hold {p} 0.2' for p in POSES]
    return '\n'.join(lines) + '\n'


def sensor_depth(z: np.ndarray, rng: np.random.Generator, focal: float = 580.0,
                 baseline: float = 0.075) -> np.ndarray:
    """Turn an exact depth buffer (metres, inf for none) into a 16UC1 sensor frame (mm)."""
    z = np.where(np.isfinite(z), z, 0.0).astype(np.float64)
    valid = z > 0
    h, w = z.shape
    fb = focal * baseline
    # Projector shadow: the projector sits ``baseline`` to the camera's right, so behind a
    # near edge the far surface on the edge's right is lit only for the camera's eye.
    shadow = np.zeros_like(valid)
    for k in range(1, 40):
        near = np.zeros_like(z)
        near[:, k:] = z[:, :-k]
        jump = (near > 0) & (z > near + 0.05)
        shadow |= jump & (k <= fb * (1.0 / np.maximum(near, 1e-3) - 1.0 / np.maximum(z, 1e-3)))
    # Flying pixels: on a depth edge, half the pixels take a mix of both sides.
    right = np.roll(z, -1, axis=1)
    edge = valid & (np.abs(right - z) > 0.1) & (right > 0)
    mix = edge & (rng.random(z.shape) < 0.5)
    t = rng.random(z.shape)
    z = np.where(mix, t * z + (1 - t) * right, z)
    sigma = 0.0012 + 0.0019 * np.square(np.maximum(z - 0.4, 0.0))
    z = z + rng.standard_normal(z.shape) * sigma
    disparity = np.round(fb / np.maximum(z, 1e-3) * 8.0) / 8.0
    z = fb / np.maximum(disparity, 1e-6)
    holes = rng.random(z.shape) < 0.02
    out = np.where(valid & ~shadow & ~holes & (z < 10.0), np.round(z * 1000.0), 0.0)
    return out.astype(np.uint16)


def render_frames(seeds, distance, with_model: bool, log=print):
    """Yield per frame: dict(truth3d, truth2d, visible, depth_exact, depth_mm, model_kp, K)."""
    from pose_ros.rendering import Film, parse_scene
    estimator = None
    if with_model:
        from pose_ros.pose.estimator import PoseEstimator, PoseEstimatorOptions
        root = Path(os.environ.get('POSE_ROS_MODELS', '~/.cache/pose_ros/models')).expanduser()
        estimator = PoseEstimator(PoseEstimatorOptions(
            model_path=str(root / 'pose_landmark_full.tflite'), num_threads=2,
            smoothing=False))
    for seed in seeds:
        scene = parse_scene(scene_text(seed, distance), f'depth-{seed}.scene')
        rng = np.random.default_rng(seed)
        with Film(scene) as film:
            for i in range(scene.frame_count):
                f = film.frame(i)
                kp = None
                if estimator is not None:
                    estimator.reset()
                    poses = estimator.estimate(f.image, f.time).poses
                    kp = poses[0].keypoints if poses else None
                yield {'seed': seed, 'pose': POSES[i % len(POSES)],
                       'truth3d': f.truth.points_3d, 'truth2d': f.truth.points_2d,
                       'visible': f.truth.visible, 'depth': f.depth,
                       'depth_mm': sensor_depth(f.depth, rng), 'model_kp': kp,
                       'K': scene.camera.intrinsics, 'size': (scene.camera.width,
                                                              scene.camera.height_px),
                       'distance': scene.camera.distance}
        log(f'  body {seed} done')


def torso_length(p3: np.ndarray) -> float:
    s = (p3[K.LEFT_SHOULDER] + p3[K.RIGHT_SHOULDER]) / 2
    h = (p3[K.LEFT_HIP] + p3[K.RIGHT_HIP]) / 2
    return float(np.linalg.norm(s - h))


def measure_offsets(args) -> dict:
    """Median (joint z - exact surface z at its pixel) / torso length, per keypoint."""
    ratios = [[] for _ in range(NUM_KEYPOINTS)]
    metres = [[] for _ in range(NUM_KEYPOINTS)]
    torsos = []
    for fr in render_frames(SEEDS_OFFSETS[:args.bodies], (1.5, 4.0), False):
        p3, p2, vis, depth = fr['truth3d'], fr['truth2d'], fr['visible'], fr['depth']
        t = torso_length(p3)
        torsos.append(t)
        h, w = depth.shape
        for k in range(NUM_KEYPOINTS):
            u, v = int(round(p2[k, 0])), int(round(p2[k, 1]))
            if not vis[k] or not (0 <= u < w and 0 <= v < h) or not np.isfinite(depth[v, u]):
                continue
            off = p3[k, 2] - float(depth[v, u])
            ratios[k].append(off / t)
            metres[k].append(off)
    out = {K(k).name.lower(): {'median_torso': round(statistics.median(ratios[k]), 4),
                               'median_m': round(statistics.median(metres[k]), 4),
                               'n': len(ratios[k])} for k in range(NUM_KEYPOINTS) if ratios[k]}
    for name, row in out.items():
        print(f'{name:16s} {row["median_m"]:7.3f} m  {row["median_torso"]:7.4f} torso  '
              f'(n={row["n"]})')
    print(f'torso length: median {statistics.median(torsos):.3f} m, '
          f'{min(torsos):.3f} to {max(torsos):.3f} m over {len(torsos)} frames')
    print('SURFACE_TO_JOINT = ' + repr([float(out.get(K(k).name.lower(), {}).get(
        'median_torso', 0.0)) for k in range(NUM_KEYPOINTS)]))
    return out


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    return (f'{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, '
            f'load average {load:.1f}')


def evaluate(frames: list[dict], source: str, correct: bool = True) -> dict:
    """Errors of the lifted joints against the truth, per group and distance bin."""
    rows = []   # (group, distance, error or inf when no position)
    per_joint = {k: [] for k in range(NUM_KEYPOINTS)}
    missed = 0
    for fr in frames:
        if source == 'truth':
            kp = np.concatenate([fr['truth2d'], np.ones((NUM_KEYPOINTS, 1))], axis=1)
        elif fr['model_kp'] is None:
            # Not found: depth cannot help there.
            missed += 1
            continue
        else:
            kp = fr['model_kp']
        cam = PinholeCamera.from_camera_info(*fr['size'], fr['K'].ravel(), 'plumb_bob', [])
        pos = lift_keypoints(kp[None], DepthImage.from_millimetres(fr['depth_mm']), cam,
                             MIN_SCORE, correct_surface=correct)
        dist = fr['distance']
        for group, joints in GROUPS.items():
            for k in joints:
                if not fr['visible'][k]:
                    continue
                err = float(np.linalg.norm(pos.points[0, k] - fr['truth3d'][k])) \
                    if pos.valid[0, k] else math.inf
                rows.append((group, dist, err))
                per_joint[int(k)].append(err)
    out = {'groups': {}, 'bins': {}, 'median_error_m': {}, 'frames_person_not_found': missed}
    for group in GROUPS:
        errs = [e for g, d, e in rows if g == group and d <= 4.0]
        out['groups'][group] = {
            'within_0.1m_to_4m': round(float(np.mean(np.array(errs) <= 0.1)), 3) if errs
            else None, 'n_to_4m': len(errs),
            'no_position': int(sum(1 for e in errs if math.isinf(e)))}
        out['bins'][group] = {}
        for lo, hi in zip(DIST_BINS[:-1], DIST_BINS[1:]):
            e = np.array([e for g, d, e in rows if g == group and lo <= d < hi])
            out['bins'][group][f'{lo:g}-{hi:.4g}'] = (
                round(float(np.mean(e <= 0.1)), 3) if e.size else None, int(e.size))
    all_errs = np.array([e for _, d, e in rows if d <= 6.01])
    out['all_within_0.1m_1.5_to_6m'] = round(float(np.mean(all_errs <= 0.1)), 3)
    for k, errs in per_joint.items():
        if errs:
            finite = [e for e in errs if math.isfinite(e)]
            out['median_error_m'][K(k).name.lower()] = (
                round(statistics.median(finite), 4) if finite else None, len(errs))
    return out


def time_lookup(frames: list[dict], persons: int = 6, repeat: int = 300) -> dict:
    """Median ms of the depth lookup of ``persons`` people in one frame, and the reference."""
    fr = next(f for f in frames if f['model_kp'] is not None)
    kp = np.stack([fr['model_kp']] * persons)
    # Six people side by side: the same keypoints shifted across the image.
    kp[:, :, 0] += (np.arange(persons) - persons // 2)[:, None] * 12.0
    cam = PinholeCamera.from_camera_info(*fr['size'], fr['K'].ravel(), 'plumb_bob', [])
    from pose_ros.depth.image import depth_from_fields
    data = fr['depth_mm'].tobytes()
    w, h = fr['size']
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        depth = depth_from_fields('16UC1', w, h, w * 2, data)
        lift_keypoints(kp, depth, cam, MIN_SCORE)
        times.append((time.perf_counter() - t0) * 1e3)
    ref = reference_ms()
    lookup = statistics.median(times)
    return {'persons': persons, 'lookup_ms': round(lookup, 3), 'reference_ms': round(ref, 2),
            'ratio_to_reference': round(lookup / ref, 4)}


def markdown(result: dict) -> str:
    lines = ['# Depth: 3D keypoints on rendered RGB-D frames', '',
             (f'Machine: {result["machine"]}; reference (512x512 float64 matrix product, '
              f'same run): {result["timing"]["reference_ms"]} ms.'), '',
             (f'{result["frames"]} frames, {result["bodies"]} bodies, 1.5 to 6 m; simulated '
              'sensor depth (16UC1). Within 0.1 m of the rig joint centre, up to 4 m '
              f"(Kinect's algorithm: {KINECT}; target: shoulders, elbows, hips 0.9, "
              'wrists 0.8):'), '',
             '| joints | true 2D | BlazePose 2D | BlazePose, no surface correction | target |',
             '|---|---|---|---|---|']
    for g in GROUPS:
        cells = [str(result[s]['groups'][g]['within_0.1m_to_4m'])
                 for s in ('truth', 'model', 'model_uncorrected')]
        lines.append(f'| {g} | ' + ' | '.join(cells) + f' | {TARGETS[g]} |')
    lines += ['', (f'BlazePose found no person in {result["model"]["frames_person_not_found"]} '
                   'frames; those are left out of its columns. A joint found but given no '
                   'position counts as a miss.')]
    lines += ['', 'By distance (fraction within 0.1 m, BlazePose 2D / true 2D; n):', '',
              '| joints | ' + ' | '.join(f'{lo:g}-{hi:.3g} m' for lo, hi in
                                          zip(DIST_BINS[:-1], DIST_BINS[1:])) + ' |',
              '|---|' + '---|' * (len(DIST_BINS) - 1)]
    for g in GROUPS:
        cells = []
        for b, (m, n) in result['model']['bins'][g].items():
            t = result['truth']['bins'][g][b][0]
            cells.append(f'{m} / {t} ({n})')
        lines.append(f'| {g} | ' + ' | '.join(cells) + ' |')
    lines += ['', 'Median 3D error per joint (m), BlazePose 2D / true 2D:', '']
    for k, (m, n) in result['model']['median_error_m'].items():
        lines.append(f'- {k}: {m} / {result["truth"]["median_error_m"][k][0]} (n={n})')
    t = result['timing']
    lines += ['', (f'Depth lookup for {t["persons"]} people: {t["lookup_ms"]} ms a frame '
                   f'({t["ratio_to_reference"]} x reference).'), '']
    return '\n'.join(lines)


def run_benchmark(args) -> int:
    seeds = SEEDS_BENCH[:args.bodies or (6 if args.quick else len(SEEDS_BENCH))]
    t0 = time.perf_counter()
    frames = list(render_frames(seeds, (1.5, 6.0), True, log=lambda m: print(m, flush=True)))
    for f in frames:
        del f['depth']
    result = {'machine': machine(), 'bodies': len(seeds), 'frames': len(frames),
              'truth': evaluate(frames, 'truth'), 'model': evaluate(frames, 'model'),
              'model_uncorrected': evaluate(frames, 'model', correct=False),
              'timing': time_lookup(frames), 'seconds': round(time.perf_counter() - t0, 1)}
    out_dir = HERE.parent / 'output' if args.quick else HERE / 'results'
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = 'depth_quick' if args.quick else 'depth'
    (out_dir / f'{stem}.json').write_text(json.dumps(result, indent=1))
    text = markdown(result)
    (out_dir / f'{stem}.md').write_text(text)
    print(text)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--offsets', action='store_true', help='measure the surface offsets')
    ap.add_argument('--bodies', type=int, default=None)
    ap.add_argument('--quick', action='store_true')
    args = ap.parse_args(argv)
    if args.offsets:
        args.bodies = args.bodies or len(SEEDS_OFFSETS)
        measure_offsets(args)
        return 0
    return run_benchmark(args)


if __name__ == '__main__':
    sys.exit(main())
