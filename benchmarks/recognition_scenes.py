"""Scene variations for the recognition benchmark: many people, cameras and rooms.

Two kinds of clip, each a scene file generated from a seed (so a clip is reproducible and
its cache key is its text):

* a control session: engage, the four motion gestures in a random order (between them a
  rest, or sometimes straight from one to the next), stop;
* everyday movement: an engage first (so that false commands can be counted while the
  person has control), then about a minute of things people do in front of a robot that
  are not gestures.

Every person makes each gesture a little differently: each arm segment is turned by a few
degrees from the library pose, within what a person reading the README table would do.
"Hands together above the head" (engage) is solved per body: the forearms are turned until
the wrists are a sampled 8 to 22 cm apart (hands touching, palms or fingers), since one
fixed angle brings a child's hands together and leaves a tall adult's apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import math

import numpy as np

from pose_ros.rendering import Poser, parse_scene
from pose_ros.rendering.look import COLOURS, SKIN_TONES
from pose_ros.rendering.poses import EVERYDAY, GESTURES, LIBRARY, PoseSpec
from pose_ros.rendering.renderer import TEXTURES

FPS = 15.0
MOTION = ('forward', 'back', 'turn_left', 'turn_right')
# How long each gesture is held in the clips (s): its hold time in gestures.yaml plus
# room to be recognised late (the targets ask for hold + 0.3 s).
HOLD_S = {'engage': 2.0, 'stop': 1.0, 'forward': 1.5, 'back': 1.5, 'turn_left': 1.5,
          'turn_right': 1.5, 'follow_me': 2.0}
# Made after the motion gestures and ended by stop (following is a latch).
FOLLOW = 'follow_me'
HAIR = ('black', 'darkbrown', 'brown', 'blonde', 'auburn', 'grey')
CLOTHES = tuple(c for c in COLOURS if c not in ('blonde', 'auburn', 'darkbrown'))


@dataclass(frozen=True)
class Variation:
    """Who is filmed, how: everything a clip varies, drawn from one seed."""

    seed: int
    kind: str                       # 'session' or 'everyday'
    stature: float
    gender: float
    age: float
    weight: float
    muscle: float
    skin: str
    shirt: str
    trousers: str
    hair: str
    sleeves: str
    shorts: bool
    distance: float
    camera_height: float
    look_height: float
    yaw: float
    roll: float
    fov: float
    wall: str
    floor: str
    wall_distance: float
    sun: tuple[float, float]
    sun_strength: float
    ambient: float
    noise: float
    blur: float
    motion_blur: float
    jpeg: int
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def sample_variation(seed: int, kind: str, distance: tuple[float, float] = (2.0, 8.0),
                     yaw: float = 40.0, stature: tuple[float, float] = (1.1, 2.0)
                     ) -> Variation:
    """Draw one person, camera, room and image quality from ``seed``."""
    rng = np.random.default_rng([seed, 0 if kind == 'session' else 1])
    height = float(rng.uniform(*stature))
    # MakeHuman's youngest body is 11 years old (age 0.1875): children are that body
    # scaled to their height; from 1.5 m on, adults of 20 to 70.
    age = float(rng.uniform(0.1875, 0.3)) if height < 1.5 else float(rng.uniform(0.4, 0.85))
    sleeves = str(rng.choice(['long', 'short', 'none'], p=[0.55, 0.35, 0.1]))
    return Variation(
        seed=seed, kind=kind, stature=round(height, 3),
        gender=round(float(rng.uniform(0, 1)), 3), age=round(age, 3),
        weight=round(float(rng.uniform(0.25, 0.75)), 3),
        muscle=round(float(rng.uniform(0.25, 0.75)), 3),
        skin=str(rng.choice(sorted(SKIN_TONES))), shirt=str(rng.choice(CLOTHES)),
        trousers=str(rng.choice(CLOTHES)), hair=str(rng.choice(HAIR)), sleeves=sleeves,
        shorts=bool(rng.random() < 0.15),
        distance=round(float(rng.uniform(*distance)), 3),
        camera_height=round(float(rng.uniform(0.5, 1.7)), 3),
        # Aimed about at the chest, as a robot's camera is set up to see people.
        look_height=round(height * float(rng.uniform(0.45, 0.65)), 3),
        yaw=round(float(rng.uniform(-yaw, yaw)), 2),
        roll=round(float(rng.uniform(-5, 5)), 2),
        fov=round(float(rng.uniform(55, 75)), 2),
        wall=str(rng.choice(TEXTURES)), floor=str(rng.choice(TEXTURES)),
        wall_distance=round(float(rng.uniform(1.5, 4.0)), 2),
        sun=(round(float(rng.uniform(-70, 70)), 1), round(float(rng.uniform(20, 70)), 1)),
        sun_strength=round(float(rng.uniform(0.4, 1.0)), 3),
        ambient=round(float(rng.uniform(0.3, 0.7)), 3),
        noise=round(float(rng.uniform(1, 5)), 2), blur=round(float(rng.uniform(0.3, 1.2)), 2),
        motion_blur=0.0 if rng.random() < 0.4 else round(float(rng.uniform(0.2, 0.8)), 2),
        jpeg=int(rng.integers(60, 93)))


def header(v: Variation) -> list[str]:
    """Return the person, camera, room and image statements of a variation."""
    return [
        f'# benchmark clip: {v.kind}, seed {v.seed}',
        (f'person gender={v.gender} age={v.age} weight={v.weight} muscle={v.muscle} '
         f'stature={v.stature} skin={v.skin} shirt={v.shirt} trousers={v.trousers} '
         f'hair={v.hair} sleeves={v.sleeves} shorts={"yes" if v.shorts else "no"}'),
        (f'camera distance={v.distance} height={v.camera_height} '
         f'look_height={v.look_height} yaw={v.yaw} roll={v.roll} fov={v.fov}'),
        (f'room   wall={v.wall} floor={v.floor} wall_distance={v.wall_distance} '
         f'sun={v.sun[0]},{v.sun[1]} sun_strength={v.sun_strength} ambient={v.ambient}'),
        (f'image  fps={FPS:g} noise={v.noise} blur={v.blur} motion_blur={v.motion_blur} '
         f'jpeg={v.jpeg} seed={v.seed}'),
    ]


def _pose_line(name: str, spec: PoseSpec) -> str:
    parts = [f'pose {name} like=rest']
    for seg, (r, f) in sorted(spec.directions.items()):
        parts.append(f'{seg}={r:.1f},{f:.1f}')
    for bone, xyz in sorted(spec.bones.items()):
        parts.append(f'bone.{bone}=' + ','.join(f'{a:.1f}' for a in xyz))
    if spec.lift:
        parts.append(f'lift={spec.lift:.3f}')
    return ' '.join(parts)


def _jitter(spec: PoseSpec, rng: np.random.Generator, raise_deg: float, forward_deg: float
            ) -> PoseSpec:
    dirs = {seg: (r + float(rng.uniform(-raise_deg, raise_deg)),
                  f + float(rng.uniform(-forward_deg, forward_deg)))
            for seg, (r, f) in spec.directions.items()}
    return PoseSpec(dirs, dict(spec.bones), spec.lift)


def gesture_poses(rng: np.random.Generator) -> dict[str, PoseSpec]:
    """Return how this person makes each gesture (engage's forearms are solved later)."""
    g = GESTURES
    out = {}
    # Engage: arms up, a little out or forward; forearms set by solve_engage().
    up = (float(rng.uniform(164, 178)), float(rng.uniform(0, 12)))
    out['engage'] = PoseSpec({'l_upperarm': up, 'r_upperarm': (up[0] + float(
        rng.uniform(-3, 3)), up[1] + float(rng.uniform(-3, 3))),
        'l_forearm': (218.0, up[1]), 'r_forearm': (218.0, up[1])})
    out['stop'] = _jitter(g['stop'], rng, 6, 8)
    # Goal post: upper arms about level, forearms about upright.
    fwd = {}
    for side in 'lr':
        fwd[f'{side}_upperarm'] = (float(rng.uniform(80, 100)), float(rng.uniform(0, 12)))
        fwd[f'{side}_forearm'] = (float(rng.uniform(166, 188)), float(rng.uniform(-6, 10)))
    out['forward'] = PoseSpec(fwd)
    # Low V: straight arms at about 45 degrees, out to the sides.
    back = {}
    for side in 'lr':
        r, f = float(rng.uniform(38, 54)), float(rng.uniform(0, 12))
        back[f'{side}_upperarm'] = (r, f)
        back[f'{side}_forearm'] = (r + float(rng.uniform(-5, 5)), f + float(rng.uniform(-4, 4)))
    out['back'] = PoseSpec(back)
    # One arm straight out sideways, about level; the other hangs.
    for name, side in (('turn_left', 'r'), ('turn_right', 'l')):
        r, f = float(rng.uniform(78, 104)), float(rng.uniform(0, 12))
        out[name] = PoseSpec({f'{side}_upperarm': (r, f),
                              f'{side}_forearm': (r + float(rng.uniform(-4, 8)),
                                                  f + float(rng.uniform(-4, 4)))})
    return out


def follow_pose(rng: np.random.Generator) -> PoseSpec:
    """Return how this person raises the right arm for "follow me" (its own random stream)."""
    r, f = float(rng.uniform(158, 180)), float(rng.uniform(0, 15))
    return PoseSpec({'r_upperarm': (r, f),
                     'r_forearm': (r + float(rng.uniform(-6, 10)), f + float(rng.uniform(-5, 5)))})


def solve_engage(scene_header: list[str], engage: PoseSpec, gap_m: float,
                 poser_cache: dict | None = None) -> PoseSpec:
    """Turn engage's forearms until the true wrists are ``gap_m`` apart (hands together)."""
    best = None
    lines = list(scene_header)
    for raise_deg in np.arange(196.0, 246.0, 2.0):
        spec = PoseSpec({**engage.directions,
                         'l_forearm': (float(raise_deg), engage.directions['l_forearm'][1]),
                         'r_forearm': (float(raise_deg), engage.directions['r_forearm'][1])})
        text = '\n'.join(lines + [_pose_line('p_engage', spec), 'hold p_engage 1.0'])
        poser = Poser(parse_scene(text, 'solve.scene'))
        cam, _, _ = poser.keypoints_at(0.5)
        gap = float(np.linalg.norm(cam[9] - cam[10]))   # left, right wrist
        err = abs(gap - gap_m)
        if best is None or err < best[0]:
            best = (err, spec, gap)
        if gap < gap_m - 0.05:
            break   # crossed already: further turns only cross the hands
    return best[1]


@dataclass
class ClipPlan:
    """A scene's text and what the person does when: gesture windows in seconds."""

    name: str
    text: str
    variation: Variation
    # (gesture, enter_start, hold_start, hold_end, leave_end)
    performed: list[tuple[str, float, float, float, float]] = field(default_factory=list)
    # Where the everyday part starts (everyday clips), seconds.
    everyday_from: float | None = None
    activities: list[tuple[str, float, float]] = field(default_factory=list)

    def to_json(self, text: bool = False) -> dict:
        out = {'name': self.name, 'variation': self.variation.as_dict(),
               'performed': self.performed, 'everyday_from': self.everyday_from,
               'activities': self.activities}
        if text:
            out['text'] = self.text
        return out

    @classmethod
    def from_json(cls, d: dict) -> ClipPlan:
        v = dict(d['variation'])
        v['sun'] = tuple(v['sun'])
        return cls(d['name'], d['text'], Variation(**v),
                   [tuple(p) for p in d['performed']], d['everyday_from'],
                   [tuple(a) for a in d['activities']])


class _Steps:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.t = 0.0

    def add(self, line: str, seconds: float) -> float:
        start = self.t
        self.lines.append(line)
        self.t += seconds
        return start

    def rest(self, seconds: float, options: str = '') -> float:
        seconds = round(seconds, 2)
        return self.add(f'rest {seconds} {options}'.rstrip(), seconds)


def _gesture(steps: _Steps, rng: np.random.Generator, name: str, pose: str,
             performed: list, rest_after: bool = True) -> None:
    enter = round(float(rng.uniform(0.45, 0.9)), 2)
    leave = round(float(rng.uniform(0.45, 0.9)), 2)
    start = steps.add(f'move {pose} {enter} label={name}', enter)
    hold_start = steps.add(f'hold {pose} {HOLD_S[name]} label={name}', HOLD_S[name])
    hold_end = steps.t
    if rest_after:
        steps.add(f'move rest {leave} label=none', leave)
        steps.rest(float(rng.uniform(0.3, 0.9)))
        performed.append((name, round(start, 3), round(hold_start, 3), round(hold_end, 3),
                          round(hold_end + leave, 3)))
    else:
        performed.append((name, round(start, 3), round(hold_start, 3), round(hold_end, 3),
                          round(hold_end, 3)))


def _prologue(v: Variation, rng: np.random.Generator) -> tuple[list[str], dict[str, PoseSpec]]:
    lines = header(v)
    poses = gesture_poses(rng)
    gap = float(rng.uniform(0.08, 0.22))
    poses['engage'] = solve_engage(lines, poses['engage'], gap)
    v.extra['engage_wrist_gap_m'] = round(gap, 3)
    poses[FOLLOW] = follow_pose(np.random.default_rng([v.seed, 4]))
    for name, spec in poses.items():
        lines.append(_pose_line(f'p_{name}', spec))
    return lines, poses


def session_plan(seed: int, **ranges) -> ClipPlan:
    """Engage, the four motion gestures in a random order, follow me, stop."""
    v = sample_variation(seed, 'session', **ranges)
    rng = np.random.default_rng([seed, 2])
    lines, _ = _prologue(v, rng)
    steps, performed = _Steps(), []
    steps.rest(float(rng.uniform(0.8, 1.5)))
    _gesture(steps, rng, 'engage', 'p_engage', performed)
    order = list(rng.permutation(MOTION))
    for i, name in enumerate(order):
        # Now and then straight from one motion gesture into the next, no rest between.
        direct = i < len(order) - 1 and rng.random() < 0.3
        _gesture(steps, rng, str(name), f'p_{name}', performed, rest_after=not direct)
        if direct:
            # The leave of this gesture is the enter of the next one.
            performed[-1] = performed[-1][:4] + (None,)
    _gesture(steps, np.random.default_rng([seed, 5]), FOLLOW, f'p_{FOLLOW}', performed)
    _gesture(steps, rng, 'stop', 'p_stop', performed)
    steps.rest(1.0)
    # Gestures straight into the next: their window ends where the next one is held.
    fixed = []
    for i, p in enumerate(performed):
        if p[4] is None:
            p = p[:4] + (performed[i + 1][2],)
        fixed.append(p)
    text = '\n'.join(lines + [''] + steps.lines) + '\n'
    return ClipPlan(f'session-{seed}', text, v, fixed)


# -- everyday movement ---------------------------------------------------------------

def _mirror(spec: PoseSpec) -> PoseSpec:
    swap = {'l': 'r', 'r': 'l'}
    return PoseSpec({swap[k[0]] + k[1:]: v for k, v in spec.directions.items()},
                    dict(spec.bones), spec.lift)


def everyday_poses(rng: np.random.Generator) -> dict[str, PoseSpec]:
    """Return this person's everyday postures: the library's, a little changed, and more."""
    base = {k: v for k, v in EVERYDAY.items() if k != 'rest'}
    extra = {
        # On the phone: the right hand at the ear.
        'phone': PoseSpec({'r_upperarm': (28.0, 40.0), 'r_forearm': (168.0, 35.0)}),
        # Hands clasped behind the head, elbows out.
        'hands_behind_head': PoseSpec({'l_upperarm': (112.0, -5.0), 'l_forearm': (245.0, -20.0),
                                       'r_upperarm': (112.0, -5.0), 'r_forearm': (245.0, -20.0)}),
        # Clapping in front of the chest: hands apart, hands together.
        'clap_a': PoseSpec({'l_upperarm': (18.0, 45.0), 'l_forearm': (10.0, 80.0),
                            'r_upperarm': (18.0, 45.0), 'r_forearm': (10.0, 80.0)}),
        'clap_b': PoseSpec({'l_upperarm': (14.0, 45.0), 'l_forearm': (-30.0, 75.0),
                            'r_upperarm': (14.0, 45.0), 'r_forearm': (-30.0, 75.0)}),
        # Looking at a watch on the left wrist.
        'watch': PoseSpec({'l_upperarm': (15.0, 35.0), 'l_forearm': (-45.0, 70.0)}),
    }
    out = {}
    for name, spec in {**base, **extra}.items():
        out[name] = _jitter(spec, rng, 6, 6)
    for name in ('wave_a', 'wave_b', 'scratch_head', 'phone'):
        out[f'{name}_left'] = _mirror(out[name])
    return out


ACTIVITIES = ('stand', 'walk_across', 'walk_closer', 'wave_one', 'wave_both',
              'jumping_jacks', 'scratch_head', 'hands_on_hips', 'arms_crossed_low',
              'stretch_overhead', 'sit_down', 'phone', 'hands_behind_head', 'clap', 'watch')


def _activity(steps: _Steps, rng: np.random.Generator, kind: str, v: Variation) -> None:
    def u(a, b):
        return round(float(rng.uniform(a, b)), 2)

    def step(line: str, seconds: float) -> None:
        steps.add(line, seconds)

    def hold(pose: str, lo: float, hi: float, enter=(0.5, 0.9)) -> None:
        a, h, b = u(*enter), u(lo, hi), u(*enter)
        step(f'move {pose} {a} facing=0', a)
        step(f'hold {pose} {h}', h)
        step(f'move rest {b}', b)

    side = '' if rng.random() < 0.6 else '_left'
    if kind == 'stand':
        hold('e_relaxed', 2.0, 5.0, (0.8, 1.4))
    elif kind == 'walk_across':
        # Out of one side of the view, across to the other, back to the middle.
        half = math.tan(math.radians(v.fov / 2)) * v.distance + 1.0
        z1, z2 = u(-1.0, 1.0), u(-1.0, 1.0)
        speed = u(0.9, 1.5)
        s = 1 if rng.random() < 0.5 else -1
        legs = [((0.0, 0.0), (s * half, z1)), ((s * half, z1), (-s * half, z2)),
                ((-s * half, z2), (0.0, 0.0))]
        for (x0, z0), (x1, z1_) in legs:
            d = round(math.hypot(x1 - x0, z1_ - z0) / speed, 2)
            step(f'walk {d} from={x0:.2f},{z0:.2f} to={x1:.2f},{z1_:.2f}', d)
        steps.rest(u(0.5, 1.0), 'facing=0 at=0,0')
    elif kind == 'walk_closer':
        near = max(0.0, min(2.0, v.distance - 1.6))
        z = u(near * 0.5, near) if near > 0.2 else 0.0
        x = u(-1.0, 1.0)
        speed = u(0.8, 1.3)
        for (x0, z0), (x1, z1) in (((0.0, 0.0), (x, z)), ((x, z), (0.0, 0.0))):
            d = round(max(math.hypot(x1 - x0, z1 - z0), 0.3) / speed, 2)
            step(f'walk {d} from={x0:.2f},{z0:.2f} to={x1:.2f},{z1:.2f}', d)
        steps.rest(u(0.5, 1.0), 'facing=0 at=0,0')
    elif kind == 'wave_one':
        a, d = u(0.4, 0.7), u(1.5, 4.0)
        step(f'move e_wave_a{side} {a} facing=0', a)
        step(f'swing e_wave_a{side} e_wave_b{side} {d} period={u(0.45, 0.8)}', d)
        step(f'move rest {a}', a)
    elif kind == 'wave_both':
        a, d = u(0.5, 0.8), u(2.0, 5.0)
        step(f'move e_wave_both_a {a} facing=0', a)
        step(f'swing e_wave_both_a e_wave_both_b {d} period={u(0.9, 1.5)}', d)
        step(f'move rest {a}', a)
    elif kind == 'jumping_jacks':
        d = u(3.0, 6.0)
        step('move e_jack_closed 0.3 facing=0', 0.3)
        step(f'swing e_jack_closed e_jack_open {d} period={u(0.7, 1.0)} bounce={u(0.05, 0.12)}',
             d)
        step('move rest 0.5', 0.5)
    elif kind == 'scratch_head':
        hold(f'e_scratch_head{side}', 1.0, 3.0)
    elif kind == 'hands_on_hips':
        hold('e_hands_on_hips', 2.0, 5.0)
    elif kind == 'arms_crossed_low':
        hold('e_arms_crossed_low', 2.0, 5.0)
    elif kind == 'stretch_overhead':
        hold('e_stretch_up', 0.3, 0.9, (0.5, 0.8))
    elif kind == 'sit_down':
        hold('e_sit', 2.0, 5.0, (1.0, 1.5))
    elif kind == 'phone':
        hold(f'e_phone{side}', 2.0, 5.0)
    elif kind == 'hands_behind_head':
        hold('e_hands_behind_head', 1.5, 4.0)
    elif kind == 'clap':
        a, d = u(0.4, 0.7), u(1.5, 3.0)
        step(f'move e_clap_a {a} facing=0', a)
        step(f'swing e_clap_a e_clap_b {d} period={u(0.35, 0.6)}', d)
        step(f'move rest {a}', a)
    elif kind == 'watch':
        hold('e_watch', 1.0, 2.5)
    else:
        raise ValueError(kind)


def everyday_plan(seed: int, seconds: float = 60.0, **ranges) -> ClipPlan:
    """Engage, then about ``seconds`` of everyday movement in a random order."""
    v = sample_variation(seed, 'everyday', **ranges)
    rng = np.random.default_rng([seed, 3])
    lines, _ = _prologue(v, rng)
    for name, spec in everyday_poses(rng).items():
        lines.append(_pose_line(f'e_{name}', spec))
    steps, performed = _Steps(), []
    steps.rest(1.0)
    _gesture(steps, rng, 'engage', 'p_engage', performed)
    everyday_from = steps.t
    activities = everyday_activities(steps, rng, v, seconds)
    text = '\n'.join(lines + [''] + steps.lines) + '\n'
    return ClipPlan(f'everyday-{seed}', text, v, performed, round(everyday_from, 3), activities)


def everyday_activities(steps: _Steps, rng: np.random.Generator, v: Variation, seconds: float,
                        longest_rest: float = 1.5) -> list[tuple[str, float, float]]:
    """Add random everyday activities for ``seconds``, rests between; return what was when."""
    start_all = steps.t
    activities = []
    while steps.t - start_all < seconds:
        kind = str(rng.choice(ACTIVITIES))
        start = steps.t
        _activity(steps, rng, kind, v)
        steps.rest(float(rng.uniform(0.3, longest_rest)), 'facing=0')
        activities.append((kind, round(start, 3), round(steps.t, 3)))
    return activities


def check_library() -> None:
    """Fail unless the everyday postures the generator uses are in the renderer's library."""
    missing = {k for k in ('relaxed', 'wave_a', 'wave_both_a', 'jack_open', 'sit')
               if k not in LIBRARY}
    if missing:
        raise RuntimeError(f'poses missing from the library: {sorted(missing)}')
