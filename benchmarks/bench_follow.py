"""Follow me in a simulated approach and retreat, measured with rendered people's real errors.

The robot's motion is simulated; what it sees is not. Bodies of ``recognition_scenes.py``
(1.1 to 2.0 m, every shape, clothes and room) are rendered with a sensor-like depth image
(``bench_depth.sensor_depth``) at 1.2 to 5.5 m and run through BlazePose (the default model)
and the depth lift, as pose_node runs them. Each simulated frame takes a rendered frame of
about the simulated distance (from the 6 nearest, at random) and moves that person along the
camera's rays to the exact simulated distance (pixels scaled about the image centre,
positions scaled along their rays), so the range the node measures carries the errors that
depth and the model really make at that distance. The full ``Teleop`` runs on them with the
default follow options and limits (gesture_node's defaults), keypoints at 15 Hz, 50 ms old.

Two scenes, each for many bodies:

* **approach**: the person stands 4 m away; the robot drives up to them.
* **retreat**: the person stands at the set distance, walks away at 0.4 m/s (a slow walk, within
  the default 0.5 m/s limit) for 6 s, and stands again; the robot follows.

Measured: the steady-state distance error (the last 5 s of each scene, median and 95th
percentile of |distance - follow_distance| over bodies and frames), the distance kept while
walking, the nearest the robot came, with depth and (for the apparent-size calibration, each
body calibrated once on its own rest pose) without.

    python benchmarks/bench_follow.py            # minutes
    python benchmarks/bench_follow.py --quick

Writes ``benchmarks/results/follow.{json,md}`` (``--quick``: ``output/follow_quick.*``).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
import statistics
import sys
import time

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'pose_ros'))
sys.path.insert(0, str(HERE))

from bench_depth import MIN_SCORE, machine, render_frames  # noqa: E402
from reference import reference_ms  # noqa: E402 - beside this script

from pose_ros.control import FollowOptions, Teleop, TeleopLimits, TeleopOptions  # noqa: E402
from pose_ros.control.follow_me import TORSO, body_length_px  # noqa: E402
from pose_ros.core.keypoints import Pose  # noqa: E402
from pose_ros.depth.camera import PinholeCamera  # noqa: E402
from pose_ros.depth.image import DepthImage  # noqa: E402
from pose_ros.depth.lift import lift_keypoints  # noqa: E402
from pose_ros.gestures.language import parse_gestures  # noqa: E402

SEEDS = range(7000, 7040)
RATE = 15.0
LATENCY_S = 0.05
STEADY_S = 5.0
# A slow walk, within the default speed limit (0.5 m/s): faster, the robot falls behind.
WALK_SPEED = 0.4
# The follow controller alone: engaged and following from the first frames, never released
# by a gesture (the gestures are measured by bench_recognition).
GESTURES = """
engage: always
disengage: never
follow: also
gestures:
  always:
    hold: 0.1
    when: {feature: 'up(mid_hip, mid_shoulder)', above: 0.5}
  also:
    hold: 0.1
    when: {feature: 'up(mid_hip, mid_shoulder)', above: 0.4}
  never:
    when: {feature: 'up(mid_hip, mid_shoulder)', below: -5.0}
"""


def true_range(p3: np.ndarray) -> float:
    c = p3[TORSO].mean(axis=0)
    return float(math.hypot(c[0], c[2]))


def prepare(frames: list[dict]) -> list[dict]:
    """Keep the frames where the model found the person; lift them with depth once."""
    out = []
    for fr in frames:
        if fr['model_kp'] is None:
            continue
        w, h = fr['size']
        cam = PinholeCamera.from_camera_info(w, h, fr['K'].ravel(), 'plumb_bob', [])
        pos = lift_keypoints(fr['model_kp'][None], DepthImage.from_millimetres(fr['depth_mm']),
                             cam, MIN_SCORE)
        positions = np.where(pos.valid[0][:, None], pos.points[0], np.nan)
        out.append({'seed': fr['seed'], 'pose': fr['pose'], 'kp': fr['model_kp'],
                    'positions': positions, 'range': true_range(fr['truth3d']),
                    'size': (w, h), 'centre': (float(fr['K'][0, 2]), float(fr['K'][1, 2]))})
    return out


def moved(fr: dict, distance: float, depth: bool) -> Pose:
    """Move the frame's person along the camera's rays to ``distance``."""
    s = fr['range'] / distance
    kp = fr['kp'].astype(np.float64).copy()
    cx, cy = fr['centre']
    kp[:, 0] = cx + (kp[:, 0] - cx) * s
    kp[:, 1] = cy + (kp[:, 1] - cy) * s
    positions = fr['positions'] / s if depth else None
    box = (float(kp[:, 0].min()), float(kp[:, 1].min()), float(kp[:, 0].max()),
           float(kp[:, 1].max()))
    return Pose(kp.astype(np.float32), 0.9, box, 1, positions=positions)


def simulate(pool: list[dict], person, seconds: float, start: float, depth: bool,
             calibration: float, rng: np.random.Generator) -> dict:
    """Run the teleop; ``person(t)`` is where the person stands (m from the robot's start)."""
    options = TeleopOptions(follow=FollowOptions(calibration=calibration),
                            limits=TeleopLimits())
    teleop = Teleop(parse_gestures(GESTURES), options)
    ranges = np.array([f['range'] for f in pool])
    robot, speed, t0 = 0.0, 0.0, 1000.0
    rows = []
    for i in range(int(seconds * RATE)):
        t = i / RATE
        distance = person(t) - robot + start
        near = np.argsort(np.abs(ranges - distance))[:6]
        fr = pool[int(rng.choice(near))]
        width = fr['size'][0]
        teleop.update([moved(fr, distance, depth)], t0 + t, t0 + t + LATENCY_S, width)
        cmd = teleop.tick(t0 + t + LATENCY_S)
        speed = 0.0 if cmd is None else cmd.linear_x
        rows.append((t, distance, speed, teleop.state.following))
        robot += speed / RATE
    return {'rows': rows, 'notices': teleop.drain_notices()}


def scenes(distance: float) -> dict:
    return {
        'approach': (lambda t: 0.0, 20.0, 4.0),
        # Starts at the set distance, walks away for 6 s, then stands.
        'retreat': (lambda t: WALK_SPEED * min(max(t - 2.0, 0.0), 6.0), 22.0, distance),
    }


def run(frames: list[dict], depth: bool, rng: np.random.Generator) -> dict:
    follow = FollowOptions()
    bodies = sorted({f['seed'] for f in frames})
    out = {}
    for name, (person, seconds, start) in scenes(follow.distance).items():
        steady, walking, nearest, never = [], [], [], 0
        for seed in bodies:
            own = [f for f in frames if f['seed'] == seed]
            calibration = 0.0
            if not depth:
                rest = next((f for f in own if f['pose'] == 'rest'), None)
                length = None if rest is None else body_length_px(
                    Pose(rest['kp'], 0.9, (0, 0, 1, 1)), MIN_SCORE)
                if length is None:
                    continue
                calibration = rest['range'] * length
            # With depth, any body near the distance (depth noise depends on distance);
            # by size, this body only (its calibration is its own).
            pool = frames if depth else own
            res = simulate(pool, person, seconds, start, depth, calibration, rng)
            rows = res['rows']
            if not any(r[3] for r in rows):
                never += 1
                continue
            steady += [abs(d - follow.distance) for t, d, _, _ in rows
                       if t >= seconds - STEADY_S]
            nearest.append(min(d for _, d, _, _ in rows))
            if name == 'retreat':
                walking += [d for t, d, _, _ in rows if 5.0 <= t <= 8.0]
        out[name] = {
            'bodies': len(bodies), 'never_followed': never,
            'steady_error_median_m': round(statistics.median(steady), 3) if steady else None,
            'steady_error_p95_m': round(float(np.percentile(steady, 95)), 3) if steady else None,
            'nearest_m': round(min(nearest), 3) if nearest else None,
        }
        if walking:
            out[name]['distance_while_walking_median_m'] = round(statistics.median(walking), 3)
    return out


def markdown(result: dict) -> str:
    lines = [(f'# Follow me ({result["bodies"]} rendered bodies, {result["frames"]} frames '
              f'found by BlazePose, 1.2 to 5.5 m)'), '',
             (f'Machine: {result["machine"]}. Set distance {result["follow_distance"]} m, '
              f'min_distance {result["min_distance"]} m.'), '',
             (f'| distance from | scene | steady error median (m) | p95 (m) | kept while walking '
              f'{WALK_SPEED} m/s (m) | nearest (m) | never followed |'),
             '|---|---|---|---|---|---|---|']
    for source in ('depth', 'size'):
        for scene, r in result[source].items():
            lines.append(f'| {source} | {scene} | {r["steady_error_median_m"]} | '
                         f'{r["steady_error_p95_m"]} | '
                         f'{r.get("distance_while_walking_median_m", "")} | {r["nearest_m"]} | '
                         f'{r["never_followed"]} of {r["bodies"]} |')
    lines += ['', (f'Rendering and the model took {result["seconds"]} s '
                   f'({result["seconds_over_reference"]:.0f} x the reference, '
                   f'{result["reference_ms"]:.2f} ms).')]
    return '\n'.join(lines) + '\n'


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bodies', type=int, default=None)
    ap.add_argument('--quick', action='store_true')
    args = ap.parse_args(argv)
    seeds = SEEDS[:args.bodies or (6 if args.quick else len(SEEDS))]
    ref = reference_ms()
    t0 = time.perf_counter()
    frames = prepare(list(render_frames(seeds, (1.2, 5.5), True,
                                        log=lambda m: print(m, flush=True))))
    seconds = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    follow = FollowOptions()
    result = {'machine': machine(), 'bodies': len(seeds), 'frames': len(frames),
              'follow_distance': follow.distance, 'min_distance': follow.min_distance,
              'depth': run(frames, True, rng), 'size': run(frames, False, rng),
              'seconds': round(seconds, 1), 'reference_ms': ref,
              'seconds_over_reference': seconds * 1e3 / ref}
    out_dir = HERE.parent / 'output' if args.quick else HERE / 'results'
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = 'follow_quick' if args.quick else 'follow'
    (out_dir / f'{stem}.json').write_text(json.dumps(result, indent=1))
    text = markdown(result)
    (out_dir / f'{stem}.md').write_text(text)
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
