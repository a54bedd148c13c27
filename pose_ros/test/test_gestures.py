"""The gesture language: what a file means, and errors that point at the right line."""

import numpy as np
import pytest

from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.gestures.features import compute_features
from pose_ros.gestures.language import (
    MAX_FILE_BYTES,
    MAX_GESTURES,
    MAX_NESTING,
    AllOf,
    GestureFileError,
    NotOf,
    Proportional,
    Threshold,
    load_gestures,
    parse_gestures,
)

K = Keypoint

VALID = """\
engage: hands_up
disengage: halt
defaults:
  min_score: 0.25
  hold: 0.5
  hysteresis: {degrees: 7, body: 0.05}
gestures:
  hands_up:
    when:
      all:
        - {feature: 'up(nose, left_wrist)', above: 0.2}
        - {feature: 'angle(left_shoulder, left_elbow, left_wrist)', above: 150, hysteresis: 3}
  halt:
    priority: 9
    hold: 0.1
    min_score: 0.5
    when:
      not: {feature: 'elevation(left_shoulder, left_wrist)', between: [20, 160]}
  spin:
    description: >
      spin on the spot
    release: 0.25
    hysteresis: {degrees: 12}
    when:
      any:
        - {feature: 'elevation(left_shoulder, left_wrist)', between: [60, 120]}
        - {feature: 'left(mid_shoulder, right_wrist)', below: -1}
    command:
      linear_x: 0.1
      angular_z: {feature: 'elevation(left_shoulder, left_wrist)', zero: 60, full: 120, max: -2}
"""


def _pose(**points) -> Pose:
    kp = np.zeros((17, 3), np.float32)
    base = {K.LEFT_SHOULDER: (340, 100), K.RIGHT_SHOULDER: (260, 100), K.LEFT_HIP: (330, 200),
            K.RIGHT_HIP: (270, 200), K.NOSE: (300, 60)}
    base.update({K[n.upper()]: xy for n, xy in points.items()})
    for k, (x, y) in base.items():
        kp[int(k)] = (x, y, 0.9)
    return Pose(kp, 0.9, (0, 0, 640, 480))


def test_valid_file_compiles_with_defaults_and_overrides():
    gs = parse_gestures(VALID, 'valid.yaml')
    assert gs.names == ('hands_up', 'halt', 'spin')
    assert (gs.engage, gs.disengage, gs.path) == ('hands_up', 'halt', 'valid.yaml')
    up = gs.get('hands_up')
    assert (up.min_score, up.hold_s, up.priority, up.release_s, up.line) == (0.25, 0.5, 0, 0.1, 8)
    assert isinstance(up.condition, AllOf)
    offset, angle = up.condition.children
    assert (offset.low, offset.high, offset.margin) == (0.2, None, 0.05)  # unit default
    assert (angle.low, angle.margin) == (150, 3)                           # per condition
    halt = gs.get('halt')
    assert (halt.min_score, halt.hold_s, halt.priority) == (0.5, 0.1, 9)
    assert isinstance(halt.condition, NotOf)
    assert (halt.condition.child.low, halt.condition.child.high) == (20, 160)
    spin = gs.get('spin')
    assert spin.description == 'spin on the spot'
    assert spin.release_s == 0.25
    assert spin.condition.children[0].margin == 12      # gesture-level degrees override
    assert spin.condition.children[1].margin == 0.05    # body margin still the default
    assert spin.command['linear_x'] == 0.1
    assert isinstance(spin.command['angular_z'], Proportional)
    assert K.RIGHT_WRIST in spin.keypoints and K.LEFT_WRIST in spin.keypoints


def test_three_valued_logic_unknown_is_neither_true_nor_false():
    gs = parse_gestures(VALID)
    hidden = _pose(left_elbow=(390, 100), left_wrist=(440, 100))
    hidden.keypoints[int(K.RIGHT_WRIST), 2] = 0.0    # right wrist unknown
    fs = compute_features(hidden, 0.3)
    spin = gs.get('spin')
    # any(True, unknown) is True.
    assert spin.evaluate(fs, latched=False) is True
    # any(False, unknown) is unknown, not False.
    low = _pose(left_elbow=(340, 150), left_wrist=(340, 200))
    low.keypoints[int(K.RIGHT_WRIST), 2] = 0.0
    assert spin.evaluate(compute_features(low, 0.3), latched=False) is None
    # all(unknown, ...) with nothing false is unknown; not(unknown) is unknown.
    hidden.keypoints[int(K.LEFT_WRIST), 2] = 0.0
    fs = compute_features(hidden, 0.3)
    assert gs.get('hands_up').evaluate(fs, latched=False) is None
    assert gs.get('halt').evaluate(fs, latched=False) is None
    # all(False, unknown) is False: one known failure decides.
    down = _pose(left_elbow=(340, 150), left_wrist=(340, 200))
    down.keypoints[int(K.LEFT_ELBOW), 2] = 0.0
    assert gs.get('hands_up').evaluate(compute_features(down, 0.3), latched=False) is False


def test_hysteresis_relaxes_thresholds_once_latched_and_tightens_under_not():
    text = VALID.replace('between: [20, 160]', 'above: 90, hysteresis: 10')
    gs = parse_gestures(text)
    # Left arm at 85 degrees elevation.
    fs = compute_features(_pose(left_wrist=(340 + 100 * np.sin(np.radians(85)),
                                            100 + 100 * np.cos(np.radians(85)))), 0.3)
    cond = gs.get('halt').condition.child
    assert isinstance(cond, Threshold)
    assert cond.evaluate(fs, 0) is False and cond.evaluate(fs, 1) is True
    # not(above 90): at 85 the gesture holds unlatched; latched it must stay held at 95.
    assert gs.get('halt').evaluate(fs, latched=False) is True
    fs95 = compute_features(_pose(left_wrist=(340 + 100 * np.sin(np.radians(95)),
                                              100 + 100 * np.cos(np.radians(95)))), 0.3)
    assert gs.get('halt').evaluate(fs95, latched=False) is False
    assert gs.get('halt').evaluate(fs95, latched=True) is True


def test_proportional_axis_has_dead_zone_ramp_and_saturation():
    gs = parse_gestures(VALID)
    spin = gs.get('spin')
    got = {}
    for elevation in (40, 60, 75, 90, 120, 170):
        r = np.radians(elevation)
        fs = compute_features(_pose(left_wrist=(340 + 100 * np.sin(r), 100 + 100 * np.cos(r))),
                              0.3)
        got[elevation] = spin.axes(fs)['angular_z']
    assert got[40] == 0.0 and got[60] == pytest.approx(0.0, abs=1e-6)
    assert got[75] == pytest.approx(-0.5) and got[90] == pytest.approx(-1.0)
    assert got[120] == pytest.approx(-2.0) and got[170] == pytest.approx(-2.0)
    # Unknown input -> None for that axis (the matcher keeps the last value).
    hidden = _pose()
    assert spin.axes(compute_features(hidden, 0.3)) == {'linear_x': 0.1, 'angular_z': None}


def _line_of(text: str, marker: str = '# <-') -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if marker in line:
            return i
    raise AssertionError('no marker')


def _with(gestures: str, head: str = 'engage: a\ndisengage: b\n') -> str:
    return head + 'gestures:\n' + gestures


GOOD_B = """\
  b:
    when: {feature: 'up(nose, left_wrist)', below: 0}
"""

ERROR_CASES = {
    'unknown keypoint': (_with("""\
  a:
    when:
      all:
        - {feature: 'up(nose, left_wrist)', above: 0}
        - {feature: 'angle(left_shoulder, left_elbw, left_wrist)', above: 150}  # <-
""" + GOOD_B), 'a', ["unknown keypoint 'left_elbw'", 'valid keypoints: nose, left_eye']),
    'unknown feature': (_with("""\
  a:
    when: {feature: 'height(nose, left_wrist)', above: 0}  # <-
""" + GOOD_B), 'a', ["unknown feature 'height'", 'valid features: angle, direction']),
    'missing threshold': (_with("""\
  a:
    when:
      any:
        - {feature: 'up(nose, left_wrist)'}  # <-
""" + GOOD_B), 'a', ['no threshold', 'above:, below:, between:']),
    'bad number': (_with(GOOD_B + """\
  a:
    when:
      feature: 'up(nose, left_wrist)'
      above: high  # <-
"""), 'a', ["above must be a number, got 'high'"]),
    'quoted number': (_with(GOOD_B + """\
  a:
    hold: '1.0'  # <-
    when: {feature: 'up(nose, left_wrist)', above: 0}
"""), 'a', ["hold must be a number, got '1.0'"]),
    'unknown gesture key': (_with("""\
  a:
    when: {feature: 'up(nose, left_wrist)', above: 0}
    hold_time: 1  # <-
""" + GOOD_B), 'a', ["unknown key 'hold_time'", 'allowed: description, when, min_score']),
    'unknown condition key': (_with("""\
  a:
    when: {feature: 'up(nose, left_wrist)', abve: 0}  # <-
""" + GOOD_B), 'a', ["unknown key 'abve'"]),
    'duplicate gesture': (_with(GOOD_B + """\
  a:
    when: {feature: 'up(nose, left_wrist)', above: 0}
  b:  # <-
    when: {feature: 'up(nose, left_wrist)', above: 1}
"""), None, ["duplicate key 'b' in gestures"]),
    'between not a pair': (_with(GOOD_B + """\
  a:
    when: {feature: 'up(nose, left_wrist)', between: [1, 2, 3]}  # <-
"""), 'a', ['between must be a list [low, high]']),
    'between reversed': (_with(GOOD_B + """\
  a:
    when: {feature: 'up(nose, left_wrist)', between: [2, 1]}  # <-
"""), 'a', ['needs low < high']),
    'two thresholds': (_with(GOOD_B + """\
  a:
    when: {feature: 'up(nose, left_wrist)', above: 0,
           below: 1}  # <-
"""), 'a', ['both above: and below:']),
    'score out of range': (_with(GOOD_B + """\
  a:
    min_score: 1.5  # <-
    when: {feature: 'up(nose, left_wrist)', above: 0}
"""), 'a', ['min_score must be within [0, 1], got 1.5']),
    'missing when': (_with(GOOD_B + """\
  a:  # <-
    hold: 1
"""), 'a', ['no when: conditions']),
    'engage command': (_with(GOOD_B + """\
  a:
    when: {feature: 'up(nose, left_wrist)', above: 0}
    command: {linear_x: 1}  # <-
"""), 'a', ['engage gesture must not have a command']),
    'unknown engage': (_with(GOOD_B + """\
  a:
    when: {feature: 'up(nose, left_wrist)', above: 0}
""", head='engage: wave  # <-\ndisengage: b\n'), None,
        ["engage: 'wave' is not a gesture; gestures: b, a"]),
    'unknown axis': (_with(GOOD_B + """\
  a:
    when: {feature: 'up(nose, left_wrist)', above: 0}
  c:
    when: {feature: 'up(nose, left_wrist)', above: 0}
    command:
      linear_z: 1  # <-
"""), 'c', ["unknown key 'linear_z'", 'allowed: linear_x, linear_y, angular_z']),
    'proportional missing key': (_with(GOOD_B + """\
  a:
    when: {feature: 'up(nose, left_wrist)', above: 0}
  c:
    when: {feature: 'up(nose, left_wrist)', above: 0}
    command:
      angular_z: {feature: 'up(nose, left_wrist)', zero: 0, max: 1}  # <-
"""), 'c', ['proportional angular_z is missing full:']),
    'empty group': (_with(GOOD_B + """\
  a:
    when:
      all: []  # <-
"""), 'a', ['all: needs a non-empty list']),
    'yaml syntax': (_with(GOOD_B + """\
  a:
    when: {feature: 'up(nose, left_wrist)', above: 0
  c: 1  # <-
"""), None, ['not valid YAML']),
    'unknown top key': ('engage: a\ndisengage: b\ngestrues: {}  # <-\n', None,
                        ["unknown key 'gestrues'", 'allowed: engage, disengage']),
}


@pytest.mark.parametrize('case', sorted(ERROR_CASES))
def test_errors_name_file_line_and_gesture(case):
    text, gesture, fragments = ERROR_CASES[case]
    with pytest.raises(GestureFileError) as info:
        parse_gestures(text, 'my/gestures.yaml')
    err = info.value
    line = _line_of(text)
    assert err.path == 'my/gestures.yaml'
    assert err.line == line, str(err)
    assert err.gesture == gesture
    message = str(err)
    assert message.startswith(f'my/gestures.yaml:{line}: '), message
    if gesture is not None:
        assert f"gesture '{gesture}'" in message
    for fragment in fragments:
        assert fragment in message


def test_load_names_the_real_path(tmp_path):
    path = tmp_path / 'g.yaml'
    text = VALID.replace('above: 150', 'above: 1e')
    path.write_text(text, encoding='utf-8')
    with pytest.raises(GestureFileError) as info:
        load_gestures(path)
    assert info.value.path == str(path)
    line = _line_of(text, 'above: 1e')
    assert str(info.value).startswith(f"{path}:{line}: gesture 'hands_up': above must be")
    with pytest.raises(GestureFileError, match='cannot read the file'):
        load_gestures(tmp_path / 'missing.yaml')


def test_empty_file_and_unsafe_tags_are_rejected():
    with pytest.raises(GestureFileError, match='empty'):
        parse_gestures('')
    evil = VALID.replace("'up(nose, left_wrist)'", "!!python/object/apply:os.system ['true']")
    with pytest.raises(GestureFileError, match='feature must be a string'):
        parse_gestures(evil)


def test_yaml_anchors_can_share_conditions():
    text = VALID.replace("        - {feature: 'up(nose, left_wrist)', above: 0.2}",
                         "        - &up {feature: 'up(nose, left_wrist)', above: 0.2}")
    text = text.replace("        - {feature: 'left(mid_shoulder, right_wrist)', below: -1}",
                        '        - *up')
    gs = parse_gestures(text)
    assert gs.get('spin').condition.children[1].feature.name == 'up(nose, left_wrist)'


def test_a_file_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / 'g.yaml'
    data = VALID.encode('utf-8').replace(b'spin on the spot', b'spin on the sp\xfft')
    path.write_bytes(data)
    with pytest.raises(GestureFileError) as info:
        load_gestures(path)
    line = _line_of(VALID, 'spin on the spot')
    assert info.value.line == line
    assert str(info.value).startswith(f'{path}:{line}: '), str(info.value)
    assert 'not UTF-8' in str(info.value) and '0xff' in str(info.value), str(info.value)


def _nested_aliases(levels: int, width: int) -> str:
    """Return a small file whose conditions multiply by ``width`` at each of ``levels`` aliases."""
    condition = "&l0 {feature: 'up(nose, left_wrist)', above: 0.2}"
    for i in range(1, levels + 1):
        condition = f"&l{i} {{all: [{', '.join([condition] + [f'*l{i - 1}'] * (width - 1))}]}}"
    return ('engage: a\ndisengage: b\ngestures:\n'
            f'  a: {{when: {condition}}}\n'
            "  b: {when: {feature: 'up(nose, right_wrist)', above: 0.2}}\n")


def test_alias_expansion_is_bounded():
    # 4**8 = 65536 conditions in 600 bytes, or 10**9 in 900: refused, not compiled.
    for levels, width in ((8, 4), (9, 10)):
        text = _nested_aliases(levels, width)
        assert len(text) < 1000
        with pytest.raises(GestureFileError) as info:
            parse_gestures(text, 'my/gestures.yaml')
        message = str(info.value)
        assert message.startswith('my/gestures.yaml:4: '), message
        assert info.value.gesture == 'a', message
        assert 'more than' in message and 'conditions' in message and 'alias' in message, message


def test_many_gestures_or_a_huge_file_are_refused(tmp_path):
    gesture = "  g{}: {{when: {{feature: 'up(nose, left_wrist)', above: 0.{}}}}}\n"
    text = 'engage: g0\ndisengage: g1\ngestures:\n' + ''.join(
        gesture.format(i, i % 9 + 1) for i in range(MAX_GESTURES + 1))
    with pytest.raises(GestureFileError, match=f'more than {MAX_GESTURES} gestures'):
        parse_gestures(text)
    path = tmp_path / 'huge.yaml'
    path.write_text(text + '#' * MAX_FILE_BYTES)
    with pytest.raises(GestureFileError) as info:
        load_gestures(path)
    assert str(info.value).startswith(f'{path}: ') and 'larger than' in str(info.value)


def test_deep_nesting_is_refused_not_a_recursion_error():
    deep = "{feature: 'up(nose, left_wrist)', above: 0.2}"
    for _ in range(MAX_NESTING + 1):
        deep = f'{{not: {deep}}}'
    text = ('engage: a\ndisengage: b\ngestures:\n'
            f'  a: {{when: {deep}}}\n'
            "  b: {when: {feature: 'up(nose, right_wrist)', above: 0.2}}\n")
    with pytest.raises(GestureFileError, match='nested more than'):
        parse_gestures(text)
    with pytest.raises(GestureFileError, match='nested too deeply'):
        parse_gestures('[' * 5000 + ']' * 5000)
