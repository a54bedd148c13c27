"""Shared by the tests: DDS isolation, an rclpy context, peer processes, a test node, models."""

import codecs
import fcntl
import os
from pathlib import Path
import random
import select
import subprocess
import sys
import tempfile
import time

import pytest


def _claim_domain() -> tuple[int, object]:
    """Return a random DDS domain no other test session here holds, and the lock holding it.

    Two sessions at once on one machine (two clones, CI jobs) in the same domain hear each
    other: a demo test once recorded another session's annotated frames. The lock is an
    advisory one on a file per domain; the system drops it when this process ends, however.
    """
    domains = list(range(120, 221))
    random.SystemRandom().shuffle(domains)
    for domain in domains:
        lock = open(os.path.join(tempfile.gettempdir(), f'pose_ros_test_domain_{domain}.lock'),
                    'a')
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        return domain, lock
    raise RuntimeError('DDS domains 120 to 220 are all held by other pose_ros test sessions')


# Never share a DDS domain with whatever else runs on this machine: a gesture test publishing
# on /cmd_vel in the user's own domain could move a real robot. A random domain per run, free
# of other test sessions, and discovery kept on this machine, are set before anything imports
# rclpy.
DOMAIN_ID, _DOMAIN_LOCK = _claim_domain()
os.environ['ROS_DOMAIN_ID'] = str(DOMAIN_ID)
os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
os.environ['ROS_LOCALHOST_ONLY'] = '1'  # the same for distros before Jazzy

TEST_DIR = os.path.dirname(os.path.abspath(__file__))


def stamp_ns(msg) -> int:
    """Return the header stamp of ``msg`` in integer nanoseconds, exact for comparing."""
    from pose_ros.ros.stamps import stamp_to_ns
    return stamp_to_ns(msg.header.stamp)


def spoil(pose, how: str):
    """Return ``pose`` with keypoints made useless to gestures as ``how`` says; box, id kept."""
    import numpy as np

    from pose_ros.core.keypoints import Keypoint, Pose
    kp = pose.keypoints.copy()
    if how == 'nan':
        kp[:] = np.nan
    elif how == 'nan positions':
        kp[:, :2] = np.nan
    elif how == 'infinite positions':
        kp[:, :2] = np.inf
    elif how == 'zero scores':
        kp[:, 2] = 0.0
    else:  # no gesture looks at the legs
        kp[:int(Keypoint.LEFT_HIP), 2] = 0.0
    return Pose(kp, pose.score, pose.box, pose.track_id)


SPOILS = ['nan', 'nan positions', 'infinite positions', 'zero scores', 'only the legs']


def executable(name: str) -> str:
    """Path of an installed pose_ros executable; without one the tests must fail, not skip.

    Found where ``ros2 run`` looks, in the package's lib/pose_ros (ament index), not on PATH:
    a distro user has only sourced install/setup.bash, which puts no package's lib on PATH.
    """
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix
    try:
        prefix = get_package_prefix('pose_ros')
    except PackageNotFoundError:
        raise RuntimeError('pose_ros is not installed: run tools/setup.sh, then source '
                           'pose_ros_env.sh (or, on a distro, colcon build and source '
                           'install/setup.bash)') from None
    path = os.path.join(prefix, 'lib', 'pose_ros', name)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f'{path} is missing: build pose_ros again (colcon build)')
    return path


@pytest.fixture
def rclpy_context():
    """Give a test its own initialised rclpy context, shut down afterwards."""
    import rclpy
    context = rclpy.context.Context()
    rclpy.init(context=context)
    try:
        yield context
    finally:
        rclpy.try_shutdown(context=context)


class Peer:
    """A Python process started by a test, killed when the test ends."""

    def __init__(self, args: list[str]):
        env = dict(os.environ)
        env['PYTHONPATH'] = TEST_DIR + os.pathsep + env.get('PYTHONPATH', '')
        env['PYTHONUNBUFFERED'] = '1'
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # What wait_for_output has read so far (raw from the pipe, so stop() still gets the
        # rest from proc.stdout, whose buffer stays empty).
        self._read = ''
        self._decoder = codecs.getincrementaldecoder('utf-8')('replace')

    def wait_for_output(self, text: str, timeout: float = 60.0) -> bool:
        """Read what the process prints until ``text`` appears; return whether it did.

        For what a node says when something has happened: waiting for the line itself, not a
        fixed time, is what keeps a test right on a machine slowed down by other work.
        """
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while text not in self._read:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if not select.select([fd], [], [], min(left, 0.5))[0]:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:  # the process has exited and its output is all read
                return False
            self._read += self._decoder.decode(chunk)
        return True

    def output(self) -> str:
        """Return what wait_for_output has read so far."""
        return self._read

    def stop(self, sig_timeout: float = 5.0) -> str:
        """Interrupt the process like Ctrl-C and return everything it printed."""
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(sig_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self._read + self.proc.stdout.read()


@pytest.fixture
def peer():
    """Start processes with ``peer(args)``; all are stopped at the end of the test."""
    started: list[Peer] = []

    def start(args: list[str]) -> Peer:
        p = Peer(args)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


def python_peer_args(code: str) -> list[str]:
    """Arguments that run ``code`` in a fresh interpreter of the one running the tests."""
    return [sys.executable, '-c', code]


def spin_until(node, executor, predicate, timeout: float) -> bool:
    """Spin ``executor`` until ``predicate()`` holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        executor.spin_once(timeout_sec=0.05)
    return predicate()


class RosTestNode:
    """A test-side node with its own executor, spun only while the test waits for something.

    Subclasses add the publishers and the subscriptions (``collect``) a test needs.
    """

    def __init__(self, context, name: str):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        self.node = rclpy.create_node(name, context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)

    def collect(self, msg_type, topic: str, qos, timed: bool = False) -> list:
        """Subscribe to ``topic``; return the list its messages are appended to as they arrive.

        With ``timed``, each entry is ``(time.monotonic() on arrival, message)``.
        """
        received = []
        if timed:
            self.node.create_subscription(
                msg_type, topic, lambda msg: received.append((time.monotonic(), msg)), qos)
        else:
            self.node.create_subscription(msg_type, topic, received.append, qos)
        return received

    def spin_until(self, predicate, timeout: float) -> bool:
        """Spin until ``predicate()`` holds or ``timeout`` seconds pass; return whether it held."""
        return spin_until(self.node, self.executor, predicate, timeout)

    def idle(self, seconds: float) -> None:
        """Spin for ``seconds``, handling whatever arrives meanwhile."""
        self.spin_until(lambda: False, seconds)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


BLAZEPOSE_FETCH = 'python -m pose_ros.models fetch blazepose_full'


def require_model(name: str) -> Path:
    """Path of model file ``name`` in $POSE_ROS_MODELS or ~/.cache/pose_ros/models.

    Skips the calling test, naming the missing file and the fetch command, if it is absent.
    """
    root = Path(os.environ.get('POSE_ROS_MODELS', '~/.cache/pose_ros/models')).expanduser()
    path = root / name
    if not path.is_file():
        pytest.skip(reason=f'{path} missing; fetch it with: {BLAZEPOSE_FETCH}')
    return path
