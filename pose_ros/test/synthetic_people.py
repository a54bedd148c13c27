"""Synthetic people for the gesture tests: a 3D stick figure seen through a camera.

The figure is posed with joint angles, sized by body proportions, turned (yaw) and
projected orthographically at some distance (scale), then the camera is rolled and
every keypoint gets detector-like noise, scores and occasional misses. Motion
sequences (gestures and everyday movements) are functions of time sampled at 30 Hz.

Body frame: metres, X toward the person's own left, Y up from the ground, Z toward
the camera. An arm or leg segment direction is (raise, forward) in degrees: raise is
measured in the frontal plane from hanging down (0) through straight out to the
person's side (90) to straight up (180); above 180 it continues over the head
toward the other side; forward then tilts it toward the camera (90 = pointing at it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import math
from typing import Callable

import numpy as np

from pose_ros.control.teleop import Command, Teleop
from pose_ros.core.keypoints import Keypoint, Pose

FPS = 30.0
K = Keypoint


@dataclass(frozen=True)
class Body:
    """Proportions in metres (COCO keypoint positions, not anatomical landmarks)."""

    height: float
    shoulder_half: float
    hip_half: float
    torso: float          # hip centre to shoulder centre
    upper_arm: float
    forearm: float
    thigh: float
    shin: float
    neck_to_nose: float
    eye_dx: float = 0.032
    ear_dx: float = 0.075


ADULT = Body(1.75, 0.19, 0.09, 0.52, 0.30, 0.27, 0.43, 0.42, 0.19)
CHILD = Body(1.15, 0.13, 0.07, 0.36, 0.19, 0.16, 0.27, 0.26, 0.16, 0.026, 0.06)
TALL = Body(1.98, 0.20, 0.10, 0.58, 0.35, 0.31, 0.51, 0.50, 0.20)
BODIES = {'child': CHILD, 'adult': ADULT, 'tall': TALL}


@dataclass(frozen=True)
class Limb:
    """Two segments as (raise, forward) degrees each; see the module docstring."""

    upper: tuple[float, float] = (8.0, 5.0)
    lower: tuple[float, float] = (5.0, 15.0)


REST_ARM = Limb()
REST_LEG = Limb((2.0, 0.0), (2.0, 0.0))


@dataclass(frozen=True)
class Stance:
    left_arm: Limb = REST_ARM
    right_arm: Limb = REST_ARM
    left_leg: Limb = REST_LEG
    right_leg: Limb = REST_LEG
    lean: float = 0.0      # torso tilt in the frontal plane, + toward own left (degrees)
    bow: float = 0.0       # torso tilt toward the camera (degrees)
    bounce: float = 0.0    # vertical offset (m)


@dataclass(frozen=True)
class View:
    """How the camera sees the person: distance, roll, yaw and where in the image."""

    scale: float = 1.0     # 1.0: a 1.75 m adult is 400 px tall
    roll: float = 0.0      # camera roll, degrees
    yaw: float = 0.0       # person turned away from facing the camera, degrees
    cx: float = 320.0
    cy: float = 240.0


@dataclass(frozen=True)
class Noise:
    """Detector imperfections: pixel jitter, scores and dropped keypoints."""

    sigma_px: float = 0.6          # floor
    sigma_rel: float = 0.005       # times the person's height in pixels
    drop_rate: float = 0.01        # per keypoint per frame: score collapses, position junk
    score_low: float = 0.7
    score_high: float = 0.95


PX_PER_M = 400.0 / 1.75
NO_NOISE = Noise(0.0, 0.0, 0.0, 0.9, 0.9)


def _direction(seg: tuple[float, float], side: float) -> np.ndarray:
    r, f = math.radians(seg[0]), math.radians(seg[1])
    frontal = np.array([side * math.sin(r), -math.cos(r), 0.0])
    return math.cos(f) * frontal + math.sin(f) * np.array([0.0, 0.0, 1.0])


def skeleton(body: Body, stance: Stance) -> np.ndarray:
    """Place the 17 keypoints in the body frame (metres), feet on the ground."""
    pts = np.zeros((17, 3))
    legs = {}
    for side, leg, hip_k, knee_k, ankle_k in (
            (1.0, stance.left_leg, K.LEFT_HIP, K.LEFT_KNEE, K.LEFT_ANKLE),
            (-1.0, stance.right_leg, K.RIGHT_HIP, K.RIGHT_KNEE, K.RIGHT_ANKLE)):
        hip = np.array([side * body.hip_half, 0.0, 0.0])
        knee = hip + body.thigh * _direction(leg.upper, side)
        ankle = knee + body.shin * _direction(leg.lower, side)
        legs[hip_k], legs[knee_k], legs[ankle_k] = hip, knee, ankle
    ground = -min(legs[K.LEFT_ANKLE][1], legs[K.RIGHT_ANKLE][1]) + stance.bounce
    for k, p in legs.items():
        pts[int(k)] = p + [0.0, ground, 0.0]
    hip_centre = np.array([0.0, ground, 0.0])
    # Upper body built upright around the hip centre, then leaned and bowed.
    upper = {
        K.LEFT_SHOULDER: np.array([body.shoulder_half, body.torso, 0.0]),
        K.RIGHT_SHOULDER: np.array([-body.shoulder_half, body.torso, 0.0]),
        K.NOSE: np.array([0.0, body.torso + body.neck_to_nose, 0.09]),
        K.LEFT_EYE: np.array([body.eye_dx, body.torso + body.neck_to_nose + 0.035, 0.07]),
        K.RIGHT_EYE: np.array([-body.eye_dx, body.torso + body.neck_to_nose + 0.035, 0.07]),
        K.LEFT_EAR: np.array([body.ear_dx, body.torso + body.neck_to_nose + 0.02, -0.01]),
        K.RIGHT_EAR: np.array([-body.ear_dx, body.torso + body.neck_to_nose + 0.02, -0.01]),
    }
    for side, arm, sh, el, wr in ((1.0, stance.left_arm, K.LEFT_SHOULDER, K.LEFT_ELBOW,
                                   K.LEFT_WRIST),
                                  (-1.0, stance.right_arm, K.RIGHT_SHOULDER, K.RIGHT_ELBOW,
                                   K.RIGHT_WRIST)):
        upper[el] = upper[sh] + body.upper_arm * _direction(arm.upper, side)
        upper[wr] = upper[el] + body.forearm * _direction(arm.lower, side)
    lean, bow = math.radians(stance.lean), math.radians(stance.bow)
    r_lean = np.array([[math.cos(lean), -math.sin(lean), 0], [math.sin(lean), math.cos(lean), 0],
                       [0, 0, 1]])
    r_bow = np.array([[1, 0, 0], [0, math.cos(bow), -math.sin(bow)],
                      [0, math.sin(bow), math.cos(bow)]])
    # Positive lean tilts the upper body toward the person's left (+X).
    r_lean = r_lean.T
    for k, p in upper.items():
        pts[int(k)] = hip_centre + r_lean @ (r_bow @ p)
    return pts


def render(body: Body, stance: Stance, view: View, rng: np.random.Generator | None,
           noise: Noise = Noise(), track_id: int = -1) -> Pose:
    """Project one posed person into the image, with detector-like noise."""
    pts = skeleton(body, stance)
    yaw = math.radians(view.yaw)
    x = pts[:, 0] * math.cos(yaw) + pts[:, 2] * math.sin(yaw)
    z = -pts[:, 0] * math.sin(yaw) + pts[:, 2] * math.cos(yaw)
    ppm = PX_PER_M * view.scale
    # Image x right = person's left when facing the camera; image y down.
    u = x * ppm
    v = -(pts[:, 1] - body.height / 2) * ppm
    roll = math.radians(view.roll)
    xy = np.stack([u * math.cos(roll) - v * math.sin(roll),
                   u * math.sin(roll) + v * math.cos(roll)], axis=1) + [view.cx, view.cy]
    score = np.full(17, 0.9)
    if rng is not None:
        height_px = body.height * ppm
        sigma = noise.sigma_px + noise.sigma_rel * height_px
        jitter = np.ones(17)
        jitter[[K.LEFT_WRIST, K.RIGHT_WRIST]] = 1.5
        jitter[[K.LEFT_HIP, K.RIGHT_HIP]] = 1.3
        xy = xy + rng.normal(0.0, 1.0, (17, 2)) * (sigma * jitter)[:, None]
        score = rng.uniform(noise.score_low, noise.score_high, 17)
        score[z < -0.06] *= 0.6  # the far side, hidden behind the body
        dropped = rng.random(17) < noise.drop_rate
        score[dropped] = rng.uniform(0.0, 0.15, int(dropped.sum()))
        xy[dropped] += rng.normal(0.0, 0.3 * height_px, (int(dropped.sum()), 2))
    kp = np.concatenate([xy, score[:, None]], axis=1).astype(np.float32)
    visible = kp[kp[:, 2] > 0.3]
    box = (float(visible[:, 0].min()) - 10, float(visible[:, 1].min()) - 10,
           float(visible[:, 0].max()) + 10, float(visible[:, 1].max()) + 10)
    return Pose(kp, float(np.mean(score)), box, track_id)


FOCAL_PX = 500.0  # a 640x480 camera with about 65 degrees of horizontal view


def render_at(body: Body, stance: Stance, distance: float, x_m: float = 0.0,
              rng: np.random.Generator | None = None, noise: Noise = NO_NOISE,
              track_id: int = -1, depth: bool = True, width: int = 640,
              height: int = 480) -> Pose:
    """Place a person ``distance`` m in front of a level pinhole camera, ``x_m`` to its right.

    The keypoints are the person's pixels at that range (as ``render`` draws them, scaled
    by ``FOCAL_PX / distance``), and with ``depth`` they carry the joints' positions in the
    camera's optical frame (x right, y down, z forward): what pose_node gives with depth on.
    """
    scale = FOCAL_PX / distance / PX_PER_M
    # Hips at the image's middle row: a camera at hip height.
    pts = skeleton(body, stance)
    hip_y = float(np.mean(pts[[int(K.LEFT_HIP), int(K.RIGHT_HIP)], 1]))
    cy = height / 2 + (hip_y - body.height / 2) * FOCAL_PX / distance
    pose = render(body, stance, View(scale, 0.0, 0.0, width / 2 + FOCAL_PX * x_m / distance, cy),
                  rng, noise, track_id)
    if not depth:
        return pose
    return replace(pose, positions=np.stack(
        [x_m + pts[:, 0], hip_y - pts[:, 1], distance - pts[:, 2]], axis=1))


# -- stances --------------------------------------------------------------------------

def _lerp(a, b, w: float):
    if isinstance(a, (int, float)):
        return a + (b - a) * w
    if isinstance(a, tuple):
        return tuple(_lerp(x, y, w) for x, y in zip(a, b))
    return type(a)(**{f: _lerp(getattr(a, f), getattr(b, f), w)
                      for f in a.__dataclass_fields__})


def blend(a: Stance, b: Stance, w: float) -> Stance:
    """Stance ``w`` of the way from ``a`` to ``b`` (angles interpolated)."""
    return _lerp(a, b, min(1.0, max(0.0, w)))


def arm(upper_raise, upper_fwd, lower_raise, lower_fwd) -> Limb:
    return Limb((upper_raise, upper_fwd), (lower_raise, lower_fwd))


REST = Stance()

# The default gestures, as a person would make them after reading the table.
GESTURE_STANCES: dict[str, Stance] = {
    # Hands together above the head: arms up, slightly bent, wrists meeting.
    'engage': Stance(left_arm=arm(172, 5, 218, 5), right_arm=arm(172, 5, 218, 5)),
    # Arms crossed in front of the chest.
    'stop': Stance(left_arm=arm(-10, 45, -80, 20), right_arm=arm(-10, 45, -75, 25)),
    # Goal post: upper arms out sideways, forearms straight up.
    'forward': Stance(left_arm=arm(90, 0, 178, 0), right_arm=arm(90, 0, 178, 0)),
    # Low V: both arms straight, held out and down.
    'back': Stance(left_arm=arm(48, 5, 48, 5), right_arm=arm(48, 5, 48, 5)),
    # Right arm straight out sideways (the robot's left), left arm down.
    'turn_left': Stance(right_arm=arm(90, 0, 92, 0)),
    # Left arm straight out sideways (the robot's right), right arm down.
    'turn_right': Stance(left_arm=arm(90, 0, 92, 0)),
    # Right arm straight up, left arm down (follow me).
    'follow_me': Stance(right_arm=arm(172, 5, 176, 5)),
}


def _tremor(stance: Stance, t: float, phase: np.ndarray, amp: float = 2.5) -> Stance:
    """Small slow wobbles of the arms, as nobody holds a pose perfectly still."""
    def limb(lm: Limb, i: int) -> Limb:
        w = [amp * math.sin(2 * math.pi * (0.4 + 0.13 * j) * t + phase[i * 4 + j])
             for j in range(4)]
        return Limb((lm.upper[0] + w[0], lm.upper[1] + w[1]),
                    (lm.lower[0] + w[2], lm.lower[1] + w[3]))
    return replace(stance, left_arm=limb(stance.left_arm, 0), right_arm=limb(stance.right_arm, 1),
                   lean=stance.lean + 0.5 * amp * math.sin(0.7 * t + phase[8]))


StanceFn = Callable[[float], Stance]
ViewFn = Callable[[float], View]


@dataclass
class Sequence:
    """A motion sampled at 30 Hz: frames with their timestamps."""

    times: list[float] = field(default_factory=list)
    poses: list[Pose] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.times)

    def __add__(self, other: Sequence) -> Sequence:
        offset = (self.times[-1] + 1.0 / FPS) if self.times else 0.0
        return Sequence(self.times + [t + offset for t in other.times],
                        self.poses + other.poses)


def sample(stance_fn: StanceFn, duration: float, body: Body, view: View | ViewFn,
           rng: np.random.Generator | None, noise: Noise = Noise(),
           track_id: int = -1) -> Sequence:
    """Render ``stance_fn`` every 1/30 s for ``duration`` seconds."""
    seq = Sequence()
    for i in range(int(round(duration * FPS))):
        t = i / FPS
        v = view(t) if callable(view) else view
        seq.times.append(t)
        seq.poses.append(render(body, stance_fn(t), v, rng, noise, track_id))
    return seq


def gesture_motion(name: str, hold: float, rng: np.random.Generator, rest: float = 0.5,
                   ramp: float = 0.4) -> StanceFn:
    """Rest, move into the gesture, hold it for ``hold`` s with a tremor, move back, rest."""
    target = GESTURE_STANCES[name]
    phase = rng.uniform(0, 2 * math.pi, 9)

    def at(t: float) -> Stance:
        if t < rest:
            w = 0.0
        elif t < rest + ramp:
            w = (t - rest) / ramp
        elif t < rest + ramp + hold:
            w = 1.0
        else:
            w = 1.0 - (t - rest - ramp - hold) / ramp
        return _tremor(blend(REST, target, w), t, phase)
    return at


def swing_through(name: str, through: float) -> StanceFn:
    """Rest -> gesture -> rest in one continuous swing lasting ``through`` seconds."""
    target = GESTURE_STANCES[name]

    def at(t: float) -> Stance:
        w = math.sin(math.pi * min(1.0, max(0.0, t / through)))
        return blend(REST, target, w)
    return at


# -- everyday movement ------------------------------------------------------------------

def walking(rng: np.random.Generator, speed_px: float = 60.0, yaw: float = 90.0,
            base: View = View()) -> tuple[StanceFn, ViewFn]:
    """Walk across the image (side view by default), arms and legs swinging."""
    phase = rng.uniform(0, 2 * math.pi)
    f = rng.uniform(0.8, 1.0)   # strides per second

    def stance(t: float) -> Stance:
        s = math.sin(2 * math.pi * f * t + phase)
        return Stance(left_arm=arm(8, -25 * s, 8, -25 * s + 20),
                      right_arm=arm(8, 25 * s, 8, 25 * s + 20),
                      left_leg=Limb((3, 25 * s), (3, 25 * s - 15 * abs(s))),
                      right_leg=Limb((3, -25 * s), (3, -25 * s - 15 * abs(s))),
                      bounce=0.02 * abs(math.cos(2 * math.pi * f * t + phase)))

    def view(t: float) -> View:
        x = (base.cx - 400 + speed_px * t) % 1040 - 200
        return replace(base, cx=x, yaw=yaw)
    return stance, view


def waving(rng: np.random.Generator, big: float = 0.0) -> StanceFn:
    """Waving at someone with the right hand; ``big`` alternates with straight-arm waves."""
    phase = rng.uniform(0, 2 * math.pi)
    f = rng.uniform(2.0, 3.0)

    def at(t: float) -> Stance:
        s = math.sin(2 * math.pi * f * t + phase)
        cycle = t % 8.0
        if cycle < 1.0 or cycle > 7.0:
            return _tremor(REST, t, np.zeros(9))
        if big and cycle > 4.0:   # a big straight-arm wave over the head
            return Stance(right_arm=arm(158 + 20 * s, 10, 160 + 22 * s, 10))
        return Stance(right_arm=arm(115 + 5 * s, 15, 165 + 30 * s, 10))
    return at


def waving_both(rng: np.random.Generator) -> StanceFn:
    """Both arms waving over the head to be seen ('over here!')."""
    phase = rng.uniform(0, 2 * math.pi)
    f = rng.uniform(1.0, 1.5)

    def at(t: float) -> Stance:
        s = math.sin(2 * math.pi * f * t + phase)
        if t % 6.0 > 4.0:
            return REST
        return Stance(left_arm=arm(150 + 35 * s, 10, 150 + 45 * s, 10),
                      right_arm=arm(150 + 35 * s, 10, 150 + 45 * s, 10))
    return at


def scratching_head(rng: np.random.Generator) -> StanceFn:
    """Scratching the top/back of the head, one hand then the other, then both behind it."""
    phase = rng.uniform(0, 2 * math.pi)

    def at(t: float) -> Stance:
        s = math.sin(2 * math.pi * 3.0 * t + phase)
        cycle = t % 12.0
        scratch = arm(125 + 3 * s, 20, 228 + 8 * s, 10)
        if cycle < 1.5 or 5.5 < cycle < 6.5:
            return REST
        if cycle < 5.5:
            return Stance(right_arm=scratch)
        if cycle < 9.0:
            return Stance(left_arm=scratch)
        behind = arm(112, -5, 245, -20)   # hands clasped behind the head, elbows out
        return Stance(left_arm=behind, right_arm=behind)
    return at


def dancing(rng: np.random.Generator) -> StanceFn:
    """Free dancing: both arms and the hips moving all the time at 0.5..2 Hz."""
    ph = rng.uniform(0, 2 * math.pi, 12)
    fr = rng.uniform(0.5, 2.0, 12)

    def osc(i: int, t: float) -> float:
        return math.sin(2 * math.pi * fr[i] * t + ph[i])

    def at(t: float) -> Stance:
        return Stance(
            left_arm=arm(80 + 70 * osc(0, t), 30 + 30 * osc(1, t),
                          100 + 90 * osc(2, t), 30 + 30 * osc(3, t)),
            right_arm=arm(80 + 70 * osc(4, t), 30 + 30 * osc(5, t),
                           100 + 90 * osc(6, t), 30 + 30 * osc(7, t)),
            left_leg=Limb((5 + 10 * osc(8, t), 20 * osc(9, t)), (3, 10 * osc(9, t))),
            right_leg=Limb((5 - 10 * osc(8, t), -20 * osc(9, t)), (3, -10 * osc(9, t))),
            lean=12 * osc(10, t), bounce=0.04 * abs(osc(11, t)))
    return at


def dancing_view(rng: np.random.Generator, base: View = View()) -> ViewFn:
    """Dancers turn and sway: the yaw wanders over +-40 degrees."""
    ph = rng.uniform(0, 2 * math.pi)
    return lambda t: replace(base, yaw=base.yaw + 40 * math.sin(2 * math.pi * 0.15 * t + ph))


def sitting_down(rng: np.random.Generator, stand: float = 1.0, down: float = 1.5) -> StanceFn:
    """Stand, sit down on a chair (hands on the armrests), then sit and fidget."""
    ph = rng.uniform(0, 2 * math.pi, 4)
    armrest = arm(22, 35, 15, 75)
    seated = Stance(left_arm=armrest, right_arm=armrest,
                    left_leg=Limb((8, 85), (3, 5)), right_leg=Limb((8, 85), (3, 5)))
    lap = arm(12, 40, 25, 80)

    def at(t: float) -> Stance:
        if t < stand:
            return REST
        w = (t - stand) / down
        if w < 1.0:
            bowing = replace(blend(REST, seated, w), bow=35 * math.sin(math.pi * w))
            return bowing
        # Fidgeting: hands move between armrests and lap, a hand to the chin now and then.
        u = t - stand - down
        s = 0.5 + 0.5 * math.sin(2 * math.pi * 0.1 * u + ph[0])
        st = replace(seated, left_arm=_lerp(armrest, lap, s),
                     right_arm=_lerp(armrest, lap, 1 - s),
                     bow=8 * math.sin(2 * math.pi * 0.05 * u + ph[1]))
        if u % 20.0 > 16.0:
            st = replace(st, right_arm=arm(20, 60, 150, 40))   # chin in hand
        return st
    return at


# -- driving a Teleop --------------------------------------------------------------------

@dataclass
class Drive:
    """What a Teleop published while a sequence played."""

    commands: list[tuple[float, Command | None]] = field(default_factory=list)
    engaged: list[tuple[float, bool]] = field(default_factory=list)
    events: list = field(default_factory=list)

    @property
    def published(self) -> list[tuple[float, Command]]:
        return [(t, c) for t, c in self.commands if c is not None]

    @property
    def motion(self) -> list[tuple[float, Command]]:
        return [(t, c) for t, c in self.published if not c.is_zero]


def drive(teleop: Teleop, frames: list[tuple[float, list[Pose]]], start: float = 0.0,
          latency: float = 0.05, result: Drive | None = None) -> Drive:
    """Feed frames (time, people) to ``teleop`` and tick after each, as the node would."""
    out = result or Drive()
    for t, poses in frames:
        now = start + t + latency
        teleop.update(poses, start + t, now)
        out.commands.append((now, teleop.tick(now)))
        out.engaged.append((now, teleop.engaged))
        out.events.extend(teleop.drain_events())
    return out


def frames(seq: Sequence) -> list[tuple[float, list[Pose]]]:
    """One person per frame."""
    return [(t, [p]) for t, p in zip(seq.times, seq.poses)]
