"""Scene files: parsing, errors naming file and line, the time-line's labels, the library."""

import numpy as np
import pytest
from render_helpers import require_assets

from pose_ros.rendering import SceneError, Timeline, library, load_scene, parse_scene
from pose_ros.rendering.poses import GESTURES

BASE = """# a test scene
person gender=0.3 stature=1.70 skin=tan shirt=#aa2020 trousers=denim
camera distance=3.0 height=1.3 yaw=10 fov=60
room wall=brick floor=gravel wall_colour=#908070 sun=30,40
image fps=10 noise=1 blur=0.5 jpeg=80 seed=3
pose wide like=engage l_forearm=200,5   # a variant
rest 0.5
move engage 0.4
hold engage 1.0
move rest 0.4
swing wave_a wave_b 1.0 period=0.5 label=none
walk 2.0 from=-1,0 to=1,0
"""


def test_a_scene_parses_with_its_settings():
    scene = parse_scene(BASE, 'base.scene')
    assert scene.name == 'base'
    assert scene.person.stature == 1.70
    assert scene.person.outfit.shirt == '#aa2020'
    assert scene.room.wall_colour == '#908070'   # '#' after '=' is a colour, not a comment
    assert scene.camera.yaw == 10 and scene.camera.width == 640
    assert scene.effects.fps == 10 and scene.effects.jpeg == 80
    assert [s.kind for s in scene.steps] == ['rest', 'move', 'hold', 'move', 'swing', 'walk']
    assert scene.duration == pytest.approx(5.3)
    assert scene.frame_count == 53
    assert scene.poses['wide'].directions['l_forearm'] == (200.0, 5.0)
    assert scene.poses['wide'].directions['r_forearm'] == GESTURES['engage'].directions[
        'r_forearm']


@pytest.mark.parametrize('text, line, words', [
    ('rest 1\nhold nothing 1\n', 2, "unknown pose 'nothing'"),
    ('rest -1\n', 1, 'rest duration must be > 0'),
    ('rest 1\nmove engage\n', 2, 'move takes: move POSE SECONDS'),
    ('camera distance=far\nrest 1\n', 1, 'camera distance must be a number'),
    ('camera fov=60\ncamera fov=50\nrest 1\n', 2, 'camera is already set on line 1'),
    ('person gender=2\nrest 1\n', 1, 'person gender must be within 0..1'),
    ('person shirt=mauve\nrest 1\n', 1, "'mauve' is not a colour"),
    ('person size=3\nrest 1\n', 1, "unknown person setting 'size'"),
    ('room wall=marble\nrest 1\n', 1, 'room wall must be one of'),
    ('rest 1\ndance 2\n', 2, "unknown statement 'dance'"),
    ('rest 1\nswing wave_a wave_b 2\n', 2, 'swing needs period=SECONDS'),
    ('rest 1\nwalk 2 from=0,0\n', 2, 'walk needs from=X,Z and to=X,Z'),
    ('rest 1\nhold engage 1 label=dance\n', 2, "label 'dance' is not a gesture"),
    ('pose x l_forearm=1\nrest 1\n', 1, 'l_forearm needs 2 comma-separated numbers'),
    ('pose x knee=1,2\nrest 1\n', 1, "unknown pose key 'knee'"),
    ('rest 1\ncamera fov=50\n', 2, 'camera must come before the first step'),
    ('\n# only a comment\n', None, 'no steps'),
])
def test_errors_name_file_and_line(text, line, words):
    with pytest.raises(SceneError) as err:
        parse_scene(text, 'bad.scene')
    assert err.value.line == line
    where = 'bad.scene' if line is None else f'bad.scene:{line}'
    assert str(err.value).startswith(where + ': ')
    assert words in str(err.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(SceneError, match='nothing.scene: cannot read'):
        load_scene(tmp_path / 'nothing.scene')


def test_every_shipped_scene_parses():
    names = {p.stem for p in library()}
    for gesture in GESTURES:
        assert gesture in names
    for path in library():
        scene = load_scene(path)
        assert scene.duration > 1.0, path
    # A shipped scene can be named without its folder.
    assert load_scene('engage').path.endswith('scenes/engage.scene')


def test_gesture_scenes_hold_their_gesture_and_everyday_scenes_never_command():
    for path in library():
        scene = load_scene(path)
        held = {s.poses[0] for s in scene.steps if s.kind == 'hold' and s.poses[0] in GESTURES}
        if path.stem in GESTURES:
            assert held == {path.stem}
        elif path.stem.startswith('session'):
            assert {'engage', 'forward', 'stop'} <= held
        elif path.stem.startswith('hand_session'):
            # A hand session: the body engage, then hand gestures (not body labels).
            assert held == {'engage'}, path.stem
        else:
            assert held == set(), path.stem
            assert all(s.option('label') in (None, 'none') for s in scene.steps)


def test_the_time_line_labels_eases_and_moves(tmp_path):
    assets = require_assets()
    scene = parse_scene(BASE, 'base.scene')
    tl = Timeline(scene, str(assets))
    assert (tl.at(0.2).gesture, tl.at(0.2).phase) == (None, 'idle')
    assert (tl.at(0.7).gesture, tl.at(0.7).phase) == ('engage', 'enter')
    assert (tl.at(1.4).gesture, tl.at(1.4).phase) == ('engage', 'hold')
    assert (tl.at(2.1).gesture, tl.at(2.1).phase) == ('engage', 'leave')
    assert tl.at(2.6).gesture is None  # label=none on the swing
    # Eased: halfway through the move the arms are halfway, and the ramp is flat at its ends.
    start = tl.at(0.5).pose.with_defaults().directions['l_upperarm'][0]
    mid = tl.at(0.7).pose.directions['l_upperarm'][0]
    end = tl.at(0.9).pose.directions['l_upperarm'][0]
    assert abs(mid - (start + end) / 2) < 4.0   # within the idle sway
    assert abs(tl.at(0.51).pose.directions['l_upperarm'][0] - start) < 3.0
    # Held poses sway a little; the swing goes back and forth.
    holds = [tl.at(1.0 + 0.1 * i).pose.directions['l_upperarm'][0] for i in range(8)]
    assert 0.3 < np.ptp(holds) < 6.0
    swing = [tl.at(2.3 + 0.05 * i).pose.directions['r_forearm'][0] for i in range(11)]
    assert np.ptp(swing) > 40.0
    # Walking goes from one end to the other, facing the way.
    assert tl.at(3.31).position[0] == pytest.approx(-1.0, abs=0.02)
    assert tl.at(5.29).position[0] == pytest.approx(1.0, abs=0.02)
    assert tl.at(4.3).facing == pytest.approx(90.0)
