"""Body-relative measurements of one person, the only thing gestures are allowed to look at.

Gestures must mean the same thing whether the person is a child or a tall adult,
near or far, and whether the camera (or the person) is tilted. So nothing here is
measured against the image axes or in pixels:

* ``angle(a, b, c)``: the angle at ``b`` between ``b->a`` and ``b->c``, in degrees,
  0..180 (180 = straight, e.g. a straight elbow).
* ``direction(a, b)``: where ``a->b`` points in the person's own torso frame, in
  degrees, -180..180: 0 = along the torso up axis (hip centre -> shoulder centre),
  +90 = toward the person's own LEFT side, -90 = toward their own right side,
  +-180 = down. Avoid thresholds near +-180 (the value wraps there); use
  ``elevation`` for "how high".
* ``elevation(a, b)``: how far ``a->b`` is raised from the torso's down axis, in
  degrees, 0..180, whichever side: 0 = hanging down, 90 = straight out sideways,
  180 = straight up. ``elevation(left_shoulder, left_wrist)`` is the arm raise.
* ``up(a, b)``: how far ``b`` is above ``a`` along the torso up axis, in body
  lengths (negative = below).
* ``left(a, b)``: how far ``b`` is toward the person's own left of ``a``, in body
  lengths (negative = toward their right).
* ``distance(a, b)``: the distance between ``a`` and ``b``, in body lengths.
* ``speed(a, b)``: how fast ``b`` moves relative to ``a``, in body lengths per second,
  over the last ``SPEED_WINDOW_S`` (measured in each frame's own torso frame, so walking
  or turning does not count). A held pose is still; an arm passing through it on the way
  to a wave is not, and the rendered-people benchmark found two such passes that a hold
  time alone let through. Unknown until the person has been seen for the window, and
  when the frames come further apart than ``SPEED_MAX_GAP_S``.

Where the pose has 3D positions (``Pose.positions``, metres, from an aligned depth
image), four more features measure the body as it is rather than its image. Each is
unknown (``None``) without positions, so a gesture that needs one never fires from a
camera without depth; and each is measured between body points, so it is the same
whichever way the person faces:

* ``angle3d(a, b, c)``: the angle at ``b`` in 3D, degrees, 0..180.
* ``elevation3d(a, b)``: how far ``a->b`` is raised from the torso's 3D down axis
  (shoulder centre -> hip centre), degrees, 0..180. Unlike ``elevation`` it sees an arm
  held out toward the camera as raised (90), not as hanging.
* ``toward(a, b)``: how much nearer the camera ``b`` is than ``a``, along the line of
  sight from the camera to the torso centre, in 3D body lengths (negative = farther).
  ``toward(left_shoulder, left_wrist)`` near 1 is an arm reaching straight at the
  camera, which an image foreshortens into nothing.
* ``distance3d(a, b)``: the 3D distance, in 3D body lengths.

A 3D body length is the torso length in metres; these features need both hips and both
shoulders with positions (no shoulder-line fallback: in 3D one line does not give an
up axis).

A body length is the torso length (hip centre to shoulder centre). When the hips
are not visible (a person close to the camera), the frame falls back to the
shoulder line: the up axis is perpendicular to it and the body length is the
shoulder width times ``SHOULDER_TO_TORSO``.

The frame assumes the person faces the camera, as a person steering the robot
does: their left side appears on the image right (image x right, y down).

Besides the 17 COCO keypoints (``left_wrist``...), two virtual points may be
used: ``mid_shoulder`` and ``mid_hip``.

A keypoint scoring below the minimum score is unknown, and so is every feature
that needs it: the value is ``None``, never 0, so that a missed detection can
never look like a pose.

Hands (``Pose.hands``, 21 landmarks each) have features of their own. Their first argument
is the hand, ``left_hand`` or ``right_hand`` (the person's own, as for the body); where a
finger is named it is one of ``thumb``, ``index``, ``middle``, ``ring``, ``pinky``. Each is
unknown when the person has no such hand (hands off, or not found) or when a landmark it
needs scores below the minimum score (the hand model gives each landmark the hand's
presence score):

* ``curl(hand, finger)``: how bent the finger is, degrees, the mean of the bends at its
  joints (0 = straight, 90 = every joint at a right angle): a finger at its knuckle (MCP),
  middle (PIP) and end (DIP) joints, the thumb at its own MCP and IP. From joint angles,
  so it does not depend on the hand's size or distance. "Index extended, others curled"
  is ``curl(right_hand, index)`` below 25 and the other fingers' curls above 58. In the
  image a straight finger stays straight (0) from every side, while a curled one bending
  toward or away from the camera is foreshortened: the tests' synthetic fists, 80 at each
  joint, read 62 to 72 palm or back to the camera and 80 side on. A finger bent in a
  plane through the camera shows each bend as 0 or 180, so one curled past 180 in all
  (a fist's) never reads below 60. A straight finger pointing at the camera reads noise.
* ``pointing(hand, finger)``: where the finger points, knuckle (MCP) to tip, in the torso
  frame as ``direction``: 0 = up along the torso, +90 = toward the person's own left, -90
  their right, +-180 down (it wraps there). ``pointing(right_hand, thumb)`` near 0 is a
  thumb up for the person whatever the camera's roll. Unknown when the finger is shorter
  than ``MIN_POINTING_LENGTH`` hand lengths in the image (pointing at the camera: no
  direction) and when the torso frame is.
* ``palm(hand)``: the angle between the palm's outward normal and the camera, degrees,
  0..180: 0 = palm square to the camera, 90 = edge on, 180 = back of the hand to the
  camera. The normal is wrist->index knuckle x wrist->pinky knuckle, turned by which hand it
  is (that cross product points out of a right palm and out of the back of a left hand, so
  its sign in the image flips both between hands and between palm and back). With 3D
  positions for those three landmarks it is measured in 3D, against the line from the palm
  to the camera; else it is estimated from the image (``hand_shape.palm_facing_image``):
  which side faces the camera is as reliable as the triangle's orientation, so not near
  edge on, where a few pixels of landmark error turn the triangle over; the angle itself
  follows the 3D one for a palm shaped like the rendered rig's: on the synthetic hands of
  the tests, 13 degrees off the camera's axis and turned about their long axis, within 4
  degrees from 40 to 140 and within 14 near 0 and 180 (where the arc cosine is steep: a
  palm 10 % narrower or wider than the rig's reads about 25 when square on).
* ``pinch(hand)``: the distance from the thumb tip to the index tip, in hand lengths.

A hand length is the palm's length in the image, wrist to the middle finger's knuckle
(MCP), or its knuckles' width (index to pinky MCP) over ``hand_shape.KNUCKLE_WIDTH`` where
that is longer, so a hand whose fingers point at the camera keeps its size. Hand features
use no 3D positions but ``palm``'s: a depth image does not resolve finger joints.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
import math
import re

import numpy as np

from pose_ros.core.hand import Handedness, HandLandmark, HandPose
from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.core.vectors import angle_between
from pose_ros.gestures import hand_shape
from pose_ros.gestures.hand_shape import FINGER_NAMES, FINGERS, HAND_SIZE, PALM

# Torso length over shoulder width for an average adult facing the camera; only used
# to size the body length when the hips are not visible.
SHOULDER_TO_TORSO = 1.3

VIRTUAL_POINTS: tuple[str, ...] = ('mid_shoulder', 'mid_hip')
POINT_NAMES: tuple[str, ...] = tuple(k.name.lower() for k in Keypoint) + VIRTUAL_POINTS

# Feature kind -> (number of points, unit). The unit names the hysteresis bucket.
FEATURE_KINDS: dict[str, tuple[int, str]] = {
    'angle': (3, 'degrees'),
    'direction': (2, 'degrees'),
    'elevation': (2, 'degrees'),
    'up': (2, 'body'),
    'left': (2, 'body'),
    'distance': (2, 'body'),
    'speed': (2, 'speed'),
    'angle3d': (3, 'degrees'),
    'elevation3d': (2, 'degrees'),
    'toward': (2, 'body'),
    'distance3d': (2, 'body'),
    'curl': (2, 'degrees'),
    'pointing': (2, 'degrees'),
    'palm': (1, 'degrees'),
    'pinch': (1, 'hand'),
}
# The kinds measured on 3D positions, unknown without them.
KINDS_3D: frozenset[str] = frozenset({'angle3d', 'elevation3d', 'toward', 'distance3d'})
# The kinds measured on a hand, and what each of their arguments names.
HAND_KINDS: dict[str, tuple[str, ...]] = {
    'curl': ('hand', 'finger'),
    'pointing': ('hand', 'finger'),
    'palm': ('hand',),
    'pinch': ('hand',),
}
HANDS: dict[str, Handedness] = {'left_hand': Handedness.LEFT, 'right_hand': Handedness.RIGHT}
HAND_NAMES: tuple[str, ...] = tuple(HANDS)
# 'hand': hand lengths (pinch).
UNITS: tuple[str, ...] = ('degrees', 'body', 'speed', 'hand')
# pointing() needs the finger at least this long in the image, in hand lengths: an index
# finger held straight is about 0.75, so this is one pointing within about 25 degrees of
# the camera, whose direction in the image is noise.
MIN_POINTING_LENGTH = 0.3
# speed() compares a frame with the newest one at least this much older (s) ...
SPEED_WINDOW_S = 0.2
# ... when there is one at most this much older; else the speed is unknown.
SPEED_MAX_GAP_S = 1.0

_FEATURE_RE = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*$')
_EPS = 1e-6


class FeatureError(ValueError):
    """A feature string that does not name a known feature of known keypoints."""


@dataclass(frozen=True)
class FeatureSpec:
    """One parsed feature: its kind and the points it measures."""

    kind: str
    points: tuple[str, ...]

    @property
    def name(self) -> str:
        return f'{self.kind}({", ".join(self.points)})'

    @property
    def unit(self) -> str:
        return FEATURE_KINDS[self.kind][1]

    @property
    def keypoints(self) -> frozenset[Keypoint]:
        """COCO keypoints whose score decides whether the feature is known."""
        if self.kind in HAND_KINDS:
            return frozenset()
        out: set[Keypoint] = set()
        for p in self.points:
            out.update(_point_sources(p))
        return frozenset(out)

    @property
    def side(self) -> Handedness | None:
        """Return the hand a hand feature measures; None for a body feature."""
        return HANDS[self.points[0]] if self.kind in HAND_KINDS else None

    @property
    def hand_landmarks(self) -> tuple[HandLandmark, ...]:
        """Landmarks of ``side`` the feature needs, in the order it reads them."""
        if self.kind == 'curl':
            return hand_shape.curl_chain(self.points[1])
        if self.kind == 'pointing':
            joints = FINGERS[self.points[1]]
            base = joints[1] if self.points[1] == 'thumb' else joints[0]  # the MCP
            return (base, joints[-1]) + HAND_SIZE
        if self.kind == 'pinch':
            return (HandLandmark.THUMB_TIP, HandLandmark.INDEX_TIP) + HAND_SIZE
        if self.kind == 'palm':
            return HAND_SIZE
        return ()

    @property
    def hand_points(self) -> frozenset[tuple[Handedness, HandLandmark]]:
        """(side, landmark) pairs whose score decides whether the feature is known."""
        side = self.side
        return frozenset() if side is None else frozenset((side, lm)
                                                          for lm in self.hand_landmarks)


def _point_sources(point: str) -> tuple[Keypoint, ...]:
    if point == 'mid_shoulder':
        return (Keypoint.LEFT_SHOULDER, Keypoint.RIGHT_SHOULDER)
    if point == 'mid_hip':
        return (Keypoint.LEFT_HIP, Keypoint.RIGHT_HIP)
    return (Keypoint[point.upper()],)


def parse_feature(text: str) -> FeatureSpec:
    """Parse ``kind(point, ...)``; errors list what would have been valid."""
    match = _FEATURE_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise FeatureError(
            f'feature {text!r} is not of the form kind(point, ...); '
            f'valid kinds: {", ".join(FEATURE_KINDS)}')
    kind = match.group(1).lower()
    if kind not in FEATURE_KINDS:
        raise FeatureError(
            f'unknown feature {kind!r} in {text!r}; valid features: {", ".join(FEATURE_KINDS)}')
    points = tuple(p.strip().lower() for p in match.group(2).split(','))
    if kind in HAND_KINDS:
        return _parse_hand_feature(kind, points, text)
    arity = FEATURE_KINDS[kind][0]
    if len(points) != arity:
        raise FeatureError(
            f'feature {kind!r} takes {arity} keypoints, got {len(points)} in {text!r}')
    for p in points:
        if p not in POINT_NAMES:
            hint = ''
            if p in HANDS or p in FINGER_NAMES:
                hint = (f'; hands and fingers are measured by the hand features '
                        f'({", ".join(HAND_KINDS)}), e.g. curl(left_hand, index)')
            raise FeatureError(
                f'unknown keypoint {p!r} in {text!r}; valid keypoints: {", ".join(POINT_NAMES)}'
                + hint)
    if len(set(points)) != len(points):
        raise FeatureError(f'feature {text!r} uses the same keypoint twice')
    return FeatureSpec(kind, points)


def _parse_hand_feature(kind: str, points: tuple[str, ...], text: str) -> FeatureSpec:
    roles = HAND_KINDS[kind]
    example = f'{kind}({", ".join(("left_hand", "index")[:len(roles)])})'
    if len(points) != len(roles):
        wants = 'a hand and a finger' if len(roles) == 2 else 'a hand'
        raise FeatureError(f'feature {kind!r} takes {wants}, e.g. {example}; got '
                           f'{len(points)} argument{"s" if len(points) != 1 else ""} in {text!r}')
    if points[0] not in HANDS:
        raise FeatureError(f'unknown hand {points[0]!r} in {text!r}; valid hands: '
                           f'{", ".join(HAND_NAMES)} (e.g. {example})')
    if len(roles) == 2 and points[1] not in FINGERS:
        raise FeatureError(f'unknown finger {points[1]!r} in {text!r}; valid fingers: '
                           f'{", ".join(FINGER_NAMES)}')
    return FeatureSpec(kind, points)


class FeatureSet:
    """Features of one pose at one minimum score, computed lazily and cached.

    Index with a feature string or a ``FeatureSpec``; the result is a float or
    ``None`` when any keypoint it needs (or the torso frame) is unknown.
    """

    def __init__(self, pose: Pose, min_score: float, past: FeatureSet | None = None,
                 past_dt: float = 0.0) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f'min_score must be within [0, 1], got {min_score}')
        self.pose = pose
        # The same person ``past_dt`` seconds earlier, for speed(); None: speed unknown.
        self.past = past if past is not None and past_dt > _EPS else None
        self.past_dt = float(past_dt)
        self.min_score = float(min_score)
        kp = pose.keypoints.astype(np.float64)
        self._xy = kp[:, :2]
        self._known = np.isfinite(kp).all(axis=1) & (kp[:, 2] >= self.min_score)
        if pose.positions is not None:
            self._xyz = pose.positions
            self._known_3d = self._known & np.isfinite(self._xyz).all(axis=1)
        else:
            self._xyz, self._known_3d = None, np.zeros_like(self._known)
        self._cache: dict[FeatureSpec, float | None] = {}
        self._hands: dict[Handedness, HandPose] = {h.side: h for h in pose.hands}
        self._frame = self._torso_frame()
        self._frame_3d: tuple[np.ndarray, float] | None | bool = False  # False: not yet

    # -- points and frame -------------------------------------------------------
    def point(self, name: str) -> np.ndarray | None:
        """Image position of a named (possibly virtual) point, or None when unknown."""
        sources = _point_sources(name)
        if not all(self._known[int(k)] for k in sources):
            return None
        return np.mean([self._xy[int(k)] for k in sources], axis=0)

    def position(self, name: str) -> np.ndarray | None:
        """3D position (metres) of a named point, or None when it has none or scores low."""
        sources = _point_sources(name)
        if self._xyz is None or not all(self._known_3d[int(k)] for k in sources):
            return None
        return np.mean([self._xyz[int(k)] for k in sources], axis=0)

    def hand_point(self, side: Handedness, landmark: HandLandmark) -> np.ndarray | None:
        """Image position of one landmark of the person's ``side`` hand, or None when unknown."""
        hand = self._hands.get(side)
        if hand is None:
            return None
        x, y, score = (float(v) for v in hand.keypoints[int(landmark)])
        if not (math.isfinite(x) and math.isfinite(y) and score >= self.min_score):
            return None
        return np.array([x, y])

    def hand_position(self, side: Handedness, landmark: HandLandmark) -> np.ndarray | None:
        """3D position (metres) of one hand landmark, or None without one or when it is unknown."""
        hand = self._hands.get(side)
        if hand is None or hand.positions is None or self.hand_point(side, landmark) is None:
            return None
        xyz = hand.positions[int(landmark)]
        return xyz.copy() if np.isfinite(xyz).all() else None

    def _torso_frame_3d(self) -> tuple[np.ndarray, float] | None:
        """Return the 3D down axis (unit) and the torso length in metres; computed once."""
        if self._frame_3d is False:
            self._frame_3d = None
            shoulders, hips = self.position('mid_shoulder'), self.position('mid_hip')
            if shoulders is not None and hips is not None:
                down = hips - shoulders
                length = float(np.linalg.norm(down))
                if length > _EPS:
                    self._frame_3d = (down / length, length)
        return self._frame_3d

    def _torso_frame(self) -> tuple[np.ndarray, np.ndarray, float] | None:
        shoulders = self.point('mid_shoulder')
        if shoulders is None:
            return None
        hips = self.point('mid_hip')
        if hips is not None:
            axis = shoulders - hips
            length = float(np.hypot(*axis))
            if length > _EPS:
                up = axis / length
                return up, np.array([-up[1], up[0]]), length
        line = self._xy[int(Keypoint.LEFT_SHOULDER)] - self._xy[int(Keypoint.RIGHT_SHOULDER)]
        width = float(np.hypot(*line))
        if width <= _EPS:
            return None
        left = line / width
        return np.array([left[1], -left[0]]), left, width * SHOULDER_TO_TORSO

    @property
    def frame_known(self) -> bool:
        """Tell whether body-relative features (up, left, elevation) can be known at all."""
        return self._frame is not None

    @property
    def body_length(self) -> float | None:
        """Pixels per body length, or None when the torso frame is unknown."""
        return None if self._frame is None else self._frame[2]

    # -- features -----------------------------------------------------------------
    def __getitem__(self, feature: str | FeatureSpec) -> float | None:
        spec = feature if isinstance(feature, FeatureSpec) else parse_feature(feature)
        if spec not in self._cache:
            self._cache[spec] = self._compute(spec)
        return self._cache[spec]

    def get(self, feature: str | FeatureSpec) -> float | None:
        return self[feature]

    def _compute(self, spec: FeatureSpec) -> float | None:
        if spec.kind == 'speed':
            return self._speed(*spec.points)
        if spec.kind in KINDS_3D:
            return self._compute_3d(spec)
        if spec.kind in HAND_KINDS:
            return self._compute_hand(spec)
        pts = [self.point(p) for p in spec.points]
        if any(p is None for p in pts):
            return None
        if spec.kind == 'angle':
            a, b, c = pts
            return angle_between(a - b, c - b)
        if self._frame is None:
            return None
        up, left, length = self._frame
        v = pts[1] - pts[0]
        if spec.kind == 'elevation':
            return angle_between(v, -up)   # the kinematics' shoulder and hip angles too
        if spec.kind == 'direction':
            return self._direction(v)
        along_up, along_left = float(np.dot(v, up)), float(np.dot(v, left))
        if spec.kind == 'up':
            return along_up / length
        if spec.kind == 'left':
            return along_left / length
        return math.hypot(along_up, along_left) / length

    def _direction(self, v: np.ndarray) -> float | None:
        """Return where image vector ``v`` points in the torso frame (see ``direction``)."""
        if self._frame is None:
            return None
        up, left, _ = self._frame
        along_up, along_left = float(np.dot(v, up)), float(np.dot(v, left))
        if math.hypot(along_up, along_left) <= _EPS:
            return None
        return math.degrees(math.atan2(along_left, along_up))

    def _compute_hand(self, spec: FeatureSpec) -> float | None:
        side = spec.side
        landmarks = spec.hand_landmarks
        pts = [self.hand_point(side, lm) for lm in landmarks]
        if any(p is None for p in pts):
            return None
        if spec.kind == 'curl':
            return hand_shape.curl(np.array(pts))
        at = dict(zip(landmarks, pts))
        length = hand_shape.hand_length(*(at[lm] for lm in HAND_SIZE))
        if length is None:
            return None
        if spec.kind == 'pinch':
            return float(np.linalg.norm(pts[1] - pts[0])) / length
        if spec.kind == 'pointing':
            v = pts[1] - pts[0]
            if float(np.linalg.norm(v)) < MIN_POINTING_LENGTH * length:
                return None
            return self._direction(v)
        positions = [self.hand_position(side, lm) for lm in PALM]
        if all(p is not None for p in positions):
            return hand_shape.palm_facing_3d(side, *positions)
        return hand_shape.palm_facing_image(side, *(at[lm] for lm in PALM), length)

    def _compute_3d(self, spec: FeatureSpec) -> float | None:
        pts = [self.position(p) for p in spec.points]
        if any(p is None for p in pts):
            return None
        if spec.kind == 'angle3d':
            a, b, c = pts
            return angle_between(a - b, c - b)
        frame = self._torso_frame_3d()
        if frame is None:
            return None
        down, length = frame
        v = pts[1] - pts[0]
        if spec.kind == 'elevation3d':
            return angle_between(v, down)
        if spec.kind == 'distance3d':
            return float(np.linalg.norm(v)) / length
        # toward: along the line of sight to the torso centre, nearer = positive. The
        # person's own line of sight, so an arm held sideways is 0 wherever they stand.
        sight = self.position('mid_shoulder') + self.position('mid_hip')
        norm = float(np.linalg.norm(sight))
        if norm <= _EPS:
            return None
        return -float(np.dot(v, sight / norm)) / length

    def _offset(self, a: str, b: str) -> np.ndarray | None:
        """Where ``b`` is from ``a`` in body lengths, (up, left) in the torso frame."""
        up, left = self[FeatureSpec('up', (a, b))], self[FeatureSpec('left', (a, b))]
        return None if up is None or left is None else np.array([up, left])

    def _speed(self, a: str, b: str) -> float | None:
        if self.past is None:
            return None
        now, then = self._offset(a, b), self.past._offset(a, b)
        if now is None or then is None:
            return None
        return float(np.hypot(*(now - then))) / self.past_dt

    def mean_score(self, keypoints: frozenset[Keypoint] | set[Keypoint],
                   hand_points: frozenset[tuple[Handedness, HandLandmark]] = frozenset()
                   ) -> float:
        """Mean detector score of some keypoints: the confidence reported with a gesture.

        ``hand_points`` (side, landmark) count too where the person has that hand; the
        pose's own score when none of them is there.
        """
        scores = [float(self.pose.keypoints[int(k), 2]) for k in keypoints]
        for side, landmark in sorted(hand_points):
            hand = self._hands.get(side)
            if hand is not None:
                scores.append(float(hand.keypoints[int(landmark), 2]))
        if not scores:
            return float(self.pose.score)
        return float(np.mean(scores))


def compute_features(pose: Pose, min_score: float, past: FeatureSet | None = None,
                     past_dt: float = 0.0) -> FeatureSet:
    """Measure ``pose`` in its own torso frame; keypoints below ``min_score`` are unknown.

    ``past`` is the same person's features ``past_dt`` seconds earlier: speed() needs it.
    """
    return FeatureSet(pose, min_score, past, past_dt)


class FeatureHistory:
    """One person's features of the last ``SPEED_MAX_GAP_S``: what speed() looks back on."""

    def __init__(self) -> None:
        self._frames: deque[tuple[float, dict[float, FeatureSet]]] = deque()

    def _past(self, stamp_s: float) -> tuple[dict[float, FeatureSet], float]:
        frames = self._frames
        if frames and frames[-1][0] > stamp_s:
            frames.clear()  # time went back (a bag replayed): that past is not this one's
        while frames and stamp_s - frames[0][0] > SPEED_MAX_GAP_S + _EPS:
            frames.popleft()
        for then, features in reversed(frames):
            if stamp_s - then >= SPEED_WINDOW_S - _EPS:
                return features, stamp_s - then
        return {}, 0.0

    def measure(self, pose: Pose, stamp_s: float,
                min_scores: Iterable[float]) -> dict[float, FeatureSet]:
        """Features of ``pose`` at each minimum score, and remember them."""
        past, dt = self._past(stamp_s)
        if self._frames:
            for features in self._frames[-1][1].values():
                features.past = None  # kept for later frames, but no chain of pasts
        out = {s: FeatureSet(pose, s, past.get(s), dt) for s in set(min_scores)}
        self._frames.append((stamp_s, out))
        return out
