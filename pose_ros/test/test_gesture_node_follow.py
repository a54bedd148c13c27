"""Follow me over real DDS: gesture_node in its own process, a person the robot drives toward.

The test plays both the person and the world: keypoints with depth positions (as pose_node
gives them with ``use_depth``) at 30 Hz for a person ``distance`` metres away, and each
command the node sends moves the simulated robot, so the distance closes as it drives.
"""

import signal
import threading
import time

import pytest
from rcl_interfaces.msg import ParameterType, ParameterValue
from synthetic_people import ADULT, GESTURE_STANCES, REST, render_at
from test_gesture_node import EXECUTABLE, Operator, _set, is_zero, stop_problems

from pose_ros.control.follow_me import DISTANCE_DEAD_BAND_M, body_length_px
from pose_ros_msgs.msg import Gesture


class Walker(Operator):
    """A person in a world where the node's commands move the robot toward them."""

    def __init__(self, context, distance: float = 3.0):
        super().__init__(context)
        self.distance = distance
        self.x_m = 0.0

    def walk(self, stance_name: str | None, seconds: float, depth: bool = True,
             age: float = 0.0, spoiled: str | None = None, speed: float = 0.0) -> None:
        """Stream the person for ``seconds``, walking away at ``speed`` (m/s) as the robot drives.

        ``stance_name`` None: nobody in view. The robot moves at the last command received.
        """
        from conftest import spoil
        stance = REST if stance_name in (None, 'rest') else GESTURE_STANCES[stance_name]
        end = last = time.monotonic()
        end += seconds
        while time.monotonic() < end:
            now = time.monotonic()
            dt, last = now - last, now
            drive = self.commands[-1][1].linear.x if self.commands else 0.0
            self.distance += (speed - drive) * dt
            poses = [] if stance_name is None else [render_at(
                ADULT, stance, self.distance, self.x_m, depth=depth, track_id=1)]
            if spoiled:
                poses = [spoil(p, spoiled) for p in poses]
            self.publish(poses, age)
            self.idle(1 / 30)

    def speed(self) -> float:
        return self.commands[-1][1].linear.x if self.commands else 0.0


@pytest.fixture
def walker(rclpy_context):
    w = Walker(rclpy_context)
    yield w
    w.close()


def engage_and_follow(w: Walker, depth: bool = True, drives: bool = True) -> None:
    """Engage, then make follow me until the robot drives (generous deadlines, as elsewhere).

    ``drives`` False: it is not expected to; the gesture is held 2.5 s.
    """
    def engaged() -> bool:
        return any(g.name == 'engage' and g.phase == Gesture.STARTED for g in w.gestures)

    deadline = time.monotonic() + 60.0
    w.walk('engage', 1.6, depth)
    while not engaged() and time.monotonic() < deadline:
        w.walk('engage', 0.2, depth)
    assert engaged(), 'the engage gesture was never recognised'
    w.walk('rest', 0.3, depth)
    w.walk('follow_me', 1.5 if drives else 2.5, depth)
    while drives and w.speed() <= 0.0 and time.monotonic() < deadline:
        w.walk('follow_me', 0.2, depth)


def start(peer, w: Walker, *params: str):
    args = [EXECUTABLE, '--ros-args', '-p', 'follow_distance:=1.5',
            '-p', 'follow_min_distance:=0.8']
    for p in params:
        args += ['-p', p]
    proc = peer(args)
    w.wait_for(proc)
    return proc


def test_follow_me_approaches_to_the_set_distance(walker, peer):
    proc = start(peer, walker)
    engage_and_follow(walker)
    assert walker.speed() > 0.0, proc.stop()
    walker.walk('rest', 14.0)
    # Settled: the torso joints are about 3 cm behind the body's front, and the robot stops
    # within the dead band beyond the set distance.
    assert walker.distance == pytest.approx(1.5 + DISTANCE_DEAD_BAND_M, abs=0.1), proc.stop()
    assert walker.speed() < 0.03
    speeds = [m.linear.x for _, m in walker.commands]
    assert max(speeds) <= 0.5 + 1e-9
    assert not any(s < 0.0 for s in speeds), 'it backed up'
    log = proc.stop()
    assert 'following person 1 at 1.5 m (distance from depth' in log, log


def test_without_depth_refused_with_how_to_calibrate_and_then_calibrated(walker, peer):
    proc = start(peer, walker)
    engage_and_follow(walker, depth=False, drives=False)
    assert all(is_zero(m) for _, m in walker.commands), 'followed with no distance'
    log = proc.stop()
    assert 'follow-me refused: no distance to you' in log and 'follow_calibration' in log, log
    assert 'Traceback' not in log
    # Calibrated at 2 m: the same person, no depth, is followed to the set distance.
    length = body_length_px(render_at(ADULT, REST, 2.0, depth=False), 0.3)
    walker.commands.clear()
    walker.gestures.clear()
    walker.distance = 3.0
    proc = start(peer, walker, f'follow_calibration:={2.0 * length}')
    engage_and_follow(walker, depth=False)
    assert walker.speed() > 0.0, proc.stop()
    walker.walk('rest', 14.0, depth=False)
    assert walker.distance == pytest.approx(1.5 + DISTANCE_DEAD_BAND_M, abs=0.12), proc.stop()
    assert 'distance from size' in proc.stop()


# How each way of stopping is shown to the node once it is following a person walking away,
# and how long the first zero may take after it: lost_timeout (0.5 s) where the node must
# wait to know, the next message where it knows at once, stop's hold (0.2 s) for stop.
STOPS = {
    'lost': ({'stance_name': None}, 0.5 + 0.3, 'released: lost'),
    'stale': ({'stance_name': 'rest', 'age': 2.0}, 0.5 + 0.3, 'released: lost'),
    'unusable': ({'stance_name': 'rest', 'spoiled': 'nan'}, 0.5 + 0.3,
                 'released: keypoints unusable'),
    'too close': ({'stance_name': 'rest'}, 0.3, 'closer than min_distance'),
    'stop gesture': ({'stance_name': 'stop'}, 0.2 + 0.35, 'released: disengage'),
}


@pytest.mark.parametrize('how', STOPS)
def test_every_stopping_case_holds_while_following(walker, peer, how):
    show, within, words = STOPS[how]
    proc = start(peer, walker, 'lost_timeout:=0.5', 'zero_window:=0.5')
    engage_and_follow(walker)
    # The person walks away at the robot's pace: it keeps driving.
    walker.walk('rest', 1.5, speed=0.3)
    assert walker.speed() > 0.1, proc.stop()
    if how == 'too close':
        walker.distance = 0.6   # someone steps in between, or the person turns back
    since = walker.published_at
    walker.walk(seconds=1.5, **show)
    after = [(t - since, m) for t, m in walker.commands if t > since]
    zeros = [t for t, m in after if is_zero(m)]
    assert zeros, f'{how}: no zero'
    assert zeros[0] < within, f'{how}: first zero {zeros[0]:.3f} s after'
    assert all(is_zero(m) for t, m in after if t >= zeros[0]), f'{how}: moved again'
    log = proc.stop()
    assert words in log, log


@pytest.mark.parametrize('signals', [[(0.0, signal.SIGINT)],
                                     [(0.0, signal.SIGINT), (0.05, signal.SIGTERM)]],
                         ids=['SIGINT', 'SIGINT then SIGTERM'])
def test_shutdown_while_following_sends_zeros_and_exits_cleanly(walker, peer, signals):
    proc = start(peer, walker, 'lost_timeout:=5.0')
    engage_and_follow(walker)
    walker.walk('rest', 1.0, speed=0.3)
    assert walker.speed() > 0.1, proc.stop()
    signalled = time.monotonic() + 0.2
    timers = [threading.Timer(0.2 + at, proc.proc.send_signal, (sig,)) for at, sig in signals]
    for t in timers:
        t.start()
    deadline = time.monotonic() + 30.0
    while proc.proc.poll() is None and time.monotonic() < deadline:
        walker.walk('rest', 0.1, speed=0.3)
    walker.idle(0.5)
    for t in timers:
        t.join()
    problems, log = stop_problems(proc, walker.commands, signalled)
    assert not problems, f'{problems}\n{log}'


def test_time_jumping_back_while_following_stops_the_robot(walker, peer):
    # use_sim_time switched on with nobody publishing /clock: ROS time drops to 0.
    proc = start(peer, walker, 'zero_window:=0.5')
    engage_and_follow(walker)
    walker.walk('rest', 1.0, speed=0.3)
    assert walker.speed() > 0.1, proc.stop()
    result = _set(walker, 'use_sim_time', ParameterValue(
        type=ParameterType.PARAMETER_BOOL, bool_value=True))
    assert result.successful, result.reason
    switched = time.monotonic()
    walker.walk('rest', 2.0, speed=0.3)
    after = [(t - switched, m) for t, m in walker.commands if t > switched]
    assert after and is_zero(after[0][1]) and after[0][0] < 0.3, after[:3]
    assert all(is_zero(m) for _, m in after), 'moved again without a new engage'
    log = proc.stop()
    assert 'clock jumped back' in log and 'following ended: released (clock jumped back)' in log
