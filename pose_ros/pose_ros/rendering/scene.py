"""Scene files: who is filmed where, and a time-line of poses, one statement a line.

Example (``scenes/engage.scene``)::

    # The engage gesture alone.
    person gender=0.3 stature=1.70 skin=tan shirt=red trousers=denim hair=darkbrown
    camera distance=3.2 height=1.3 yaw=0 roll=0 fov=60
    room   wall=brick floor=gravel sun=35,50
    image  fps=30 noise=2 blur=0.7 motion_blur=0 jpeg=85 seed=1
    pose   high_five like=rest r_upperarm=150,10 r_forearm=160,10

    rest 0.8               # the relaxed rest pose, 0.8 s
    move engage 0.6        # an eased move into "engage" over 0.6 s
    hold engage 1.5        # held for 1.5 s
    move rest 0.6
    rest 0.8

Statements: ``person``, ``camera``, ``room``, ``image`` (settings, key=value, each at
most once), ``pose NAME [like=BASE] key=value...`` (defines a pose; keys are limb
segments ``l_upperarm l_forearm r_upperarm r_forearm l_thigh l_shin r_thigh r_shin`` as
``raise,forward`` degrees, ``bone.NAME=x,y,z`` Euler degrees, ``lift=metres``, and
``l_hand=SHAPE``, ``r_hand=SHAPE`` or ``hands=SHAPE`` for both: relaxed, open_palm, fist,
thumbs_up, pointing, pinch, see hands.py), then steps, each with a duration in seconds:

* ``rest D`` / ``hold POSE D``: keep a pose, with a small idle sway;
* ``move POSE D``: eased transition from the previous pose;
* ``swing A B D period=S [bounce=M]``: back and forth between two poses (waving,
  jumping jacks), optionally hopping ``bounce`` metres each half period;
* ``walk D from=X,Z to=X,Z``: walk in a straight line with MakeHuman's walk cycle.

Every step takes ``label=GESTURE|none``, ``facing=DEG`` (the person's turn, 0 facing the
camera) and ``at=X,Z`` (metres; X to the camera's right, Z toward the camera). A
``hold`` or ``move`` of a default gesture is labelled with it unless told otherwise.
Comments start with a ``#`` at the start of a line or after a blank. Errors name the
file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
import math
from pathlib import Path
import re

from pose_ros.rendering.body import Shape
from pose_ros.rendering.camera import Camera
from pose_ros.rendering.hands import hand_bones, hand_shape
from pose_ros.rendering.look import COLOURS, SKIN_TONES, Outfit
from pose_ros.rendering.poses import GESTURES, LIBRARY, PoseSpec
from pose_ros.rendering.renderer import TEXTURES, Room
from pose_ros.rendering.skinning import SEGMENTS


class SceneError(ValueError):
    """A scene file that cannot be used; the message starts with ``file:line:``."""

    def __init__(self, message: str, path: str, line: int | None = None) -> None:
        self.path, self.line, self.reason = path, line, message
        where = path if line is None else f'{path}:{line}'
        super().__init__(f'{where}: {message}')


@dataclass(frozen=True)
class Effects:
    """Camera imperfections applied to every frame.

    ``noise``: sensor noise sigma in 0..255 levels. ``blur``: Gaussian sigma, pixels.
    ``motion_blur``: fraction of the frame time the shutter is open (0: a sharp frame).
    ``jpeg``: quality 1..100, 0 for none.
    """

    fps: float = 30.0
    noise: float = 2.0
    blur: float = 0.7
    motion_blur: float = 0.0
    jpeg: int = 85
    seed: int = 1
    width: int = 640
    height: int = 480


@dataclass(frozen=True)
class Person:
    shape: Shape = Shape()
    stature: float | None = None      # metres; None keeps MakeHuman's height
    outfit: Outfit = Outfit()


@dataclass(frozen=True)
class Step:
    kind: str                          # rest, hold, move, swing, walk
    duration: float
    poses: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    line: int = 0

    def option(self, key: str, default: str | None = None) -> str | None:
        return dict(self.options).get(key, default)


@dataclass(frozen=True)
class Scene:
    name: str
    person: Person
    camera: Camera
    room: Room
    effects: Effects
    poses: dict[str, PoseSpec]
    steps: tuple[Step, ...]
    path: str = '<string>'
    source: str = field(default='', compare=False, repr=False)

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.steps)

    @property
    def frame_count(self) -> int:
        return int(round(self.duration * self.effects.fps))


_HAND_KEYS = {'hands': ('left', 'right'), 'l_hand': ('left',), 'r_hand': ('right',)}
_STEP_KINDS = {'rest': 0, 'hold': 1, 'move': 1, 'swing': 2, 'walk': 0}
_STEP_OPTIONS = {'label', 'facing', 'at', 'period', 'bounce', 'from', 'to'}
# A comment starts at a '#' that begins the line or follows a blank (not '=#rrggbb').
_COMMENT = re.compile(r'(?:^|\s)#')
_NUMBER = re.compile(r'^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$')


def _number(text: str, what: str) -> float:
    if not _NUMBER.match(text):
        raise ValueError(f'{what} must be a number, got {text!r}')
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f'{what} must be finite, got {text!r}')
    return value


def _numbers(text: str, n: int, what: str) -> tuple[float, ...]:
    parts = text.split(',')
    if len(parts) != n:
        raise ValueError(f'{what} needs {n} comma-separated numbers, got {text!r}')
    return tuple(_number(p, what) for p in parts)


def _pairs(tokens: list[str]) -> list[tuple[str, str]]:
    out = []
    for tok in tokens:
        if '=' not in tok or tok.startswith('=') or tok.endswith('='):
            raise ValueError(f'expected key=value, got {tok!r}')
        key, value = tok.split('=', 1)
        out.append((key, value))
    keys = [k for k, _ in out]
    for k in keys:
        if keys.count(k) > 1:
            raise ValueError(f'{k!r} is given twice')
    return out


def _settings(cls, defaults, pairs, converters, what: str):
    names = {f.name for f in fields(cls)}
    values = {}
    for key, text in pairs:
        if key not in converters:
            raise ValueError(f'unknown {what} setting {key!r}; known: '
                             f'{", ".join(sorted(converters))}')
        values[key] = converters[key](text, f'{what} {key}')
    values = {k: v for k, v in values.items() if k in names}
    return replace(defaults, **values)


def _colour_value(text: str, what: str) -> str:
    if text in SKIN_TONES or text in COLOURS or re.match(r'^#[0-9a-fA-F]{6}$', text):
        return text
    raise ValueError(f'{what}: {text!r} is not a colour (#rrggbb or one of '
                     f'{", ".join(sorted({**SKIN_TONES, **COLOURS}))})')


def _unit(text: str, what: str) -> float:
    v = _number(text, what)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f'{what} must be within 0..1, got {v}')
    return v


def _choice(options):
    def conv(text: str, what: str) -> str:
        if text not in options:
            raise ValueError(f'{what} must be one of {", ".join(options)}, got {text!r}')
        return text
    return conv


def _positive(text: str, what: str) -> float:
    v = _number(text, what)
    if v <= 0:
        raise ValueError(f'{what} must be > 0, got {v}')
    return v


def _person(pairs) -> Person:
    shape_keys = {'gender': _unit, 'age': _unit, 'muscle': _unit, 'weight': _unit,
                  'height': _unit}
    outfit_keys = {'skin': _colour_value, 'shirt': _colour_value, 'trousers': _colour_value,
                   'shoes': _colour_value, 'hair': _colour_value, 'eyes': _colour_value,
                   'sleeves': _choice(('long', 'short', 'none')),
                   'shorts': _choice(('yes', 'no'))}
    known = {**shape_keys, **outfit_keys, 'stature': _positive}
    for key, _ in pairs:
        if key not in known:
            raise ValueError(f'unknown person setting {key!r}; known: '
                             f'{", ".join(sorted(known))}')
    shape = _settings(Shape, Shape(), [p for p in pairs if p[0] in shape_keys], shape_keys,
                      'person')
    if shape.age < 0.1875:
        raise ValueError('person age below 0.1875 (11 years) is not supported')
    outfit_pairs = [(k, v) for k, v in pairs if k in outfit_keys]
    outfit = _settings(Outfit, Outfit(), outfit_pairs, outfit_keys, 'person')
    if isinstance(outfit.shorts, str):
        outfit = replace(outfit, shorts=outfit.shorts == 'yes')
    stature = dict(pairs).get('stature')
    stature_m = _positive(stature, 'person stature') if stature is not None else None
    if stature_m is not None and not 0.9 <= stature_m <= 2.3:
        raise ValueError(f'person stature must be within 0.9..2.3 m, got {stature_m}')
    return Person(shape, stature_m, outfit)


def _camera(pairs) -> Camera:
    conv = dict.fromkeys(('distance', 'height', 'yaw', 'roll', 'fov', 'look_height'), _number)
    return _settings(Camera, Camera(), pairs, conv, 'camera')


def _room(pairs) -> Room:
    conv = {'wall': _choice(TEXTURES), 'floor': _choice(TEXTURES),
            'wall_colour': _colour_value, 'floor_colour': _colour_value,
            'wall_distance': _positive, 'sun': lambda t, w: _numbers(t, 2, w),
            'sun_strength': _number, 'ambient': _number}
    return _settings(Room, Room(), pairs, conv, 'room')


def _effects(pairs) -> Effects:
    def integer(text, what):
        v = _number(text, what)
        if v != int(v):
            raise ValueError(f'{what} must be an integer, got {text!r}')
        return int(v)
    conv = {'fps': _positive, 'noise': _number, 'blur': _number, 'motion_blur': _unit,
            'jpeg': integer, 'seed': integer, 'width': integer, 'height': integer}
    effects = _settings(Effects, Effects(), pairs, conv, 'image')
    if not 0 <= effects.jpeg <= 100:
        raise ValueError(f'image jpeg must be within 0..100, got {effects.jpeg}')
    if effects.noise < 0 or effects.blur < 0:
        raise ValueError('image noise and blur must be >= 0')
    return effects


def _pose(tokens: list[str], poses: dict[str, PoseSpec]) -> tuple[str, PoseSpec]:
    if not tokens:
        raise ValueError('pose needs a name')
    name, pairs = tokens[0], _pairs(tokens[1:])
    if not re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', name):
        raise ValueError(f'pose name {name!r} must be letters, digits and _')
    base = PoseSpec()
    directions, bones, lift = {}, {}, None
    hands, hand_bone_angles = {}, {}
    for key, text in pairs:
        if key == 'like':
            if text not in poses:
                raise ValueError(f'pose {text!r} is not defined (yet); known: '
                                 f'{", ".join(sorted(poses))}')
            base = poses[text]
        elif key in SEGMENTS:
            directions[key] = _numbers(text, 2, key)
        elif key.startswith('bone.'):
            bones[key[5:]] = _numbers(text, 3, key)
        elif key == 'lift':
            lift = _number(text, 'lift')
        elif key in _HAND_KEYS:
            shape = hand_shape(text)
            for side in _HAND_KEYS[key]:
                if side in hands:
                    raise ValueError(f'the {side} hand is given by both hands= and '
                                     f'{key[0]}_hand=')
                hands[side] = shape.value
                hand_bone_angles.update(hand_bones(shape, side))
        else:
            raise ValueError(f'unknown pose key {key!r}; known: like, lift, bone.NAME, '
                             f'hands, l_hand, r_hand, {", ".join(SEGMENTS)}')
    # A hand shape replaces the base pose's fingers; bone.NAME given here wins over both.
    spec = PoseSpec({**base.directions, **directions},
                    {**base.bones, **hand_bone_angles, **bones},
                    base.lift if lift is None else lift, {**base.hands, **hands})
    return name, spec


def _step(kind: str, tokens: list[str], poses: dict[str, PoseSpec], line: int) -> Step:
    n_poses = _STEP_KINDS[kind]
    positional = [t for t in tokens if '=' not in t]
    pairs = _pairs([t for t in tokens if '=' in t])
    if len(positional) != n_poses + 1:
        shape = {'rest': 'rest SECONDS', 'hold': 'hold POSE SECONDS',
                 'move': 'move POSE SECONDS', 'swing': 'swing POSE_A POSE_B SECONDS',
                 'walk': 'walk SECONDS from=X,Z to=X,Z'}[kind]
        raise ValueError(f'{kind} takes: {shape} [key=value...], got {" ".join(tokens)!r}')
    names = tuple(positional[:n_poses])
    for name in names:
        if name not in poses:
            raise ValueError(f'unknown pose {name!r}; known: {", ".join(sorted(poses))}')
    duration = _positive(positional[-1], f'{kind} duration')
    for key, text in pairs:
        if key not in _STEP_OPTIONS:
            raise ValueError(f'unknown step option {key!r}; known: '
                             f'{", ".join(sorted(_STEP_OPTIONS))}')
        if key in ('facing', 'bounce'):
            _number(text, key)
        elif key == 'period':
            _positive(text, key)
        elif key in ('at', 'from', 'to'):
            _numbers(text, 2, key)
        elif key == 'label' and text != 'none' and text not in GESTURES:
            raise ValueError(f'label {text!r} is not a gesture; known: none, '
                             f'{", ".join(GESTURES)}')
    opts = dict(pairs)
    if kind == 'swing' and 'period' not in opts:
        raise ValueError('swing needs period=SECONDS')
    if kind == 'walk' and not ('from' in opts and 'to' in opts):
        raise ValueError('walk needs from=X,Z and to=X,Z')
    return Step(kind, duration, names, tuple(pairs), line)


def parse_scene(text: str, path: str = '<string>') -> Scene:
    """Parse a scene file's text; raise SceneError naming file and line."""
    settings: dict[str, object] = {}
    poses = dict(LIBRARY)
    steps: list[Step] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.split(raw, 1)[0].strip()
        if not line:
            continue
        word, *tokens = line.split()
        try:
            if word in ('person', 'camera', 'room', 'image'):
                if word in seen:
                    raise ValueError(f'{word} is already set on line {seen[word]}')
                seen[word] = number
                if steps:
                    raise ValueError(f'{word} must come before the first step')
                pairs = _pairs(tokens)
                settings[word] = {'person': _person, 'camera': _camera, 'room': _room,
                                  'image': _effects}[word](pairs)
            elif word == 'pose':
                name, spec = _pose(tokens, poses)
                poses[name] = spec
            elif word in _STEP_KINDS:
                steps.append(_step(word, tokens, poses, number))
            else:
                raise ValueError(f'unknown statement {word!r}; expected person, camera, room, '
                                 f'image, pose or a step ({", ".join(_STEP_KINDS)})')
        except ValueError as exc:
            raise SceneError(str(exc), path, number) from None
    if not steps:
        raise SceneError('no steps: a scene needs at least one of '
                         f'{", ".join(_STEP_KINDS)}', path)
    effects = settings.get('image', Effects())
    camera = replace(settings.get('camera', Camera()), width=effects.width,
                     height_px=effects.height)
    return Scene(Path(path).stem, settings.get('person', Person()), camera,
                 settings.get('room', Room()), effects, poses, tuple(steps), path, text)


def load_scene(path: str | Path) -> Scene:
    """Read and parse a scene file (a name without a folder means the shipped library)."""
    p = Path(path)
    if not p.exists() and p.parent == Path('.'):
        shipped = SCENE_DIR / (p.name if p.suffix else p.name + '.scene')
        if shipped.exists():
            p = shipped
    try:
        text = p.read_text()
    except OSError as exc:
        raise SceneError(f'cannot read: {exc.strerror or exc}', str(p)) from None
    return parse_scene(text, str(p))


SCENE_DIR = Path(__file__).resolve().parent / 'scenes'


def library() -> list[Path]:
    """Return the shipped scene files."""
    return sorted(SCENE_DIR.glob('*.scene'))
