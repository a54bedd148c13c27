"""The gesture file: a small YAML language turned into condition trees the matcher evaluates.

Layout (see config/gestures.yaml for a documented example)::

    engage: engage            # the gesture that gives control (a latch: held once, kept)
    disengage: stop           # the gesture that ends it
    follow: follow_me         # optional: the gesture that starts following the controller
    defaults: {min_score: 0.3, hold: 0.3, priority: 0, hysteresis: {degrees: 8, body: 0.08}}
    gestures:
      turn_left:
        description: ...      # free text, for the README table
        priority: 40
        hold: 0.4             # seconds the conditions must hold before the gesture counts
        release: 0.1          # seconds of failed conditions a pending/held gesture survives
        min_score: 0.3        # keypoints scoring below this are unknown
        hysteresis: {degrees: 10, body: 0.1}   # margins per feature unit
        when:                 # all / any / not, or one condition
          all:
            - {feature: 'angle(right_shoulder, right_elbow, right_wrist)', above: 150}
            - {feature: 'elevation(right_shoulder, right_wrist)', between: [55, 130]}
        command:
          linear_x: 0.2       # a constant, or a proportional axis:
          angular_z: {feature: 'elevation(right_shoulder, right_wrist)',
                      zero: 60, full: 120, max: 0.6}

A condition may carry its own ``hysteresis:`` number. Once a gesture is pending or
held, thresholds are relaxed by the margin (``above: 150`` holds down to 140), so a
value hovering at a threshold does not flap. Margins are given per unit of the features
(``features.UNITS``): ``degrees``, ``body`` (body lengths), ``speed`` (body lengths per
second) and ``hand`` (hand lengths, for ``pinch``); a unit without one has no margin.
Conditions on an unknown feature are unknown (three-valued logic), never true or false.

A proportional axis outputs 0 while the feature is on the ``zero`` side (the dead
zone), ramps linearly to ``max`` at ``full`` and saturates there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from pathlib import Path
import site
import sys
from typing import Union

import yaml

from pose_ros.core.hand import Handedness, HandLandmark
from pose_ros.core.keypoints import Keypoint
from pose_ros.gestures.features import UNITS, FeatureError, FeatureSet, FeatureSpec, parse_feature

AXES: tuple[str, ...] = ('linear_x', 'linear_y', 'angular_z')
_TOP_KEYS = ('engage', 'disengage', 'follow', 'defaults', 'gestures')
_DEFAULT_KEYS = ('min_score', 'hold', 'release', 'priority', 'hysteresis')
_GESTURE_KEYS = ('description', 'when') + _DEFAULT_KEYS + ('command',)
_LEAF_KEYS = ('feature', 'above', 'below', 'between', 'hysteresis')
_GROUP_KEYS = ('all', 'any', 'not')
_PROPORTIONAL_KEYS = ('feature', 'zero', 'full', 'max')

# Bounds on what a file may ask for. YAML aliases (*name) repeat what their anchor holds, so a
# file of a few hundred bytes can expand to billions of conditions; every one is evaluated for
# the controller on every frame. The default file has 6 gestures and 42 conditions.
MAX_FILE_BYTES = 256 * 1024
MAX_GESTURES = 100
MAX_CONDITIONS = 1000
MAX_NESTING = 16

# The gesture set this package ships, as installed under share/pose_ros and in the source tree.
_SHIPPED = Path('config') / 'gestures.yaml'
_SOURCE_TREE = Path(__file__).resolve().parents[2]


class GestureFileError(ValueError):
    """A gesture file that cannot be used; says where (file, line, gesture) and why."""

    def __init__(self, message: str, path: str, line: int | None = None,
                 gesture: str | None = None) -> None:
        self.path = path
        self.line = line
        self.gesture = gesture
        self.reason = message
        where = path if line is None else f'{path}:{line}'
        if gesture is not None:
            where += f': gesture {gesture!r}'
        super().__init__(f'{where}: {message}')


# -- the compiled language -----------------------------------------------------------

@dataclass(frozen=True)
class Threshold:
    """One feature compared with a bound; ``low``/``high`` of None means unbounded."""

    feature: FeatureSpec
    low: float | None
    high: float | None
    margin: float
    line: int

    def evaluate(self, features: FeatureSet, relax: int) -> bool | None:
        value = features[self.feature]
        if value is None:
            return None
        margin = self.margin * relax
        if self.low is not None and value <= self.low - margin:
            return False
        if self.high is not None and value >= self.high + margin:
            return False
        return True

    def specs(self) -> list[FeatureSpec]:
        return [self.feature]


@dataclass(frozen=True)
class _Group:
    """Children joined in three-valued logic: one child that is ``_DECIDES`` decides.

    Else the group is unknown when a child is unknown: a hidden joint must not make
    ``all`` false (ending a held gesture) nor ``any`` true (starting one).
    """

    children: tuple[Condition, ...]
    _DECIDES = False

    def evaluate(self, features: FeatureSet, relax: int) -> bool | None:
        results = [c.evaluate(features, relax) for c in self.children]
        if any(r is self._DECIDES for r in results):
            return self._DECIDES
        return None if any(r is None for r in results) else not self._DECIDES

    def specs(self) -> list[FeatureSpec]:
        return [s for c in self.children for s in c.specs()]


@dataclass(frozen=True)
class AllOf(_Group):
    _DECIDES = False  # one false child makes it false


@dataclass(frozen=True)
class AnyOf(_Group):
    _DECIDES = True  # one true child makes it true


@dataclass(frozen=True)
class NotOf:
    child: Condition

    def evaluate(self, features: FeatureSet, relax: int) -> bool | None:
        # Relaxing the outside means tightening what is negated.
        result = self.child.evaluate(features, -relax)
        return None if result is None else not result

    def specs(self) -> list[FeatureSpec]:
        return self.child.specs()


Condition = Union[Threshold, AllOf, AnyOf, NotOf]


@dataclass(frozen=True)
class Proportional:
    """A joystick-like axis: 0 in the dead zone before ``zero``, ``max`` from ``full`` on."""

    feature: FeatureSpec
    zero: float
    full: float
    max: float

    def value(self, features: FeatureSet) -> float | None:
        x = features[self.feature]
        if x is None:
            return None
        ramp = (x - self.zero) / (self.full - self.zero)
        return self.max * min(1.0, max(0.0, ramp))


Axis = Union[float, Proportional]


@dataclass(frozen=True)
class Gesture:
    name: str
    condition: Condition
    min_score: float
    hold_s: float
    priority: int
    command: dict[str, Axis] | None
    line: int
    description: str = ''
    keypoints: frozenset[Keypoint] = field(default_factory=frozenset)
    release_s: float = 0.1
    # The hand landmarks (side, landmark) its features read: their scores join the confidence.
    hand_points: frozenset[tuple[Handedness, HandLandmark]] = field(default_factory=frozenset)

    def evaluate(self, features: FeatureSet, latched: bool) -> bool | None:
        """Three-valued match; ``latched`` (already pending/held) relaxes by the margins."""
        return self.condition.evaluate(features, 1 if latched else 0)

    def axes(self, features: FeatureSet) -> dict[str, float | None] | None:
        """Return the commanded axes; None per axis when a proportional input is unknown."""
        if self.command is None:
            return None
        return {axis: (v.value(features) if isinstance(v, Proportional) else v)
                for axis, v in self.command.items()}


@dataclass(frozen=True)
class GestureSet:
    """A validated gesture file, gestures in file order."""

    gestures: tuple[Gesture, ...]
    engage: str
    disengage: str
    path: str = '<string>'
    # The gesture that starts following the controller (see control/follow_me.py), if any.
    follow: str | None = None

    def __post_init__(self) -> None:
        names = [g.name for g in self.gestures]
        roles = [('engage', self.engage), ('disengage', self.disengage)]
        if self.follow is not None:
            roles.append(('follow', self.follow))
        for role, name in roles:
            if name not in names:
                raise ValueError(f'{role} gesture {name!r} is not among {names}')

    def get(self, name: str) -> Gesture:
        for g in self.gestures:
            if g.name == name:
                return g
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.gestures)


# -- parsing -----------------------------------------------------------------------

class _Parser:
    """Walks the composed YAML tree so every error can point at its line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.current: str | None = None
        self.conditions = 0  # counted as expanded: an alias counts each time it is used

    def fail(self, node: yaml.Node | None, message: str) -> GestureFileError:
        line = None if node is None else node.start_mark.line + 1
        return GestureFileError(message, self.path, line, self.current)

    def mapping(self, node: yaml.Node, what: str,
                allowed: tuple[str, ...]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Return {key: (key_node, value_node)}, rejecting unknown and repeated keys."""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f'{what} must be a mapping, got {_describe(node)}')
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, f'{what} has a key that is not a plain name')
            key = key_node.value
            if key == '<<':
                raise self.fail(key_node, 'merge keys (<<) are not supported; repeat the keys')
            if key in out:
                raise self.fail(key_node, f'duplicate key {key!r} in {what}')
            if allowed and key not in allowed:
                raise self.fail(
                    key_node, f'unknown key {key!r} in {what}; allowed: {", ".join(allowed)}')
            out[key] = (key_node, value_node)
        return out

    def number(self, node: yaml.Node, what: str, low: float | None = None,
               high: float | None = None) -> float:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (
                'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float'):
            raise self.fail(node, f'{what} must be a number, got {_describe(node)}')
        value = float(yaml.safe_load(node.value))
        if not math.isfinite(value):
            raise self.fail(node, f'{what} must be finite, got {node.value!r}')
        if low is not None and value < low or high is not None and value > high:
            lo = '-inf' if low is None else f'{low:g}'
            hi = 'inf' if high is None else f'{high:g}'
            bounds = f'[{lo}, {hi}]'
            raise self.fail(node, f'{what} must be within {bounds}, got {value:g}')
        return value

    def string(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != 'tag:yaml.org,2002:str':
            raise self.fail(node, f'{what} must be a string, got {_describe(node)}')
        return node.value

    def feature(self, node: yaml.Node) -> FeatureSpec:
        text = self.string(node, 'feature')
        try:
            return parse_feature(text)
        except FeatureError as exc:
            raise self.fail(node, str(exc)) from None

    def margins(self, node: yaml.Node, what: str) -> dict[str, float]:
        entries = self.mapping(node, what, UNITS)
        return {unit: self.number(v, f'{what} {unit}', low=0.0)
                for unit, (_, v) in entries.items()}

    def condition(self, node: yaml.Node, margins: dict[str, float], depth: int = 0) -> Condition:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise self.fail(node, f'the file has more than {MAX_CONDITIONS} conditions, counting '
                                  'each use of a YAML alias (*name) as a copy of what it names')
        if depth > MAX_NESTING:
            raise self.fail(node, f'conditions are nested more than {MAX_NESTING} deep')
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
            if any(k in _GROUP_KEYS for k in keys):
                if len(node.value) != 1:
                    raise self.fail(node, f'a condition group has exactly one key of '
                                          f'{", ".join(_GROUP_KEYS)}; got {", ".join(keys)}')
                return self.group(keys[0], node.value[0][1], margins, depth + 1)
        entries = self.mapping(node, 'condition', _LEAF_KEYS + _GROUP_KEYS)
        if 'feature' not in entries:
            raise self.fail(node, 'condition has no feature: key (or all:/any:/not:)')
        spec = self.feature(entries['feature'][1])
        bounds = [k for k in ('above', 'below', 'between') if k in entries]
        if not bounds:
            raise self.fail(node, f'condition on {spec.name} has no threshold; '
                                  'add one of above:, below:, between:')
        if len(bounds) > 1:
            raise self.fail(entries[bounds[1]][0],
                            f'condition on {spec.name} has both {bounds[0]}: and {bounds[1]}:; '
                            'use between: [low, high] for a range')
        low = high = None
        if 'above' in entries:
            low = self.number(entries['above'][1], 'above')
        elif 'below' in entries:
            high = self.number(entries['below'][1], 'below')
        else:
            value_node = entries['between'][1]
            if not isinstance(value_node, yaml.SequenceNode) or len(value_node.value) != 2:
                raise self.fail(value_node, 'between must be a list [low, high]')
            low, high = (self.number(v, 'between') for v in value_node.value)
            if low >= high:
                raise self.fail(value_node, f'between [{low:g}, {high:g}] needs low < high')
        if 'hysteresis' in entries:
            margin = self.number(entries['hysteresis'][1], 'hysteresis', low=0.0)
        else:
            margin = margins.get(spec.unit, 0.0)
        return Threshold(spec, low, high, margin, node.start_mark.line + 1)

    def group(self, key: str, node: yaml.Node, margins: dict[str, float],
              depth: int) -> Condition:
        if key == 'not':
            return NotOf(self.condition(node, margins, depth))
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.fail(node, f'{key}: needs a non-empty list of conditions')
        children = tuple(self.condition(c, margins, depth) for c in node.value)
        return AllOf(children) if key == 'all' else AnyOf(children)

    def axis(self, name: str, node: yaml.Node) -> Axis:
        if isinstance(node, yaml.ScalarNode):
            return self.number(node, name)
        entries = self.mapping(node, f'proportional {name}', _PROPORTIONAL_KEYS)
        for key in _PROPORTIONAL_KEYS:
            if key not in entries:
                raise self.fail(node, f'proportional {name} is missing {key}: '
                                      f'(needs {", ".join(_PROPORTIONAL_KEYS)})')
        zero = self.number(entries['zero'][1], f'{name} zero')
        full = self.number(entries['full'][1], f'{name} full')
        if zero == full:
            raise self.fail(entries['full'][1], f'{name} full must differ from zero ({zero:g})')
        return Proportional(self.feature(entries['feature'][1]), zero, full,
                            self.number(entries['max'][1], f'{name} max'))

    def gesture(self, name: str, key_node: yaml.Node, node: yaml.Node,
                defaults: dict[str, object]) -> Gesture:
        self.current = name
        entries = self.mapping(node, 'gesture', _GESTURE_KEYS)
        if 'when' not in entries:
            raise self.fail(key_node, 'gesture has no when: conditions')
        margins = dict(defaults['hysteresis'])
        if 'hysteresis' in entries:
            margins.update(self.margins(entries['hysteresis'][1], 'hysteresis'))
        condition = self.condition(entries['when'][1], margins)
        min_score = (self.number(entries['min_score'][1], 'min_score', 0.0, 1.0)
                     if 'min_score' in entries else defaults['min_score'])
        hold = (self.number(entries['hold'][1], 'hold', 0.0, 10.0)
                if 'hold' in entries else defaults['hold'])
        release = (self.number(entries['release'][1], 'release', 0.0, 1.0)
                   if 'release' in entries else defaults['release'])
        priority = (self.integer(entries['priority'][1], 'priority')
                    if 'priority' in entries else defaults['priority'])
        command = None
        if 'command' in entries:
            axes = self.mapping(entries['command'][1], 'command', AXES)
            command = {axis: self.axis(axis, v) for axis, (_, v) in axes.items()}
        description = (self.string(entries['description'][1], 'description')
                       if 'description' in entries else '')
        specs = condition.specs() + [
            a.feature for a in (command or {}).values() if isinstance(a, Proportional)]
        keypoints = frozenset(k for s in specs for k in s.keypoints)
        hand_points = frozenset(p for s in specs for p in s.hand_points)
        gesture = Gesture(name, condition, min_score, hold, priority, command,
                          key_node.start_mark.line + 1, ' '.join(description.split()), keypoints,
                          release, hand_points)
        self.current = None
        return gesture

    def integer(self, node: yaml.Node, what: str) -> int:
        if not isinstance(node, yaml.ScalarNode) or node.tag != 'tag:yaml.org,2002:int':
            raise self.fail(node, f'{what} must be an integer, got {_describe(node)}')
        return int(yaml.safe_load(node.value))

    def document(self, root: yaml.Node | None) -> GestureSet:
        if root is None:
            raise self.fail(None, 'the file is empty; it needs engage:, disengage:, gestures:')
        top = self.mapping(root, 'the file', _TOP_KEYS)
        defaults: dict[str, object] = {'min_score': 0.3, 'hold': 0.3, 'release': 0.1,
                                       'priority': 0, 'hysteresis': {}}
        if 'defaults' in top:
            d = self.mapping(top['defaults'][1], 'defaults', _DEFAULT_KEYS)
            if 'min_score' in d:
                defaults['min_score'] = self.number(d['min_score'][1], 'min_score', 0.0, 1.0)
            if 'hold' in d:
                defaults['hold'] = self.number(d['hold'][1], 'hold', 0.0, 10.0)
            if 'release' in d:
                defaults['release'] = self.number(d['release'][1], 'release', 0.0, 1.0)
            if 'priority' in d:
                defaults['priority'] = self.integer(d['priority'][1], 'priority')
            if 'hysteresis' in d:
                defaults['hysteresis'] = self.margins(d['hysteresis'][1], 'hysteresis')
        for key in ('gestures', 'engage', 'disengage'):
            if key not in top:
                raise self.fail(root, f'missing top-level key {key}:')
        gestures_node = top['gestures'][1]
        entries = self.mapping(gestures_node, 'gestures', ())
        if not entries:
            raise self.fail(gestures_node, 'gestures: is empty')
        if len(entries) > MAX_GESTURES:
            raise self.fail(gestures_node, f'more than {MAX_GESTURES} gestures '
                                           f'({len(entries)}); keep the ones you use')
        gestures = []
        for name, (key_node, value_node) in entries.items():
            gestures.append(self.gesture(name, key_node, value_node, defaults))
        names = [g.name for g in gestures]
        roles = {}
        for role in ('engage', 'disengage', 'follow'):
            if role not in top:
                continue  # follow is optional; the others were checked above
            node = top[role][1]
            name = self.string(node, role)
            if name not in names:
                raise self.fail(node, f'{role}: {name!r} is not a gesture; gestures: '
                                      f'{", ".join(names)}')
            if gestures[names.index(name)].command is not None:
                self.current = name
                command_key = next(k for k, _ in entries[name][1].value if k.value == 'command')
                raise self.fail(command_key, f'the {role} gesture must not have a command')
            if name in roles.values():
                raise self.fail(node, f'{role}: {name!r} is already the '
                                      f'{next(r for r, n in roles.items() if n == name)} gesture; '
                                      'each role needs its own gesture')
            roles[role] = name
        return GestureSet(tuple(gestures), roles['engage'], roles['disengage'], self.path,
                          roles.get('follow'))


def _describe(node: yaml.Node | None) -> str:
    if isinstance(node, yaml.ScalarNode):
        return repr(node.value) if node.value != '' else 'nothing'
    if isinstance(node, yaml.SequenceNode):
        return 'a list'
    if isinstance(node, yaml.MappingNode):
        return 'a mapping'
    return 'nothing'


def parse_gestures(text: str, path: str = '<string>') -> GestureSet:
    """Validate and compile gesture-file text; ``path`` only labels the errors."""
    if len(text) > MAX_FILE_BYTES:
        raise GestureFileError(f'larger than {MAX_FILE_BYTES // 1024} KiB; a gesture file is '
                               'a few KiB', path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        raise GestureFileError(f'not valid YAML: {exc.problem or exc}', path, line) from None
    except yaml.YAMLError as exc:
        raise GestureFileError(f'not valid YAML: {exc}', path) from None
    except RecursionError:
        raise GestureFileError('not usable YAML: nested too deeply', path) from None
    return _Parser(path).document(root)


def load_gestures(path: str | Path) -> GestureSet:
    """Read and compile a gesture file; every problem raises ``GestureFileError``."""
    try:
        with open(path, 'rb') as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise GestureFileError(f'cannot read the file: {exc.strerror or exc}', str(path)) from None
    if len(data) > MAX_FILE_BYTES:
        raise GestureFileError(f'larger than {MAX_FILE_BYTES // 1024} KiB; a gesture file is '
                               'a few KiB', str(path))
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b'\n', 0, exc.start) + 1
        raise GestureFileError(
            f'not UTF-8 text: byte 0x{data[exc.start]:02x} at column {exc.start - line_start + 1}'
            '; save the file as UTF-8', str(path), data.count(b'\n', 0, exc.start) + 1) from None
    return parse_gestures(text, str(path))


def default_gestures_path() -> Path:
    """Return the path of the gesture set this package ships (config/gestures.yaml).

    Found where ROS installs it (the package's share directory in the ament index of the
    sourced workspaces), else where pip does (share/pose_ros under sys.prefix, or under the
    user base for ``pip install --user``), else in the source tree this module runs from.
    Raises GestureFileError naming every place looked in when it is in none of them.
    """
    places = []
    try:
        from ament_index_python.packages import get_package_share_directory
        places.append(Path(get_package_share_directory('pose_ros')) / _SHIPPED)
    except (ImportError, LookupError, OSError):
        pass  # no ROS, or no workspace with pose_ros sourced
    for prefix in (sys.prefix, site.getuserbase()):
        if prefix:
            places.append(Path(prefix) / 'share' / 'pose_ros' / _SHIPPED)
    places.append(_SOURCE_TREE / _SHIPPED)
    for path in places:
        if path.is_file():
            return path
    raise GestureFileError('the gesture set pose_ros ships is in none of '
                           + ', '.join(str(p) for p in places)
                           + '; install pose_ros again, or give a gestures file', str(_SHIPPED))
