"""Scene variations for the hand gesture benchmark: hand shapes at 1 to 4 m, and everyday hands.

Bodies, rooms, light and image quality come from ``recognition_scenes.sample_variation``
(the same generator as the body benchmark), at 1 to 4 m and turned up to 30 degrees, with
the camera aimed higher (at the shoulders: raised hands must be in view at 1 m) and at one
of two resolutions. Two kinds of clip, each a scene file drawn from a seed:

* a hand session: engage with a thumbs-up, then in a random order a raised fist
  (``hold_still``), pointing to the person's right with the right index (``turn_left``)
  and to their left with the left index (``turn_right``), and the negatives (a raised
  pinch / "OK", a raised relaxed hand, an open palm with its back to the camera), then an
  open palm raised to the camera (``stop``, which releases control, so it comes last);
* everyday movement: the body benchmark's activities (waving, scratching the head, the
  phone, clapping, walking...) with hands that do what hands do then (relaxed, open when
  waving, a pinch on the phone), after a thumbs-up engage.

Which hand makes engage, stop and the fist is drawn per clip; the fist is made with the
palm to the camera or turned away. Hand shapes are the renderer's (``rendering/hands.py``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from recognition_scenes import (
    ClipPlan,
    Variation,
    _pose_line,
    _Steps,
    everyday_activities,
    everyday_poses,
    header,
    sample_variation,
)

RESOLUTIONS = ((640, 480), (1280, 720))
DISTANCE = (1.0, 4.0)
# Seed n's distance lies in stratum (n - 1) mod the count of these 0.5 m steps (the
# benchmark's distance bins), so any run of 6 seeds covers every bin once: drawn over the
# whole range, 20 sessions left the 1.5 to 2 m bin empty.
DISTANCE_STEP = 0.5
YAW = 30.0
# The hand gestures of config/gestures_hands.yaml, in report order.
HAND_GESTURES = ('engage', 'stop', 'hold_still', 'turn_left', 'turn_right')
# Raised hands that must start no gesture: a pinch ("OK"), a relaxed hand, the back of
# an open hand.
NEGATIVES = ('pinch', 'relaxed', 'palm_away')
# The shape each label is made with (rendering.hands.HandShape values).
SHAPE = {'engage': 'thumbs_up', 'stop': 'open_palm', 'hold_still': 'fist',
         'turn_left': 'pointing', 'turn_right': 'pointing', 'pinch': 'pinch',
         'relaxed': 'relaxed', 'palm_away': 'open_palm'}
# Held for the gesture's hold in gestures_hands.yaml plus room to be recognised late.
HOLD_S = {'engage': 1.8, 'stop': 1.0, 'hold_still': 1.0, 'turn_left': 1.2,
          'turn_right': 1.2, 'pinch': 1.2, 'relaxed': 1.2, 'palm_away': 1.2}
SUFFIX = {'l': 'L', 'r': 'R'}


def distance_stratum(seed: int) -> tuple[float, float]:
    """Return the 0.5 m step of ``DISTANCE`` that seed ``seed`` (from 1) is drawn in."""
    steps = round((DISTANCE[1] - DISTANCE[0]) / DISTANCE_STEP)
    lo = DISTANCE[0] + DISTANCE_STEP * ((seed - 1) % steps)
    return lo, lo + DISTANCE_STEP - 1e-3  # drawn distances are rounded to millimetres


def hand_variation(seed: int, kind: str, resolution: tuple[int, int]) -> Variation:
    """Draw the person, room and image of ``seed``; camera aimed at the shoulders."""
    v = sample_variation(seed, kind, distance=distance_stratum(seed), yaw=YAW)
    rng = np.random.default_rng([seed, 7])
    # A close-range robot's camera: 0.8 to 1.5 m up, aimed near the shoulders, so a hand
    # raised beside the head is in view from 1 m on (the body benchmark aims at the chest).
    v = replace(v, camera_height=round(float(rng.uniform(0.8, 1.5)), 3),
                look_height=round(v.stature * float(rng.uniform(0.7, 0.85)), 3),
                extra={'resolution': list(resolution)})
    return v


def hand_header(v: Variation) -> list[str]:
    """Return the header lines of ``v``, at its resolution."""
    lines = header(v)
    w, h = v.extra['resolution']
    lines[4] += f' width={w} height={h}'
    return lines


def _arm(side: str, upper: tuple[float, float], fore: tuple[float, float], twist: float,
         shape: str) -> str:
    """Return a pose line's words for one arm: segments, forearm twist, hand shape."""
    # The rig is mirrored: a left twist of -A is a right twist of A (docs/rendering.md).
    sign = 1.0 if side == 'r' else -1.0
    return (f'{side}_upperarm={upper[0]:.1f},{upper[1]:.1f} '
            f'{side}_forearm={fore[0]:.1f},{fore[1]:.1f} '
            f'bone.lowerarm02.{SUFFIX[side]}=0,{sign * twist:.1f},0 {side}_hand={shape}')


def raised(rng: np.random.Generator, side: str, shape: str, palm_to_camera: bool) -> str:
    """Raise a hand beside the shoulder, fingers up (the hand_shapes library pose)."""
    u = rng.uniform
    twist = -30.0 if palm_to_camera else 150.0
    return _arm(side, (35 + u(-8, 8), 30 + u(-10, 10)), (165 + u(-8, 8), 15 + u(-8, 8)),
                twist + u(-15, 15), shape)


def thumbs_up(rng: np.random.Generator, side: str) -> str:
    """Hold a thumbs-up at the chest: upper arm forward, forearm across, palm toward the body.

    Higher than the library's ``thumb_up`` (upper arm hanging, wrist at the belly), which
    the gesture file's "at chest height or higher" rejects on the true keypoints of some
    bodies and cameras.
    """
    u = rng.uniform
    return _arm(side, (28 + u(-4, 5), 60 + u(-8, 8)), (5 + u(-5, 5), 90 + u(-6, 6)),
                10 + u(-8, 8), 'thumbs_up')


def pointing(rng: np.random.Generator, side: str) -> str:
    """Hold the arm out sideways about level, the index pointing along it."""
    u = rng.uniform
    return _arm(side, (u(60, 95), u(0, 25)), (u(75, 100), u(0, 20)), u(-60, 60), 'pointing')


def hand_poses(rng: np.random.Generator) -> tuple[dict[str, str], dict[str, str]]:
    """Return this person's pose lines per label, and which hand ('l'/'r') makes each."""
    sides = {'engage': str(rng.choice(['l', 'r'])), 'stop': str(rng.choice(['l', 'r'])),
             'hold_still': str(rng.choice(['l', 'r'])), 'turn_left': 'r', 'turn_right': 'l',
             'pinch': str(rng.choice(['l', 'r'])), 'relaxed': str(rng.choice(['l', 'r'])),
             'palm_away': str(rng.choice(['l', 'r']))}
    lines = {
        'engage': thumbs_up(rng, sides['engage']),
        'stop': raised(rng, sides['stop'], 'open_palm', True),
        'hold_still': raised(rng, sides['hold_still'], 'fist', bool(rng.random() < 0.5)),
        'turn_left': pointing(rng, 'r'),
        'turn_right': pointing(rng, 'l'),
        'pinch': raised(rng, sides['pinch'], 'pinch', True),
        'relaxed': raised(rng, sides['relaxed'], 'relaxed', True),
        'palm_away': raised(rng, sides['palm_away'], 'open_palm', False),
    }
    return {k: f'pose h_{k} like=rest {v}' for k, v in lines.items()}, sides


def _make(steps: _Steps, rng: np.random.Generator, name: str, performed: list) -> None:
    enter = round(float(rng.uniform(0.45, 0.8)), 2)
    leave = round(float(rng.uniform(0.45, 0.8)), 2)
    start = steps.add(f'move h_{name} {enter}', enter)
    hold_start = steps.add(f'hold h_{name} {HOLD_S[name]}', HOLD_S[name])
    hold_end = steps.t
    steps.add(f'move rest {leave}', leave)
    steps.rest(float(rng.uniform(0.3, 0.8)))
    performed.append((name, round(start, 3), round(hold_start, 3), round(hold_end, 3),
                      round(hold_end + leave, 3)))


def _prologue(v: Variation, rng: np.random.Generator) -> tuple[list[str], dict[str, str]]:
    lines, sides = hand_poses(rng)
    v.extra['sides'] = sides
    return hand_header(v) + list(lines.values()), sides


def _split(made: list) -> tuple[list, list]:
    """Return (gestures, negatives) of a made list: the negatives start no gesture."""
    return [p for p in made if p[0] in HAND_GESTURES], [p for p in made if p[0] in NEGATIVES]


MIDDLE = ('hold_still', 'turn_left', 'turn_right', *NEGATIVES)


def hand_session_plan(seed: int, resolution: tuple[int, int],
                      middle: tuple[str, ...] | None = None) -> ClipPlan:
    """Thumbs-up engage, then ``middle`` (default: every other label) shuffled, open-palm stop."""
    v = hand_variation(seed, 'session', resolution)
    rng = np.random.default_rng([seed, 8])
    lines, _ = _prologue(v, rng)
    steps, made = _Steps(), []
    steps.rest(float(rng.uniform(0.8, 1.4)))
    _make(steps, rng, 'engage', made)
    for name in rng.permutation(list(middle or MIDDLE)):
        _make(steps, rng, str(name), made)
    _make(steps, rng, 'stop', made)
    steps.rest(0.8)
    performed, negatives = _split(made)
    v.extra['negatives'] = negatives
    text = '\n'.join(lines + [''] + steps.lines) + '\n'
    return ClipPlan(f'hands-{seed}-{resolution[1]}p', text, v, performed)


# What the hands do in each everyday posture (the rest: relaxed).
EVERYDAY_HANDS = {'wave_a': 'open_palm', 'wave_b': 'open_palm', 'wave_both_a': 'open_palm',
                  'wave_both_b': 'open_palm', 'phone': 'pinch', 'clap_a': 'open_palm',
                  'clap_b': 'open_palm', 'stretch_up': 'open_palm', 'jack_open': 'open_palm'}


def hand_everyday_plan(seed: int, resolution: tuple[int, int], seconds: float = 40.0
                       ) -> ClipPlan:
    """Engage with a thumbs-up, then ``seconds`` of everyday movement with everyday hands."""
    v = hand_variation(seed, 'everyday', resolution)
    rng = np.random.default_rng([seed, 9])
    lines, _ = _prologue(v, rng)
    for name, spec in everyday_poses(rng).items():
        base = name.removesuffix('_left')
        shape = EVERYDAY_HANDS.get(base, 'relaxed')
        lines.append(_pose_line(f'e_{name}', spec) + f' hands={shape}')
    steps, made = _Steps(), []
    steps.rest(1.0)
    _make(steps, rng, 'engage', made)
    everyday_from = steps.t
    activities = everyday_activities(steps, rng, v, seconds, longest_rest=1.2)
    performed, _ = _split(made)
    v.extra['negatives'] = []
    text = '\n'.join(lines + [''] + steps.lines) + '\n'
    return ClipPlan(f'hands-everyday-{seed}-{resolution[1]}p', text, v, performed,
                    round(everyday_from, 3), activities)
