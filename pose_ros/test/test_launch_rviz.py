"""bringup.launch.py's `rviz` argument: rviz2 starts with pose_ros.rviz only with rviz:=true.

Runs the installed launch file's declarations and its rviz2 action in a LaunchService, with a
stand-in rviz2 package (an executable that writes down its command line): the real rviz2 needs
a display and is not what is tested. The pipeline's own nodes are left out: the other launch
tests start those. Needs launch and launch_ros, which come with a ROS 2 distro but are not on
PyPI: in the wheels-only venv this module is skipped with that reason.
"""

import json
import os
import sys

from ament_index_python.packages import get_package_share_directory
import pytest

pytest.importorskip(
    'launch_ros', reason='launch_ros not installed (not on PyPI; comes with a ROS 2 distro: '
    'apt install ros-$ROS_DISTRO-launch-ros)')

from launch import LaunchContext, LaunchDescription, LaunchService  # noqa: E402
from launch.actions import DeclareLaunchArgument, SetLaunchConfiguration  # noqa: E402
from launch.launch_description_sources import (  # noqa: E402
    get_launch_description_from_python_launch_file,
)
from launch_ros.actions import Node  # noqa: E402

SHARE = get_package_share_directory('pose_ros')
BRINGUP = os.path.join(SHARE, 'launch', 'bringup.launch.py')
RVIZ_CONFIG = os.path.join(SHARE, 'rviz', 'pose_ros.rviz')


def entities():
    description = get_launch_description_from_python_launch_file(BRINGUP)
    declared = [e for e in description.entities if isinstance(e, DeclareLaunchArgument)]
    nodes = [e for e in description.entities if isinstance(e, Node)]
    return declared, nodes


@pytest.fixture
def fake_rviz(tmp_path, monkeypatch):
    """Put an rviz2 package on the ament index whose rviz2 writes its arguments to a file."""
    prefix = tmp_path / 'prefix'
    index = prefix / 'share' / 'ament_index' / 'resource_index' / 'packages'
    index.mkdir(parents=True)
    (index / 'rviz2').write_text('')
    executable = prefix / 'lib' / 'rviz2' / 'rviz2'
    executable.parent.mkdir(parents=True)
    record = tmp_path / 'rviz2_argv.json'
    executable.write_text(f'#!{sys.executable}\nimport json, sys\n'
                          f'open({str(record)!r}, "w").write(json.dumps(sys.argv[1:]))\n')
    executable.chmod(0o755)
    monkeypatch.setenv('AMENT_PREFIX_PATH',
                       f'{prefix}{os.pathsep}{os.environ.get("AMENT_PREFIX_PATH", "")}')
    return record


def run_rviz_action(**arguments: str) -> int:
    declared, nodes = entities()
    (rviz,) = [n for n in nodes if n.node_executable == 'rviz2']
    service = LaunchService()
    service.include_launch_description(LaunchDescription([
        *(SetLaunchConfiguration(k, v) for k, v in arguments.items()), *declared, rviz]))
    return service.run()


def test_the_rviz_config_is_installed_and_shows_the_camera_frame_and_the_markers():
    import yaml
    with open(RVIZ_CONFIG, encoding='utf-8') as f:
        config = yaml.safe_load(f)
    manager = config['Visualization Manager']
    # camera_node's default frame_id, which the keypoints and so the markers carry.
    assert manager['Global Options']['Fixed Frame'] == 'camera'
    topics = {d['Class']: d['Topic'] for d in manager['Displays'] if 'Topic' in d}
    assert topics['rviz_default_plugins/MarkerArray']['Value'] == '/pose/markers'
    image = topics['rviz_default_plugins/Image']
    assert image['Value'] == '/pose/image_annotated'
    # pose_node publishes the annotated image best effort: a reliable reader would get nothing.
    assert image['Reliability Policy'] == 'Best Effort'


def test_rviz_is_declared_off_by_default_with_its_choices():
    declared, _ = entities()
    (rviz,) = [d for d in declared if d.name == 'rviz']
    assert rviz.choices == ['true', 'false']
    assert ' + '.join(t.describe() for t in rviz.default_value) == "'false'"


def test_only_rviz_true_makes_the_rviz2_node_run():
    declared, nodes = entities()
    (rviz,) = [n for n in nodes if n.node_executable == 'rviz2']
    assert rviz.node_package == 'rviz2'
    for value, runs in (('true', True), ('false', False)):
        context = LaunchContext()
        context.launch_configurations['rviz'] = value
        for d in declared:
            d.visit(context)
        assert rviz.condition.evaluate(context) is runs, f'rviz:={value}'
    # Without rviz:=true the default (false) holds.
    context = LaunchContext()
    for d in declared:
        d.visit(context)
    assert rviz.condition.evaluate(context) is False
    pipeline = [n.node_executable for n in nodes if n.node_executable != 'rviz2']
    assert pipeline == ['camera_node', 'pose_node', 'gesture_node']


def test_rviz_true_starts_rviz2_with_the_config_and_topics_in_the_namespace(fake_rviz):
    assert run_rviz_action(rviz='true', namespace='robot1') == 0
    argv = json.loads(fake_rviz.read_text())
    assert argv[:2] == ['-d', RVIZ_CONFIG], argv
    assert '-r' in argv and '/pose/markers:=/robot1/pose/markers' in argv, argv
    assert '/pose/image_annotated:=/robot1/pose/image_annotated' in argv, argv


def test_without_a_namespace_the_topics_stay_as_the_config_names_them(fake_rviz):
    assert run_rviz_action(rviz='true') == 0
    argv = json.loads(fake_rviz.read_text())
    assert '/pose/markers:=/pose/markers' in argv, argv


def test_rviz_false_starts_nothing(fake_rviz):
    assert run_rviz_action(rviz='false') == 0
    assert not fake_rviz.exists(), 'rviz2 ran with rviz:=false'
