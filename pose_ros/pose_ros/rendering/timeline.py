"""A scene's time-line: the pose, place and label of the person at any time.

Transitions are eased (cosine ramps), held poses sway a little (nobody stands still),
and walking drives the trunk with the channels of MakeHuman's shipped walk cycle (root
sway and bob, spine, neck and head) while arms and legs swing with its phase.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import json
import math
from pathlib import Path

import numpy as np

from pose_ros.rendering.poses import GESTURES, PoseSpec, blend, ease
from pose_ros.rendering.scene import Scene, Step

WALK_CYCLE = 'walkcycles/crappy_experimental_female.json'
# Bones whose rotations the walk cycle gives directly (the rest are IK targets).
WALK_FK_BONES = ('root', 'spine01', 'spine02', 'spine03', 'spine04', 'spine05', 'neck01',
                 'head')
STRIDE = 1.35   # metres per walk cycle (two steps) for an adult


@dataclass(frozen=True)
class Moment:
    """The person at one instant."""

    pose: PoseSpec
    position: tuple[float, float]
    facing: float
    lift: float
    gesture: str | None
    phase: str              # hold, enter, leave or idle


@functools.lru_cache(maxsize=2)
def walk_channels(assets: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return {bone: (cycle phase 0..1 keys, (n, 3) Euler radians)} from the walk cycle."""
    data = json.loads((Path(assets) / WALK_CYCLE).read_text())['animation_data']
    out = {}
    last = max(int(f) for f in data['root'])
    for bone in WALK_FK_BONES:
        frames = sorted((int(f), v['rotation_euler']['values']) for f, v in data[bone].items()
                        if 'rotation_euler' in v)
        out[bone] = (np.array([f / last for f, _ in frames]), np.array([v for _, v in frames]))
    return out


def _sway(t: float, seed: int) -> dict[str, tuple[float, float]]:
    """Idle sway: slow wobbles of about 2 degrees, different per limb."""
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 2 * math.pi, 16)
    out = {}
    for i, seg in enumerate(('l_upperarm', 'l_forearm', 'r_upperarm', 'r_forearm')):
        out[seg] = (2.0 * math.sin(2 * math.pi * (0.31 + 0.07 * i) * t + phases[2 * i]),
                    2.0 * math.sin(2 * math.pi * (0.23 + 0.05 * i) * t + phases[2 * i + 1]))
    return out


class Timeline:
    """Evaluate a scene at any time (seconds from its start)."""

    def __init__(self, scene: Scene, assets: str) -> None:
        self.scene = scene
        self.assets = assets
        self.starts = np.cumsum([0.0] + [s.duration for s in scene.steps])
        # The pose and place each step starts from: where the previous one ended.
        self.entry: list[tuple[str, tuple[float, float], float]] = []
        pose, place, facing = 'rest', (0.0, 0.0), 0.0
        for step in scene.steps:
            place = self._xy(step.option('at')) or place
            facing = float(step.option('facing', facing))
            self.entry.append((pose, place, facing))
            if step.kind in ('hold', 'move'):
                pose = step.poses[0]
            elif step.kind == 'rest':
                pose = 'rest'
            elif step.kind == 'swing':
                pose = step.poses[0]
            elif step.kind == 'walk':
                pose, place = 'rest', self._xy(step.option('to'))
                facing = self._heading(step)

    @staticmethod
    def _xy(text: str | None) -> tuple[float, float] | None:
        if text is None:
            return None
        x, z = text.split(',')
        return float(x), float(z)

    def _heading(self, step: Step) -> float:
        (x0, z0), (x1, z1) = self._xy(step.option('from')), self._xy(step.option('to'))
        return math.degrees(math.atan2(x1 - x0, z1 - z0))

    def at(self, t: float) -> Moment:
        scene = self.scene
        i = int(np.searchsorted(self.starts, t, side='right')) - 1
        i = min(max(i, 0), len(scene.steps) - 1)
        step = scene.steps[i]
        local = min(max(t - self.starts[i], 0.0), step.duration)
        prev_pose, place, facing = self.entry[i]
        facing = float(step.option('facing', facing))
        poses = scene.poses
        lift = 0.0
        gesture, phase = None, 'idle'
        if step.kind in ('rest', 'hold'):
            name = 'rest' if step.kind == 'rest' else step.poses[0]
            spec = poses[name]
            if name in GESTURES:
                gesture, phase = name, 'hold'
        elif step.kind == 'move':
            name = step.poses[0]
            spec = blend(poses[prev_pose], poses[name], ease(local / step.duration))
            if name in GESTURES:
                gesture, phase = name, 'enter'
            elif prev_pose in GESTURES:
                gesture, phase = prev_pose, 'leave'
        elif step.kind == 'swing':
            period = float(step.option('period'))
            w = 0.5 - 0.5 * math.cos(2 * math.pi * local / period)
            spec = blend(poses[step.poses[0]], poses[step.poses[1]], w)
            bounce = float(step.option('bounce', 0.0))
            lift = bounce * abs(math.sin(2 * math.pi * local / period))
        else:
            spec, place, facing, lift = self._walk(step, local)
        label = step.option('label')
        if label == 'none':
            gesture, phase = None, 'idle'
        elif label is not None:
            gesture, phase = label, (phase if phase != 'idle' else 'hold')
        if step.kind != 'walk':
            spec = self._with_sway(spec, t)
        return Moment(spec, place, facing, lift, gesture, phase)

    def _with_sway(self, spec: PoseSpec, t: float) -> PoseSpec:
        spec = spec.with_defaults()
        dirs = dict(spec.directions)
        for seg, (dr, df) in _sway(t, self.scene.effects.seed).items():
            r, f = dirs[seg]
            dirs[seg] = (r + dr, f + df)
        return PoseSpec(dirs, spec.bones, spec.lift, spec.hands)

    def _walk(self, step: Step, local: float):
        (x0, z0), (x1, z1) = self._xy(step.option('from')), self._xy(step.option('to'))
        w = local / step.duration
        place = (x0 + (x1 - x0) * w, z0 + (z1 - z0) * w)
        distance = math.hypot(x1 - x0, z1 - z0)
        cycles = distance / STRIDE
        phase = (cycles * w) % 1.0
        s = math.sin(2 * math.pi * phase)
        knee = 15.0 * max(0.0, math.sin(2 * math.pi * phase + 0.6))
        knee_r = 15.0 * max(0.0, -math.sin(2 * math.pi * phase + 0.6))
        dirs = {
            'l_upperarm': (8.0, -22.0 * s), 'l_forearm': (6.0, -22.0 * s + 25.0),
            'r_upperarm': (8.0, 22.0 * s), 'r_forearm': (6.0, 22.0 * s + 25.0),
            'l_thigh': (3.0, 24.0 * s), 'l_shin': (2.0, 24.0 * s - 2.0 * knee - 5.0),
            'r_thigh': (3.0, -24.0 * s), 'r_shin': (2.0, -24.0 * s - 2.0 * knee_r - 5.0),
        }
        bones = {}
        for bone, (keys, values) in walk_channels(self.assets).items():
            if bone == 'root':
                continue  # its forward travel and turn are ours; keep the sway below
            euler = np.array([np.interp(phase, keys, values[:, k]) for k in range(3)])
            bones[bone] = tuple(math.degrees(a) for a in euler)
        keys, values = walk_channels(self.assets)['root']
        sway = [np.interp(phase, keys, values[:, k]) for k in range(3)]
        bones['root'] = (0.0, math.degrees(sway[1]) * 0.5, math.degrees(sway[2]) * 0.5)
        return PoseSpec(dirs, bones), place, self._heading(step), 0.0
