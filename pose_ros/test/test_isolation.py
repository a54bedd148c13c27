"""Test sessions running at once on one machine do not hear each other over DDS."""

import fcntl
import os
import subprocess
import tempfile

from conftest import DOMAIN_ID, TEST_DIR, python_peer_args
import pytest


def test_this_sessions_domain_is_held():
    path = os.path.join(tempfile.gettempdir(), f'pose_ros_test_domain_{DOMAIN_ID}.lock')
    with open(path, 'a') as other, pytest.raises(BlockingIOError):
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert os.environ['ROS_DOMAIN_ID'] == str(DOMAIN_ID)


def test_a_second_session_at_once_gets_another_domain():
    env = {**os.environ, 'PYTHONPATH': TEST_DIR + os.pathsep + os.environ.get('PYTHONPATH', '')}
    run = subprocess.run(python_peer_args('import conftest; print(conftest.DOMAIN_ID)'),
                         capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 0, run.stderr
    other = int(run.stdout)
    assert 120 <= other <= 220 and other != DOMAIN_ID
