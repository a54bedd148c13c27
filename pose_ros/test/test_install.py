"""The colcon install is what a ROS user gets: both packages indexed, data files in share."""

import os
import pathlib
import subprocess
import sys

import ament_index_python.packages as ament_index
import pytest

SOURCE = pathlib.Path(__file__).resolve().parents[1]


def test_package_index_finds_both_packages():
    packages = ament_index.get_packages_with_prefixes()
    assert 'pose_ros' in packages
    assert 'pose_ros_msgs' in packages
    msgs_share = pathlib.Path(ament_index.get_package_share_directory('pose_ros_msgs'))
    assert (msgs_share / 'msg' / 'PersonArray.msg').is_file()


@pytest.mark.parametrize('folder', ['launch', 'config'])
def test_launch_and_config_installed_to_share(folder):
    share = pathlib.Path(ament_index.get_package_share_directory('pose_ros'))
    wanted = sorted(p.name for p in (SOURCE / folder).iterdir()
                    if p.suffix in ('.py', '.yaml', '.xml'))
    assert wanted, f'{folder}/ in the source tree is empty'
    assert sorted(p.name for p in (share / folder).iterdir()) == wanted


def test_executables_install_to_lib_for_ros2_run():
    prefix = pathlib.Path(ament_index.get_package_prefix('pose_ros'))
    fetch = prefix / 'lib' / 'pose_ros' / 'fetch_model'
    assert fetch.is_file() and os.access(fetch, os.X_OK)


def test_tests_find_the_executables_without_them_on_path():
    # A distro user sources install/setup.bash only: lib/pose_ros is not on PATH there.
    prefix = pathlib.Path(ament_index.get_package_prefix('pose_ros'))
    env = dict(os.environ, PATH=os.pathsep.join(
        p for p in os.environ['PATH'].split(os.pathsep)
        if pathlib.Path(p).resolve() != (prefix / 'lib' / 'pose_ros').resolve()))
    run = subprocess.run(
        [sys.executable, '-c', 'import conftest; print(conftest.executable("pose_node"))'],
        cwd=os.path.dirname(__file__), env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(prefix / 'lib' / 'pose_ros' / 'pose_node')
