"""GestureRecognizer: the gesture language on everyone in view, without a robot to command."""

import json
import os
from pathlib import Path
import site
import subprocess
import sys

import numpy as np
import pytest
from synthetic_people import ADULT, CHILD, REST, View, gesture_motion, sample

from pose_ros.gestures import (
    GestureEvent,
    GestureRecognizer,
    Phase,
    default_gestures_path,
    language,
    load_gestures,
)
from pose_ros.gestures.language import GestureFileError

GESTURES = Path(__file__).resolve().parents[1] / 'config' / 'gestures.yaml'


def _phases(events, name, person_id):
    return [e.phase for e in events if e.name == name and e.person_id == person_id]


def test_three_lines_recognise_a_held_gesture_start_and_end():
    rng = np.random.default_rng(3)
    seq = sample(gesture_motion('forward', hold=1.5, rng=rng), 3.5, ADULT, View(), rng,
                 track_id=4)
    recognizer = GestureRecognizer.from_file(GESTURES)
    events = []
    for t, pose in zip(seq.times, seq.poses):
        events += recognizer.update([pose], t)
    started = [e for e in events if e.name == 'forward' and e.phase is Phase.STARTED]
    assert len(started) == 1 and started[0].person_id == 4
    assert type(started[0]) is GestureEvent  # as the teleop's
    # The hold time (0.4 s) counts from when the pose is reached (0.5 s rest + 0.4 s ramp).
    assert 0.9 <= started[0].stamp_s <= 1.9
    assert 0.0 < started[0].confidence <= 1.0
    assert _phases(events, 'forward', 4)[-1] is Phase.ENDED


def test_people_are_told_apart_by_track_id_and_forgotten_when_gone():
    rng = np.random.default_rng(5)
    forward = sample(gesture_motion('forward', hold=5.0, rng=rng), 2.0, ADULT, View(), rng,
                     track_id=1)
    still = sample(lambda t: REST, 2.0, CHILD, View(cx=480.0, scale=0.7), rng, track_id=2)
    recognizer = GestureRecognizer(load_gestures(GESTURES), forget_after_s=0.3)
    events = []
    for t, a, b in zip(forward.times, forward.poses, still.poses):
        events += recognizer.update([a, b], t)
    assert recognizer.person_ids == [1, 2]
    assert recognizer.active(1) == ['forward'] and recognizer.active(2) == []
    assert _phases(events, 'forward', 2) == []
    # Person 1 leaves: after forget_after_s their gesture ends and they are forgotten.
    t = forward.times[-1]
    assert recognizer.update([still.poses[-1]], t + 0.2) == []
    gone = recognizer.update([still.poses[-1]], t + 0.4)
    assert [(e.name, e.person_id, e.phase) for e in gone] == [('forward', 1, Phase.ENDED)]
    assert recognizer.person_ids == [2] and recognizer.active(1) == []


def test_bad_arguments_are_refused_with_what_to_give(tmp_path):
    with pytest.raises(TypeError, match='GestureSet'):
        GestureRecognizer(str(GESTURES))
    with pytest.raises(ValueError, match='forget_after_s'):
        GestureRecognizer(load_gestures(GESTURES), forget_after_s=0.0)
    bad = tmp_path / 'bad.yaml'
    bad.write_text('engage: nope\ngestures: {}\n')
    with pytest.raises(GestureFileError, match='bad.yaml'):
        GestureRecognizer.from_file(bad)
    with pytest.raises(ValueError, match='finite'):
        GestureRecognizer(load_gestures(GESTURES)).update([], float('nan'))


def test_the_shipped_gestures_are_the_default():
    recognizer = GestureRecognizer.from_file()
    assert recognizer.gestures.path == str(default_gestures_path())
    assert recognizer.gestures.gestures == load_gestures(GESTURES).gestures


def _without_ament_index(monkeypatch):
    # As without ROS: importing ament_index_python fails.
    monkeypatch.setitem(sys.modules, 'ament_index_python.packages', None)


def test_the_ament_index_names_the_shipped_gestures_when_ros_is_there():
    from ament_index_python.packages import get_package_share_directory
    share = Path(get_package_share_directory('pose_ros'))
    assert default_gestures_path() == share / 'config' / 'gestures.yaml'


def test_without_ros_the_shipped_gestures_are_found_where_pip_puts_them(monkeypatch, tmp_path):
    _without_ament_index(monkeypatch)
    installed = tmp_path / 'share' / 'pose_ros' / 'config' / 'gestures.yaml'
    installed.parent.mkdir(parents=True)
    installed.write_text(GESTURES.read_text())
    monkeypatch.setattr(sys, 'prefix', str(tmp_path))
    assert default_gestures_path() == installed
    assert GestureRecognizer.from_file().gestures.names == load_gestures(GESTURES).names


def test_without_ros_or_an_install_the_source_trees_gestures_are_found(monkeypatch, tmp_path):
    _without_ament_index(monkeypatch)
    monkeypatch.setattr(sys, 'prefix', str(tmp_path))
    monkeypatch.setattr(site, 'getuserbase', lambda: str(tmp_path / 'user'))
    assert default_gestures_path() == GESTURES


def test_no_shipped_gestures_anywhere_is_one_clear_error(monkeypatch, tmp_path):
    _without_ament_index(monkeypatch)
    monkeypatch.setattr(sys, 'prefix', str(tmp_path))
    monkeypatch.setattr(site, 'getuserbase', lambda: str(tmp_path / 'user'))
    monkeypatch.setattr(language, '_SOURCE_TREE', tmp_path / 'clone')
    with pytest.raises(GestureFileError, match='in none of') as err:
        GestureRecognizer.from_file()
    assert str(tmp_path / 'clone' / 'config' / 'gestures.yaml') in str(err.value)


def test_a_plain_python_process_without_ros_gets_the_shipped_gestures():
    env = {k: v for k, v in os.environ.items()
           if k not in ('AMENT_PREFIX_PATH', 'COLCON_PREFIX_PATH', 'ROS_DISTRO')}
    code = ('import json, sys\n'
            'from pose_ros.gestures import GestureRecognizer, default_gestures_path\n'
            'names = GestureRecognizer.from_file().gestures.names\n'
            'print(json.dumps([str(default_gestures_path()), list(names), '
            "'rclpy' in sys.modules]))\n")
    done = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    path, names, rclpy_loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(path).read_text() == GESTURES.read_text()
    assert names == list(load_gestures(GESTURES).names) and not rclpy_loaded
