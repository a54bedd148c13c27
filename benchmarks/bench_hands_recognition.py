"""Hand gestures measured on rendered people at 1 to 4 m, through the real models and matcher.

Clips (``hand_scenes.py``: the body benchmark's people, rooms, light and image quality, at 1
to 4 m, each clip at 640x480 and at 1280x720) of people making the hand shapes of
``config/gestures_hands.yaml`` (thumbs-up engage, raised fist, pointing sideways, open
palm stop; a pinch / "OK", a relaxed hand and the back of an open hand as negatives) and of
everyday movement with everyday hands. Every frame goes through BlazePose full as pose_node
runs it (``PoseEstimator``, tracking and One Euro smoothing on) and ``HandEstimator`` as
pose_node runs it with hands on (hands from the tracked body pose, hand regions tracked
from frame to frame); the hands are attached to the pose (``Pose.hands``, ``HandPose``:
side from ``Hand.handedness``, score, handedness_score) and the gestures go through the
full ``Teleop`` state machine and through ``GestureRecognizer`` as ``bench_recognition.py``
does. The renderer's true body and hand points go through the same (a perfect model).

Per clip the keypoints, hands, truth and per-frame times are cached
(``~/.cache/pose_ros/bench-hands-recognition``, keyed by a hash of the scene, the rendering
code and the models), so an interrupted run resumes and other gesture definitions are
evaluated in seconds (``--evaluate-only --gestures FILE``).

Cost: per frame, the body model's bare landmark ``invoke()``, ``HandEstimator.estimate``
for the one person, and for three people: the frame beside the same clip's frames 5 and 10
earlier, side by side in one image (three people, each with their own body pose, shifted),
through a second ``HandEstimator`` tracking all three. The reference (``reference.py``) is
measured beside each clip.

    nice -n 19 python benchmarks/bench_hands_recognition.py --quick           # smoke run
    nohup nice -n 19 python benchmarks/bench_hands_recognition.py &   # full run, ~8 h

The full run (80 sessions and 16 everyday clips of 40 s, each at both resolutions) is
estimated at about 8 hours on one worker of the shared 2-core machine, from the smoke
run's 0.25 s (640x480) and 0.43 s (1280x720) a frame all included; ``--budget-minutes``
stops it early and a later run resumes from the cache.

``--hands-model hands_lite`` measures the other hand model (its clips are cached apart);
the report splits the sessions in two halves by seed, to show how much the figures move.

Writes ``benchmarks/results/hands_recognition.{json,md}`` (``--quick``:
``output/hands_recognition_quick.*``).
"""

from __future__ import annotations

import argparse
from collections import deque
import functools
import hashlib
import json
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

from bench_recognition import (  # noqa: E402 - the body benchmark's state machine runs
    LATENCY_S,
    _first,
    _index,
    _started,
    load_clip,
    render_clips,
    run_recognizer,
    run_teleop,
)
from hand_scenes import (  # noqa: E402
    HAND_GESTURES,
    NEGATIVES,
    RESOLUTIONS,
    hand_everyday_plan,
    hand_session_plan,
)
from recognition_scenes import FPS, ClipPlan  # noqa: E402
from reference import reference_ms  # noqa: E402 - beside this script

from pose_ros.core.hand import Handedness, HandLandmark, HandPose  # noqa: E402
from pose_ros.core.keypoints import Pose  # noqa: E402
from pose_ros.gestures.language import load_gestures  # noqa: E402
from pose_ros.hands.estimator import HandSource  # noqa: E402
from pose_ros.models.registry import DEFAULT_HAND_MODEL, REGISTRY  # noqa: E402

BENCH_VERSION = '2'
GESTURES_FILE = HERE.parent / 'pose_ros' / 'config' / 'gestures_hands.yaml'
TRUTH_SCORE = 0.9
SIDES = ('left', 'right')                     # slot 0, 1 = Handedness.LEFT, RIGHT
SOURCES = tuple(s.value for s in HandSource)  # hand_source: index here, -1 none
DIST_BINS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.01)
REFERENCE_EVERY = 40                           # frames between reference measurements
THREE_LAG = 5                                  # frames between the three people's poses
# "Works" in a distance bin: pooled recall (GestureRecognizer) of the hand gestures made
# with the hand in view at least this, in that bin and every nearer one.
WORKS_RECALL = 0.5
MIDDLE = (HandLandmark.WRIST, HandLandmark.MIDDLE_MCP, HandLandmark.MIDDLE_PIP,
          HandLandmark.MIDDLE_DIP, HandLandmark.MIDDLE_TIP)
__all__ = ['main', 'hand_size_px']


def model_paths(hands_model: str = DEFAULT_HAND_MODEL) -> list[Path]:
    root = Path(os.environ.get('POSE_ROS_MODELS', '~/.cache/pose_ros/models')).expanduser()
    return [root / n for n in ('pose_landmark_full.tflite', 'pose_detection.tflite',
                               *(f.filename for f in REGISTRY[hands_model].files))]


def cache_dir() -> Path:
    env = os.environ.get('POSE_ROS_BENCH_CACHE')
    base = Path(env).expanduser() if env else Path('~/.cache/pose_ros').expanduser()
    return base / 'bench-hands-recognition'


def clip_key(plan: ClipPlan, model_sha: str) -> str:
    from pose_ros.rendering import content_hash, parse_scene
    scene = parse_scene(plan.text, f'{plan.name}.scene')
    h = hashlib.sha256()
    for part in (BENCH_VERSION, content_hash(scene), model_sha, 'smoothing=1.0,4.0',
                 *(p.read_text() for p in sorted((HERE.parent / 'pose_ros' / 'pose_ros' /
                                                  'hands').glob('*.py')))):
        h.update(part.encode())
    return h.hexdigest()[:16]


def hand_size_px(points_3d: np.ndarray, focal_px: float) -> float:
    """Return a hand's length in pixels: wrist to middle fingertip along the finger, at the wrist.

    The 3D length along the middle finger's bones (wrist, MCP, PIP, DIP, tip) does not
    change when the fingers curl, so a fist's error is measured against the same hand size
    as an open palm's (the image distance wrist to fingertip shrinks to a third in a fist).
    """
    chain = points_3d[list(MIDDLE)]
    length = float(np.linalg.norm(np.diff(chain, axis=0), axis=1).sum())
    return length * focal_px / float(points_3d[0, 2])


# -- rendering and estimation (worker processes) -----------------------------------------

_MODELS: dict = {}


def _models(hands_model: str):
    """Return (body estimator, hand estimator, hand estimator for three people)."""
    if hands_model not in _MODELS:
        from pose_ros.hands import HandEstimator, HandEstimatorOptions
        from pose_ros.pose.estimator import PoseEstimator, PoseEstimatorOptions
        body = PoseEstimator(PoseEstimatorOptions(
            model_path=str(model_paths()[0]), num_threads=2, smoothing=True,
            smoothing_min_cutoff=1.0, smoothing_beta=4.0))
        options = HandEstimatorOptions(model=hands_model, num_threads=2)
        _MODELS[hands_model] = (body, HandEstimator(options), HandEstimator(options))
    return _MODELS[hands_model]


def _three(frames: deque, w: int) -> tuple[np.ndarray, list[Pose]]:
    """Return three frames side by side and their people's poses, shifted into place."""
    image = np.hstack([f[0] for f in frames])
    poses = []
    for k, (_, found) in enumerate(frames):
        for p in found[:1]:
            kp = p.keypoints.copy()
            kp[:, 0] += k * w
            x0, y0, x1, y1 = p.box
            poses.append(Pose(kp, p.score, (x0 + k * w, y0, x1 + k * w, y1), 101 + k))
    return image, poses


def process_clip(plan: ClipPlan, path: Path, hands_model: str = DEFAULT_HAND_MODEL) -> dict:
    """Render ``plan``, run the models on every frame, store hands, truth and times."""
    from pose_ros.rendering import Film, parse_scene
    scene = parse_scene(plan.text, f'{plan.name}.scene')
    body, hands, hands3 = _models(hands_model)
    body.reset()
    hands.reset()
    hands3.reset()
    n = scene.frame_count
    w = scene.camera.width
    focal = float(scene.camera.intrinsics[0, 0])
    out = {'time': np.zeros(n), 'kp': np.full((n, 17, 3), np.nan, np.float32),
           'score': np.full(n, np.nan, np.float32), 'box': np.full((n, 4), np.nan, np.float32),
           'track': np.full(n, -1, np.int32), 'persons': np.zeros(n, np.int8),
           'truth': np.zeros((n, 17, 2), np.float32), 'in_image': np.zeros((n, 17), bool),
           'hand_kp': np.full((n, 2, 21, 3), np.nan, np.float32),
           'hand_score': np.zeros((n, 2), np.float32), 'hand_hs': np.zeros((n, 2), np.float32),
           'hand_source': np.full((n, 2), -1, np.int8),
           'hand_truth': np.zeros((n, 2, 21, 2), np.float32),
           'hand_in_image': np.zeros((n, 2, 21), bool), 'hand_visible': np.zeros((n, 2, 21), bool),
           'hand_size': np.zeros((n, 2), np.float32),
           'render_ms': np.zeros(n, np.float32), 'estimate_ms': np.zeros(n, np.float32),
           'invoke_ms': np.full(n, np.nan, np.float32), 'hands_ms': np.zeros(n, np.float32),
           'landmark_runs': np.zeros(n, np.int8), 'recrop_runs': np.zeros(n, np.int8),
           'palm_runs': np.zeros(n, np.int8),
           'hands3_ms': np.full(n, np.nan, np.float32), 'persons3': np.zeros(n, np.int8),
           'hands3_found': np.zeros(n, np.int8)}
    recent: deque = deque(maxlen=2 * THREE_LAG + 1)
    # The yardstick, measured through the clip (the machine's load changes under it).
    refs = [reference_ms(3)]
    with Film(scene) as film:
        for i in range(n):
            t0 = time.perf_counter()
            f = film.frame(i)
            t1 = time.perf_counter()
            poses = body.estimate(f.image, f.time).poses
            t2 = time.perf_counter()
            found = hands.estimate(f.image, poses[:1], f.time)
            t3 = time.perf_counter()
            out['time'][i] = f.time
            out['render_ms'][i] = (t1 - t0) * 1e3
            out['estimate_ms'][i] = (t2 - t1) * 1e3
            out['hands_ms'][i] = (t3 - t2) * 1e3
            out['landmark_runs'][i] = hands.landmark_runs
            out['recrop_runs'][i] = hands.recrop_runs
            out['palm_runs'][i] = hands.palm_runs
            out['persons'][i] = len(poses)
            if poses:
                p = poses[0]
                out['kp'][i], out['score'][i], out['box'][i] = p.keypoints, p.score, p.box
                out['track'][i] = p.track_id
                out['invoke_ms'][i] = body._adapter.landmark.last_invoke_s * 1e3
            # The hands of the one person (palms found outside them belong to nobody).
            for hand in sorted(found, key=lambda h: h.score):
                if hand.person == 0:
                    s = int(hand.handedness)
                    out['hand_kp'][i, s] = hand.keypoints
                    out['hand_score'][i, s] = hand.score
                    out['hand_hs'][i, s] = hand.handedness_score
                    out['hand_source'][i, s] = SOURCES.index(hand.source.value)
            out['truth'][i] = f.truth.points_2d
            out['in_image'][i] = f.truth.in_image
            for s, side in enumerate(SIDES):
                ht = f.truth.hands[side]
                out['hand_truth'][i, s] = ht.points_2d
                out['hand_in_image'][i, s] = ht.in_image
                out['hand_visible'][i, s] = ht.visible
                out['hand_size'][i, s] = hand_size_px(ht.points_3d, focal)
            if i % REFERENCE_EVERY == REFERENCE_EVERY - 1:
                refs.append(reference_ms(3))
            recent.append((f.image, poses))
            if len(recent) == recent.maxlen:
                image, three = _three(deque(list(recent)[::THREE_LAG]), w)
                t4 = time.perf_counter()
                got = hands3.estimate(image, three, f.time)
                out['hands3_ms'][i] = (time.perf_counter() - t4) * 1e3
                out['persons3'][i] = len(three)
                out['hands3_found'][i] = sum(h.person >= 0 for h in got)
    meta = plan.to_json()
    meta.update(width=w, height=scene.camera.height_px, fps=scene.effects.fps, frames=n,
                reference_ms=statistics.median(refs + [reference_ms(3)]))
    tmp = path.with_suffix('.part.npz')
    np.savez_compressed(tmp, meta=json.dumps(meta), **out)
    os.replace(tmp, path)
    return {'name': plan.name, 'frames': n, 'render_ms': float(np.median(out['render_ms'])),
            'hands_ms': float(np.median(out['hands_ms'])), 'reference_ms': meta['reference_ms']}


def _worker(args: tuple[ClipPlan, str], hands_model: str = DEFAULT_HAND_MODEL) -> dict:
    plan, path = args
    return process_clip(plan, Path(path), hands_model)


# -- evaluation ------------------------------------------------------------------------

def _hand_poses(kp: np.ndarray, score: np.ndarray, hs: np.ndarray) -> tuple[HandPose, ...]:
    return tuple(HandPose(Handedness(s), kp[s], float(score[s]), float(hs[s]))
                 for s in range(2) if np.isfinite(kp[s]).all())


def estimated_poses(clip: dict) -> list[list[Pose]]:
    """Return each frame's model pose with the hands found attached, as pose_node will."""
    frames = []
    for i in range(len(clip['time'])):
        if clip['persons'][i] == 0:
            frames.append([])
            continue
        frames.append([Pose(clip['kp'][i], float(clip['score'][i]),
                            tuple(float(x) for x in clip['box'][i]), int(clip['track'][i]),
                            hands=_hand_poses(clip['hand_kp'][i], clip['hand_score'][i],
                                              clip['hand_hs'][i]))])
    return frames


def truth_poses(clip: dict) -> list[list[Pose]]:
    """Return a perfect model's poses: true body and hand points, those in the image."""
    frames = []
    for i in range(len(clip['time'])):
        inside = clip['in_image'][i]
        if inside.sum() < 5:
            frames.append([])
            continue
        kp = np.zeros((17, 3), np.float32)
        kp[:, :2] = clip['truth'][i]
        kp[:, 2] = np.where(inside, TRUTH_SCORE, 0.0)
        hands = []
        for s in range(2):
            hin = clip['hand_in_image'][i, s]
            if hin.any():
                hk = np.zeros((21, 3), np.float32)
                hk[:, :2] = clip['hand_truth'][i, s]
                hk[:, 2] = np.where(hin, TRUTH_SCORE, 0.0)
                hands.append(HandPose(Handedness(s), hk, TRUTH_SCORE, TRUTH_SCORE))
        frames.append([Pose(kp, TRUTH_SCORE, Pose(kp).box_from_keypoints(0.5), 1,
                            hands=tuple(hands))])
    return frames


def _window_frames(clip: dict, t0: float, t1: float) -> slice:
    return slice(_index(clip['time'], t0), _index(clip['time'], t1) + 1)


def _false(started: list, windows: list) -> list[dict]:
    """Gestures starting outside every window in which they are made."""
    out = []
    for name, t in started:
        if any(n == name and a - 1e-6 <= t <= b + 1e-6 for n, a, b in windows):
            continue
        where = [n for n, a, b in windows if a - 1e-6 <= t <= b + 1e-6]
        out.append({'gesture': name, 'time': round(t, 3), 'during': where[0] if where else None})
    return out


def evaluate_clip(clip: dict, gestures) -> dict:
    meta = clip['meta']
    v = meta['variation']
    times = clip['time']
    est = estimated_poses(clip)
    truth = truth_poses(clip)
    runs = {'teleop': run_teleop(gestures, times, est),
            'truth': run_teleop(gestures, times, truth)}
    started = {k: _started(r['events']) for k, r in runs.items()}
    started['recognizer'] = _started(run_recognizer(gestures, times, est))
    started['truth_recognizer'] = _started(run_recognizer(gestures, times, truth))
    res = f'{meta["width"]}x{meta["height"]}'
    sides = v['extra']['sides']
    instances = []
    for name, enter, hold_start, hold_end, leave_end in meta['performed']:
        s = 0 if sides[name] == 'l' else 1
        sl = _window_frames(clip, hold_start, hold_end)
        in_view = clip['hand_in_image'][sl, s].all(axis=1)
        row = {'clip': meta['name'], 'gesture': name, 'resolution': res,
               'distance': v['distance'], 'yaw': abs(v['yaw']), 'stature': v['stature'],
               'side': sides[name], 'hand_in_view': bool(in_view.mean() >= 0.9),
               'hand_found': float(np.isfinite(clip['hand_kp'][sl, s, 0, 0]).mean()),
               'body_found': float((clip['persons'][sl] > 0).mean()),
               'hold_start': hold_start}
        for key in started:
            t, count = _first(started[key], name, enter, leave_end)
            row[key] = None if t is None else round(t - hold_start, 4)
            row[f'{key}_restarts'] = max(0, count - 1)
        instances.append(row)
    windows = [(p[0], p[1], p[4]) for p in meta['performed']]
    negatives = [(p[0], p[1], p[4]) for p in v['extra']['negatives']]
    false = {k: _false(s, windows + negatives) for k, s in started.items()}
    result = {'name': meta['name'], 'kind': v['kind'], 'resolution': res,
              'distance': v['distance'], 'duration': float(times[-1] + 1.0 / meta['fps']),
              'instances': instances, 'false': false, 'keypoints': keypoint_errors(clip),
              'timing': timing_of(clip)}
    if v['kind'] == 'everyday':
        start = _index(times, meta['everyday_from'])
        result['everyday_seconds'] = float(len(times) - start) / meta['fps']
        fresh = {k: run_teleop(gestures, times, f, start) for k, f in
                 (('teleop', est), ('truth', truth))}
        result['everyday'] = {
            k: {'events': [(n, round(t, 2)) for n, t in started[src]
                           if t >= meta['everyday_from']],
                'fresh_engages': [round(t, 2) for n, t in _started(fresh[k]['events'])
                                  if n == gestures.engage] if k in fresh else None}
            for k, src in (('teleop', 'teleop'), ('truth', 'truth'),
                           ('recognizer', 'recognizer'))}
    return result


def keypoint_errors(clip: dict) -> dict:
    """Per hand found: its points' errors in hand lengths, those whose truth is in the image."""
    found = np.isfinite(clip['hand_kp'][:, :, 0, 0])
    err = np.linalg.norm(clip['hand_kp'][..., :2] - clip['hand_truth'], axis=3)
    size = clip['hand_size'][..., None]
    rel = err / np.maximum(size, 1e-6)
    ok = found[..., None] & clip['hand_in_image']
    # Hands whose truth is wholly in the image, and how many of them were found.
    whole = clip['hand_in_image'].all(axis=2)
    return {'errors': rel[ok].round(4).tolist(), 'visible_errors':
            rel[ok & clip['hand_visible']].round(4).tolist(),
            'hand_px': float(np.median(clip['hand_size'][whole])) if whole.any() else None,
            'found_in_view': [int((found & whole).sum()), int(whole.sum())],
            'found_out_of_view': int((found & ~whole).sum())}


def timing_of(clip: dict) -> dict:
    def med(key, mask=None):
        a = clip[key] if mask is None else clip[key][mask]
        a = a[np.isfinite(a)]
        return float(np.median(a)) if a.size else None
    with_person = clip['persons'] > 0
    three = clip['persons3'] == 3
    return {'reference_ms': clip['meta'].get('reference_ms'),
            'render_ms': med('render_ms'), 'estimate_ms': med('estimate_ms', with_person),
            'invoke_ms': med('invoke_ms', with_person), 'hands_ms': med('hands_ms', with_person),
            'hands3_ms': med('hands3_ms', three), 'frames_three': int(three.sum()),
            'landmark_runs': float(np.mean(clip['landmark_runs'][with_person]))
            if with_person.any() else None,
            'recrop_runs': float(np.mean(clip['recrop_runs'][with_person]))
            if with_person.any() and 'recrop_runs' in clip else None,
            'palm_frames': int((clip['palm_runs'] > 0).sum()),
            'hands_found': float(np.isfinite(clip['hand_kp'][with_person, :, 0, 0]).sum(axis=1)
                                 .mean()) if with_person.any() else None,
            'hands3_found': float(np.mean(clip['hands3_found'][three])) if three.any()
            else None}


# -- report ------------------------------------------------------------------------------

def _pct(a: int, b: int) -> str:
    return f'{100.0 * a / b:.0f} %' if b else '-'


def _q(values, q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def gesture_rows(instances: list[dict], holds: dict[str, float]) -> list[dict]:
    rows = []
    for g in HAND_GESTURES:
        sel = [r for r in instances if r['gesture'] == g]
        lat = [r['recognizer'] for r in sel if r['recognizer'] is not None]
        rows.append({
            'gesture': g, 'made': len(sel), 'hand_in_view': sum(r['hand_in_view'] for r in sel),
            'recognised': len(lat),
            'within': sum(x <= holds[g] + 0.3 + 1e-6 for x in lat),
            'median_s': _q(lat, 50), 'teleop': sum(r['teleop'] is not None for r in sel),
            'truth': sum(r['truth_recognizer'] is not None for r in sel),
            'hand_found': float(np.mean([r['hand_found'] for r in sel])) if sel else None})
    return rows


def distance_table(instances: list[dict]) -> list[dict]:
    """Recall by distance bin (GestureRecognizer), instances with the hand in view."""
    rows = []
    for lo, hi in zip(DIST_BINS[:-1], DIST_BINS[1:]):
        sel = [r for r in instances if lo <= r['distance'] < hi and r['hand_in_view']]
        per = {g: [sum(r['recognizer'] is not None for r in sel if r['gesture'] == g),
                   sum(1 for r in sel if r['gesture'] == g)] for g in HAND_GESTURES}
        rows.append({'bin': [lo, round(min(hi, 4.0), 2)], 'per_gesture': per,
                     'pooled': [sum(a for a, _ in per.values()), sum(b for _, b in per.values())],
                     'truth': [sum(r['truth_recognizer'] is not None for r in sel), len(sel)],
                     'hand_found': float(np.mean([r['hand_found'] for r in sel])) if sel
                     else None})
    return rows


def halves(instances: list[dict], holds: dict[str, float]) -> dict:
    """Per-gesture rows for the first and the second half of the sessions, by seed.

    Two independent samples of people, rooms and distances (each half of a run of 12 or
    more seeds covers every distance stratum): where their recall differs a lot, the
    pooled figure is not yet to be trusted.
    """
    seeds = sorted({_seed(r['clip']) for r in instances})
    cut = seeds[len(seeds) // 2] if seeds else 0
    return {'first': gesture_rows([r for r in instances if _seed(r['clip']) < cut], holds),
            'second': gesture_rows([r for r in instances if _seed(r['clip']) >= cut], holds),
            'cut': cut}


def _seed(clip: str) -> int:
    return int(clip.split('-')[-2])


def works_up_to(rows: list[dict], gesture: str | None = None) -> float | None:
    """Return the far edge of the last bin, nearest first, with recall >= WORKS_RECALL.

    Pooled over the hand gestures, or of ``gesture`` alone; bins without one are skipped.
    """
    edge = None
    for r in rows:
        a, b = r['pooled'] if gesture is None else r['per_gesture'][gesture]
        if not b:
            continue
        if a / b < WORKS_RECALL:
            break
        edge = r['bin'][1]
    return edge


def summarise(results: list[dict], gestures, run: dict) -> dict:
    holds = {g.name: g.hold_s for g in gestures.gestures}
    out = {'machine': run['machine'], 'run': run, 'fps': FPS, 'gestures_file': run['gestures'],
           'by_resolution': {}}
    for w, h in RESOLUTIONS:
        res = f'{w}x{h}'
        rs = [r for r in results if r['resolution'] == res]
        if not rs:
            continue
        inst = [i for r in rs for i in r['instances']]
        sessions = [r for r in rs if r['kind'] == 'session']
        every = [r for r in rs if r['kind'] == 'everyday']
        false = {}
        for key in ('recognizer', 'teleop', 'truth_recognizer'):
            fs = [f for r in sessions for f in r['false'][key]]
            false[key] = {'total': len(fs),
                          'during_negative': {n: sum(1 for f in fs if f['during'] == n)
                                              for n in NEGATIVES},
                          'per_gesture': {g: sum(1 for f in fs if f['gesture'] == g)
                                          for g in HAND_GESTURES}}
        ev = {'minutes': sum(r['everyday_seconds'] for r in every) / 60}
        for key in ('recognizer', 'teleop', 'truth'):
            evs = [e for r in every for e in r['everyday'][key]['events']]
            ev[key] = {'events': len(evs), 'per_gesture': {
                g: sum(1 for n, _ in evs if n == g) for g in HAND_GESTURES},
                'which': [(r['name'], *e) for r in every for e in r['everyday'][key]['events']]}
            if key != 'recognizer':
                ev[key]['fresh_engages'] = sum(len(r['everyday'][key]['fresh_engages'])
                                               for r in every)
        errors = [e for r in rs for e in r['keypoints']['errors']]
        visible = [e for r in rs for e in r['keypoints']['visible_errors']]
        by_dist = []
        for lo, hi in zip(DIST_BINS[:-1], DIST_BINS[1:]):
            sel = [r for r in rs if lo <= r['distance'] < hi]
            e = [x for r in sel for x in r['keypoints']['errors']]
            fv = [sum(r['keypoints']['found_in_view'][k] for r in sel) for k in (0, 1)]
            px = [r['keypoints']['hand_px'] for r in sel if r['keypoints']['hand_px']]
            by_dist.append({'bin': [lo, round(min(hi, 4.0), 2)], 'median': _q(e, 50),
                            'p95': _q(e, 95), 'n': len(e), 'found_in_view': fv,
                            'hand_px': _q(px, 50)})
        dist = distance_table(inst)
        t = [r['timing'] for r in rs]

        def med(key, rows=t):
            vals = [x[key] for x in rows if x[key] is not None]
            return statistics.median(vals) if vals else None

        def body_and_hands(rows):
            vals = [x['estimate_ms'] + x['hands_ms'] for x in rows
                    if x['estimate_ms'] is not None]
            return statistics.median(vals) if vals else None

        def ratio(a, b, rows=t):
            vals = [x[a] / x[b] for x in rows if x[a] is not None and x[b]]
            return statistics.median(vals) if vals else None
        out['by_resolution'][res] = {
            'clips': {'sessions': len(sessions), 'everyday': len(every)},
            'session_minutes': sum(r['duration'] for r in sessions) / 60,
            'per_gesture': gesture_rows(inst, holds),
            'halves': halves([i for r in sessions for i in r['instances']], holds),
            'false_sessions': false, 'everyday': ev,
            'keypoint_error': {'median': _q(errors, 50), 'p95': _q(errors, 95),
                               'n': len(errors), 'visible_median': _q(visible, 50),
                               'visible_p95': _q(visible, 95), 'by_distance': by_dist},
            'distance': dist, 'works_up_to_m': works_up_to(dist),
            'works_up_to_m_by_gesture': {g: works_up_to(dist, g) for g in HAND_GESTURES},
            'timing': {k: med(k) for k in ('reference_ms', 'render_ms', 'estimate_ms',
                                           'invoke_ms', 'hands_ms', 'hands3_ms',
                                           'landmark_runs', 'recrop_runs', 'hands_found',
                                           'hands3_found')}
            | {'hands_over_invoke': ratio('hands_ms', 'invoke_ms'),
               'hands3_over_invoke': ratio('hands3_ms', 'invoke_ms'),
               'hands_over_reference': ratio('hands_ms', 'reference_ms'),
               'hands3_over_reference': ratio('hands3_ms', 'reference_ms'),
               'invoke_over_reference': ratio('invoke_ms', 'reference_ms'),
               'body_and_hands_ms': body_and_hands(t),
               'frames_three': sum(x['frames_three'] for x in t),
               'palm_frames': sum(x['palm_frames'] for x in t)},
            'instances': inst,
        }
    return out


def _f(x, fmt='.2f') -> str:
    return '-' if x is None else format(x, fmt)


def markdown(s: dict) -> str:
    run = s['run']
    lines = ['# Hand gestures, measured on rendered people', '',
             ('Smoke run (`--quick`): a few clips; no figure here means anything.'
              if run['quick'] else ''), '',
             (f'Machine: {s["machine"]}. BlazePose full through `PoseEstimator` (tracking and '
              'One Euro smoothing on, as pose_node), hands through `HandEstimator` (default '
              f'options, `{run.get("hands_model", DEFAULT_HAND_MODEL)}`: from the tracked body '
              'pose, regions tracked), '
              f'attached as `Pose.hands`; gestures `{Path(s["gestures_file"]).name}` through '
              f'`GestureRecognizer` and the full `Teleop`. Clips at {s["fps"]:g} frames/s, '
              f'people 1 to 4 m away, turned up to 30 degrees. {run["wall_minutes"]:.0f} min, '
              f'{run["rendered_this_run"]} clips rendered this run, reference '
              f'{run["reference_ms"]:.2f} ms.'), '']
    for res, r in s['by_resolution'].items():
        c = r['clips']
        lines += [f'## {res}', '',
                  (f'{c["sessions"]} hand sessions ({r["session_minutes"]:.1f} min), '
                   f'{c["everyday"]} everyday clips ({r["everyday"]["minutes"]:.1f} min).'), '',
                  ('| gesture | made | hand in view | recognised | within hold + 0.3 s | '
                   'hold start to STARTED, median | Teleop (needs the engage) | true keypoints '
                   '| hand found in hold frames | false events in sessions |'),
                  '|---|---|---|---|---|---|---|---|---|---|']
        fs = r['false_sessions']['recognizer']['per_gesture']
        for g in r['per_gesture']:
            n = g['made']
            lines.append(
                f'| {g["gesture"]} | {n} | {_pct(g["hand_in_view"], n)} | '
                f'{_pct(g["recognised"], n)} | {_pct(g["within"], n)} | '
                f'{_f(g["median_s"])} s | {_pct(g["teleop"], n)} | {_pct(g["truth"], n)} | '
                f'{_f(g["hand_found"] and 100 * g["hand_found"], ".0f")} % | '
                f'{fs[g["gesture"]]} |')
        hv = r['halves']
        lines += ['', (f'Recall in the two halves of the sessions (seeds below {hv["cut"]} / '
                       'the others): ' + ', '.join(
                           f'{a["gesture"]} {_pct(a["recognised"], a["made"])} / '
                           f'{_pct(b["recognised"], b["made"])}'
                           for a, b in zip(hv['first'], hv['second'])) + '.')]
        fr = r['false_sessions']['recognizer']
        ft = r['false_sessions']['truth_recognizer']
        e = r['everyday']
        lines += ['', (f'False events in the sessions (a gesture starting outside its own '
                       f'windows, GestureRecognizer): {fr["total"]}; while making a negative: '
                       f'{fr["during_negative"]}. True keypoints: {ft["total"]} '
                       f'({ft["during_negative"]}).'), '',
                  (f'Everyday movement ({e["minutes"]:.1f} min): gestures started '
                   f'{e["recognizer"]["per_gesture"]} (GestureRecognizer), '
                   f'{e["teleop"]["per_gesture"]} (Teleop, engaged first); engages from idle '
                   f'through Teleop: {e["teleop"]["fresh_engages"]} (true keypoints '
                   f'{e["truth"]["fresh_engages"]}).'), '']
        if e['recognizer']['which']:
            lines += ['Which: ' + '; '.join(str(w) for w in e['recognizer']['which'][:20]), '']
        k = r['keypoint_error']
        lines += [(f'Hand keypoint error, in hand lengths (wrist to middle fingertip along '
                   f"the finger, at the wrist's depth), points whose truth is in the image: "
                   f'median {_f(k["median"], ".3f")}, p95 {_f(k["p95"], ".3f")} (n={k["n"]}); '
                   f'points not hidden: median {_f(k["visible_median"], ".3f")}, p95 '
                   f'{_f(k["visible_p95"], ".3f")}.'), '',
                  ('| distance (m) | recall, hand in view (pooled) | '
                   + ' | '.join(HAND_GESTURES)
                   + ' | true keypoints | hand found | keypoint error median / p95 | '
                   'hands in view found | hand length px |'),
                  '|---' * (len(HAND_GESTURES) + 7) + '|']
        for d, kd in zip(r['distance'], k['by_distance']):
            cells = [_pct(*d['per_gesture'][g]) for g in HAND_GESTURES]
            lines.append(
                f'| {d["bin"][0]:g} to {d["bin"][1]:g} | {_pct(*d["pooled"])} '
                f'({d["pooled"][1]}) | ' + ' | '.join(cells)
                + f' | {_pct(*d["truth"])} | '
                f'{_f(d["hand_found"] and 100 * d["hand_found"], ".0f")} % | '
                f'{_f(kd["median"], ".3f")} / {_f(kd["p95"], ".3f")} | '
                f'{_pct(*kd["found_in_view"])} | {_f(kd["hand_px"], ".0f")} |')
        lines += ['', (f'Hand recognition works (pooled recall >= {WORKS_RECALL:g} in every '
                       f'bin from 1 m out) up to: {_f(r["works_up_to_m"], "g")} m. Each '
                       'gesture alone: ' + ', '.join(
                           f'{g} {_f(m, "g")} m'
                           for g, m in r['works_up_to_m_by_gesture'].items()) + '.'), '']
        t = r['timing']
        lines += [(f'Cost per frame (medians over clips; {t["frames_three"]} frames with '
                   'three people): body landmark invoke '
                   f'{_f(t["invoke_ms"], ".1f")} ms ({_f(t["invoke_over_reference"])} x '
                   f'reference); whole body estimate {_f(t["estimate_ms"], ".1f")} ms; '
                   f'hands, one person {_f(t["hands_ms"], ".1f")} ms '
                   f'({_f(t["hands_over_invoke"])} x the body invoke, '
                   f'{_f(t["hands_over_reference"])} x reference; '
                   f'{_f(t["landmark_runs"], ".1f")} landmark runs and '
                   f'{_f(t["hands_found"], ".1f")} hands found a frame), three people '
                   f'{_f(t["hands3_ms"], ".1f")} ms ({_f(t["hands3_over_invoke"])} x the body '
                   f'invoke, {_f(t["hands3_over_reference"])} x reference, '
                   f'{_f(t["hands3_found"], ".1f")} hands found a frame); body estimate and '
                   f'hands one after the other {_f(t["body_and_hands_ms"], ".1f")} ms '
                   f'({_f(t["body_and_hands_ms"] and 1e3 / t["body_and_hands_ms"], ".0f")} '
                   f'frames/s on this machine as loaded); reference '
                   f'{_f(t["reference_ms"])} ms; rendering {_f(t["render_ms"], ".0f")} ms. '
                   f'Palm detection ran in {t["palm_frames"]} frames.'), '']
    lines += [('"recognised": GestureRecognizer STARTED while the gesture is made (move in to '
               'move out). "Teleop": the same through the full state machine, where only a '
               'thumbs-up engage lets the other gestures act. "true keypoints": the '
               "renderer's body and hand points through GestureRecognizer, a perfect model: "
               'below 100 % the scene or the gesture file, not the model, misses. "hand in '
               'view": the making hand\'s 21 true points inside the image in 90 % of the hold. '
               "Three people: the frame beside the same clip's frames 5 and 10 earlier, "
               'side by side in one image, hands of all three tracked.'), '']
    return '\n'.join(lines) + '\n'


# -- main --------------------------------------------------------------------------------

def plans(args) -> list[ClipPlan]:
    out = []
    res = [r for r in RESOLUTIONS if f'{r[0]}x{r[1]}' in args.resolutions]
    everyday = iter(range(1, args.everyday + 1))
    for seed in range(1, args.sessions + 1):
        out += [hand_session_plan(seed, r, args.middle) for r in res]
        # Interleaved, so a run cut short has both kinds.
        if seed % max(1, args.sessions // max(args.everyday, 1)) == 0:
            e = next(everyday, None)
            if e is not None:
                out += [hand_everyday_plan(e, r, args.everyday_seconds) for r in res]
    for e in everyday:
        out += [hand_everyday_plan(e, r, args.everyday_seconds) for r in res]
    if args.quick:
        out = [p for p in out if p.name.startswith('hands-1-') or p.name.endswith('480p')]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='a small smoke run')
    parser.add_argument('--sessions', type=int, default=80)
    parser.add_argument('--everyday', type=int, default=16)
    parser.add_argument('--everyday-seconds', type=float, default=40.0)
    parser.add_argument('--resolutions', nargs='+', default=['640x480', '1280x720'])
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--budget-minutes', type=float, default=0.0,
                        help='stop starting new clips after this long (0: no limit)')
    parser.add_argument('--evaluate-only', action='store_true',
                        help='no rendering: evaluate the clips already cached')
    parser.add_argument('--gestures', type=Path, default=GESTURES_FILE)
    parser.add_argument('--hands-model', default=DEFAULT_HAND_MODEL,
                        choices=sorted(n for n, m in REGISTRY.items() if m.kind == 'hands'))
    parser.add_argument('--out', type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        # One short session at both resolutions (a fist, a point, a pinch between engage
        # and stop) and a few seconds of everyday movement at 640x480.
        args.sessions, args.everyday, args.everyday_seconds = 1, 1, 6.0
        args.middle = ('hold_still', 'turn_left', 'pinch')
    else:
        args.middle = None
    out = args.out or (HERE.parent / 'output' / 'hands_recognition_quick' if args.quick
                       else HERE / 'results' / 'hands_recognition')
    gestures = load_gestures(args.gestures)
    files = model_paths(args.hands_model)
    missing_models = [p for p in files if not p.is_file()]
    if missing_models:
        print(f'missing {missing_models}: python -m pose_ros.models fetch blazepose_full; '
              f'python -m pose_ros.models fetch {args.hands_model}')
        return 1
    model_sha = hashlib.sha256(b''.join(p.read_bytes() for p in files)).hexdigest()
    started = time.monotonic()
    ref_before = reference_ms()
    todo = plans(args)
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    paths = {p.name: root / f'{p.name}-{clip_key(p, model_sha)}.npz' for p in todo}
    missing = [p for p in todo if not paths[p.name].is_file()]
    print(f'{len(todo)} clips, {len(todo) - len(missing)} cached, {len(missing)} to render',
          flush=True)
    stats = []
    if missing and not args.evaluate_only:
        work = functools.partial(_worker, hands_model=args.hands_model)
        stats = render_clips(missing, paths, work, args.workers, args.budget_minutes, started,
                             lambda st: f'render {st["render_ms"]:.0f} ms, hands '
                                        f'{st["hands_ms"]:.1f} ms a frame')
    results = [evaluate_clip(load_clip(paths[p.name]), gestures) for p in todo
               if paths[p.name].is_file()]
    if not results:
        print('nothing to evaluate')
        return 1
    run = {'machine': f'{platform.machine()}, {os.cpu_count()} cores, no GPU, shared; load '
                      f'average {os.getloadavg()[0]:.1f} at the end',
           'quick': args.quick, 'gestures': str(args.gestures), 'workers': args.workers,
           'hands_model': args.hands_model,
           'reference_ms': statistics.median([ref_before, reference_ms()]),
           'wall_minutes': (time.monotonic() - started) / 60, 'rendered_this_run': len(stats),
           'latency_s': LATENCY_S}
    summary = summarise(results, gestures, run)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix('.json').write_text(json.dumps(summary, indent=1))
    out.with_suffix('.md').write_text(markdown(summary))
    print(markdown(summary))
    print(f'written {out.with_suffix(".json")} and {out.with_suffix(".md")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
