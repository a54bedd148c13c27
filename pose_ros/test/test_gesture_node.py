"""gesture_node as users run it: its own process, real DDS, people streamed at 30 Hz."""

import signal
import subprocess
import threading
import time

from conftest import RosTestNode, executable, spin_until, spoil, stamp_ns
from geometry_msgs.msg import Twist, TwistStamped
import numpy as np
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.qos import qos_profile_sensor_data
from synthetic_people import ADULT, GESTURE_STANCES, NO_NOISE, REST, View, render

from pose_ros.control import UpdateResult, Verdict
from pose_ros.ros.messages import poses_to_msg
from pose_ros.ros.stamps import seconds_to_stamp
from pose_ros_msgs.msg import Gesture, PersonArray

EXECUTABLE = executable('gesture_node')
# Well-formed but for one unknown feature, on line 7.
BROKEN_GESTURES = """engage: hands_up
disengage: hands_down
gestures:
  hands_up:
    when: {feature: 'up(nose, left_wrist)', above: 0.3}
  hands_down:
    when: {feature: 'wrist_height(left)', below: 0.0}
"""


class Operator(RosTestNode):
    """Plays a person in front of the camera: keypoints at 30 Hz, stamped now."""

    def __init__(self, context, twist_type=Twist):
        super().__init__(context, 'gesture_tester')
        self.keypoints = self.node.create_publisher(PersonArray, '/pose/keypoints',
                                                    qos_profile_sensor_data)
        self.commands: list[tuple[float, object]] = self.collect(
            twist_type, '/cmd_vel', 100, timed=True)
        self.gestures: list[Gesture] = self.collect(Gesture, '/pose/gesture', 100)
        self.rng = np.random.default_rng(7)
        self.sent_stamps: set[int] = set()  # of the keypoints shown, in nanoseconds

    def wait_for(self, node_proc) -> None:
        ok = self.spin_until(lambda: self.keypoints.get_subscription_count() > 0, 60.0)
        assert ok, node_proc.stop()
        self.idle(0.5)  # let the node's reader see our writer too (best effort)

    def show(self, stance_name: str | None, seconds: float, age: float = 0.0,
             track_id: int = 1, spoiled: str | None = None) -> None:
        """Stream one stance (None: nobody in view) for ``seconds``, stamped ``age`` s ago.

        ``spoiled`` names how to make the keypoints useless (see conftest.spoil).
        """
        stance = REST if stance_name == 'rest' else GESTURE_STANCES.get(stance_name)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            poses = [] if stance is None else [
                render(ADULT, stance, View(), self.rng, NO_NOISE, track_id)]
            if spoiled:
                poses = [spoil(p, spoiled) for p in poses]
            self.publish(poses, age)
            self.idle(1 / 30)

    def publish(self, poses: list, age: float = 0.0) -> None:
        """Publish one keypoints message of ``poses`` (640x480), stamped ``age`` s ago."""
        header = PersonArray().header
        header.stamp = (self.node.get_clock().now()
                        - rclpy.duration.Duration(seconds=age)).to_msg()
        header.frame_id = 'camera'
        self.sent_stamps.add(stamp_ns(PersonArray(header=header)))
        self.keypoints.publish(poses_to_msg(poses, header, 640, 480, 'synthetic'))
        self.published_at = time.monotonic()


@pytest.fixture
def operator(rclpy_context):
    op = Operator(rclpy_context)
    yield op
    op.close()


def linear_x(msg) -> float:
    return msg.linear.x


def is_zero(msg) -> bool:
    return (msg.linear.x, msg.linear.y, msg.angular.z) == (0.0, 0.0, 0.0)


def engage_and_drive(operator: Operator) -> None:
    """Engage, then drive forward until a forward command has arrived (generous deadlines).

    The engage gesture is shown until the node says it started: on a busy machine the node's
    reader may see our writer late, or the node may find a frame too old (max_age) and skip it.
    """
    def engaged() -> int:
        return sum(g.name == 'engage' and g.phase == Gesture.STARTED for g in operator.gestures)

    before = engaged()
    operator.show('engage', 1.6)
    deadline = time.monotonic() + 60.0
    while engaged() == before and time.monotonic() < deadline:
        operator.show('engage', 0.2)
    assert engaged() > before, 'the engage gesture was never recognised'
    operator.show('rest', 0.3)
    operator.show('forward', 1.5)
    def moving() -> bool:  # Twist or TwistStamped
        return bool(operator.commands) and getattr(
            operator.commands[-1][1], 'twist', operator.commands[-1][1]).linear.x > 0

    deadline = time.monotonic() + 60.0
    while not moving() and time.monotonic() < deadline:
        operator.show('forward', 0.2)


def test_no_command_at_all_before_engagement(operator, peer):
    proc = peer([EXECUTABLE])
    operator.wait_for(proc)
    operator.show('forward', 1.5)
    operator.show('turn_left', 1.0)
    assert operator.commands == [], 'a command was sent for a person who never engaged'


def test_engage_then_forward_within_the_limits(operator, peer):
    proc = peer([EXECUTABLE, '--ros-args', '-p', 'max_linear_x:=0.1'])
    operator.wait_for(proc)
    engage_and_drive(operator)
    assert any(g.name == 'engage' and g.phase == Gesture.STARTED and g.person_id == 1
               for g in operator.gestures), [(g.name, g.phase) for g in operator.gestures]
    assert any(g.name == 'forward' and g.phase == Gesture.STARTED for g in operator.gestures)
    engaged_at = next(i for i, g in enumerate(operator.gestures) if g.name == 'engage')
    assert operator.gestures[engaged_at].header.frame_id == 'camera'
    speeds = [linear_x(m) for _, m in operator.commands]
    assert max(speeds) > 0.05, f'never drove forward: {speeds}'
    assert max(speeds) <= 0.1 + 1e-9, 'the file asks for more than max_linear_x; the limit wins'
    assert all(m.angular.z == 0.0 for _, m in operator.commands)


def test_zero_after_lost_timeout_then_silence(operator, peer):
    proc = peer([EXECUTABLE, '--ros-args', '-p', 'lost_timeout:=0.5', '-p', 'zero_window:=0.5'])
    operator.wait_for(proc)
    engage_and_drive(operator)
    assert operator.commands and linear_x(operator.commands[-1][1]) > 0
    lost_at = time.monotonic()
    operator.show(None, 0.5)   # nobody in view: empty PersonArrays
    operator.idle(1.5)         # and then no messages at all
    after = [(t - lost_at, linear_x(m)) for t, m in operator.commands if t > lost_at]
    zeros = [t for t, v in after if v == 0.0]
    assert zeros, 'no zero command after the controlling person was lost'
    assert zeros[0] < 0.5 + 0.2, f'first zero only {zeros[0]:.2f} s after the loss'
    assert after[-1][1] == 0.0
    assert all(v == 0.0 for t, v in after if t >= zeros[0]), 'moved again after the zero'
    assert after[-1][0] < zeros[0] + 0.5 + 0.2, 'kept publishing after the zero window'
    # The gesture held when the person was lost ends stamped as the last keypoints they were
    # seen in, to the nanosecond, as every gesture is stamped as its keypoints.
    ended = [g for g in operator.gestures if g.name == 'forward' and g.phase == Gesture.ENDED]
    assert ended, [(g.name, g.phase) for g in operator.gestures]
    assert all(stamp_ns(g) in operator.sent_stamps for g in operator.gestures)


def test_stale_keypoints_stop_the_robot_after_lost_timeout(operator, peer):
    proc = peer([EXECUTABLE, '--ros-args', '-p', 'lost_timeout:=0.5', '-p', 'max_age:=0.5'])
    operator.wait_for(proc)
    engage_and_drive(operator)
    assert operator.commands and linear_x(operator.commands[-1][1]) > 0, proc.stop()
    stale_from = operator.published_at  # the last fresh keypoints
    operator.show('forward', 1.5, age=2.0)  # the same person, but stamped 2 s ago
    after = [(t - stale_from, m) for t, m in operator.commands if t > stale_from]
    zeros = [t for t, m in after if is_zero(m)]
    assert zeros, 'no zero once the keypoints went stale'
    # Stale keypoints do not count as seeing the controller: the zero is the lost one.
    assert 0.45 < zeros[0] < 0.5 + 0.3, f'first zero {zeros[0]:.3f} s after the last fresh ones'
    assert all(is_zero(m) for t, m in after if t >= zeros[0]), 'moved again after the zero'
    assert 'released: lost' in proc.stop()


def test_unusable_keypoints_release_control_with_a_warning(operator, peer):
    proc = peer([EXECUTABLE, '--ros-args', '-p', 'lost_timeout:=0.5', '-p', 'zero_window:=0.5'])
    operator.wait_for(proc)
    spoils = ('nan', 'infinite positions', 'zero scores')
    for how in spoils:
        engage_and_drive(operator)
        assert linear_x(operator.commands[-1][1]) > 0, (how, proc.stop())
        last_good = operator.published_at
        # The controller's track id and box, but keypoints no gesture can use.
        operator.show('forward', 1.0, spoiled=how)
        operator.show('forward', 1.0)  # good keypoints again, but no new engage
        after = [(t - last_good, m) for t, m in operator.commands if t > last_good]
        zeros = [t for t, m in after if is_zero(m)]
        assert zeros, f'{how}: no zero'
        assert zeros[0] < 0.5 + 0.25, f'{how}: first zero {zeros[0]:.3f} s after good keypoints'
        assert all(is_zero(m) for t, m in after if t >= zeros[0]), f'{how}: moved again'
        assert after[-1][0] < zeros[0] + 0.5 + 0.25, f'{how}: zeros went on past zero_window'
        operator.commands.clear()
    log = proc.stop()
    assert log.count('released: keypoints unusable') == len(spoils), log


def test_stale_keypoints_are_ignored(operator, peer):
    proc = peer([EXECUTABLE, '--ros-args', '-p', 'max_age:=0.5'])
    operator.wait_for(proc)
    operator.show('engage', 1.6, age=2.0)
    operator.show('forward', 1.0, age=2.0)
    assert operator.commands == []
    assert not operator.gestures
    log = proc.stop()
    assert 'ignored keypoints stamped 2.0' in log, log


def test_unstamped_keypoints_are_called_unstamped(operator, peer):
    proc = peer([EXECUTABLE])
    operator.wait_for(proc)
    for _ in range(30):  # header.stamp left at 0, as from an unstamped camera
        pose = render(ADULT, GESTURE_STANCES['engage'], View(), operator.rng, NO_NOISE, 1)
        operator.keypoints.publish(poses_to_msg([pose], PersonArray().header, 640, 480, 'x'))
        operator.idle(1 / 30)
    assert operator.commands == []
    log = proc.stop()
    assert 'ignored keypoints stamped 0 (unstamped' in log, log


# How the node may be stopped: (seconds after the first signal, signal) per trial. Two SIGINTs
# are what `ros2 launch` delivers on Ctrl-C in a terminal (the terminal's and its own); the
# second comes at a different moment of the shutdown in each trial.
STOP_PATTERNS = {
    'one SIGINT': [[(0.0, signal.SIGINT)]] * 5,
    'two SIGINTs': [[(0.0, signal.SIGINT), (gap, signal.SIGINT)]
                    for gap in (0.01, 0.05, 0.1, 0.15, 0.2)],
    'SIGINT then SIGTERM': [[(0.0, signal.SIGINT), (0.05, signal.SIGTERM)]] * 5,
}
# A few zeros on the way out, for best-effort subscribers on a lossy link.
SHUTDOWN_ZEROS = 3


def start_gesture_nodes(peer, operator: Operator, count: int, *ros_args: str):
    """Start ``count`` gesture nodes, each on its own /cmd_vel_<i>; return them, their commands."""
    procs, commands = [], []
    for i in range(count):
        procs.append(peer([EXECUTABLE, '--ros-args', '-r', f'__node:=gesture_node_{i}',
                           '-r', f'cmd_vel:=/cmd_vel_{i}', *ros_args]))
        commands.append(operator.collect(Twist, f'/cmd_vel_{i}', 100, timed=True))
    assert operator.spin_until(
        lambda: operator.keypoints.get_subscription_count() >= count, 60.0), \
        [p.stop() for p in procs]
    return procs, commands


def engage_all_and_drive(operator: Operator, commands: list[list], procs) -> None:
    """Engage every node and drive until each has sent a forward command (generous deadlines).

    A node only sends commands once engaged; a node whose reader saw our writer late is
    simply shown the engage gesture a little longer.
    """
    deadline = time.monotonic() + 60.0
    while not all(commands) and time.monotonic() < deadline:
        operator.show('engage', 0.2)
    assert all(commands), ('never engaged', [p.stop() for p in procs])
    operator.show('rest', 0.3)
    moving = lambda: all(c and c[-1][1].linear.x > 0 for c in commands)  # noqa: E731
    deadline = time.monotonic() + 60.0
    while not moving() and time.monotonic() < deadline:
        operator.show('forward', 0.2)
    assert moving(), ('never drove forward', [p.stop() for p in procs])


@pytest.mark.parametrize('pattern', STOP_PATTERNS)
def test_every_way_of_stopping_sends_zeros_and_exits_cleanly(operator, peer, pattern):
    trials = STOP_PATTERNS[pattern]
    # A long lost_timeout: on a loaded machine our keypoint stream may stall for a moment, and
    # losing the person before the signal would leave nothing for the shutdown to stop.
    procs, commands = start_gesture_nodes(peer, operator, len(trials), '-p', 'lost_timeout:=5.0')
    engage_all_and_drive(operator, commands, procs)
    first_signal = [0.0] * len(trials)

    def send(i: int, sig: int, first: bool) -> None:
        if first:
            first_signal[i] = time.monotonic()
        procs[i].proc.send_signal(sig)

    timers = [threading.Timer(0.2 + 0.4 * i + at, send, (i, sig, at == 0.0))
              for i, trial in enumerate(trials) for at, sig in trial]
    for t in timers:
        t.start()
    # Keep the person in view and driving forward: only the shutdown may stop the robot.
    deadline = time.monotonic() + 60.0
    while any(p.proc.poll() is None for p in procs) and time.monotonic() < deadline:
        operator.show('forward', 0.1)
    operator.idle(0.5)
    for t in timers:
        t.join()
    problems = []
    for i, (proc, received) in enumerate(zip(procs, commands)):
        found, log = stop_problems(proc, received, first_signal[i])
        if found:
            problems.append(f'{pattern}, trial {i} ({trials[i]}): {"; ".join(found)}\n{log}')
    assert not problems, '\n\n'.join(problems)


def stop_problems(proc, received: list, signalled_at: float) -> tuple[list[str], str]:
    """Return what went wrong stopping ``proc`` by a signal at ``signalled_at``, and its log."""
    code = proc.proc.poll()
    log = proc.stop()
    problems = []
    if code != 0:
        problems.append(f'exit code {code}')
    if 'Traceback' in log:
        problems.append('a traceback')
    if 'sent and acknowledged' not in log:
        problems.append('the zero was not acknowledged')
    before = [m for t, m in received if t <= signalled_at]
    if not before or before[-1].linear.x <= 0:
        problems.append('not moving when signalled')
    after = [(t - signalled_at, m) for t, m in received if t > signalled_at]
    zeros = [t for t, m in after if is_zero(m)]
    if not zeros:
        problems.append(f'no zero after the signal; last command {received[-1][1]}')
    else:
        if zeros[0] > 0.5:
            problems.append(f'first zero {zeros[0]:.3f} s after the signal')
        if not all(is_zero(m) for t, m in after if t >= zeros[0]):
            problems.append('moved again after the zero')
        if len(zeros) < SHUTDOWN_ZEROS:
            problems.append(f'{len(zeros)} zero(s) on the way out, not {SHUTDOWN_ZEROS}')
    return problems, log


def test_twist_stamped_for_newer_robots(rclpy_context, peer):
    op = Operator(rclpy_context, twist_type=TwistStamped)
    try:
        proc = peer([EXECUTABLE, '--ros-args', '-p', 'stamped:=true', '-p', 'cmd_frame_id:=base'])
        op.wait_for(proc)
        engage_and_drive(op)
        assert op.commands, 'no TwistStamped command'
        msg = op.commands[-1][1]
        assert msg.header.frame_id == 'base' and msg.twist.linear.x > 0
    finally:
        op.close()


def _set(operator: Operator, name: str, value: ParameterValue):
    client = operator.node.create_client(SetParameters, '/gesture_node/set_parameters')
    assert spin_until(operator.node, operator.executor, client.service_is_ready, 10.0)
    future = client.call_async(SetParameters.Request(
        parameters=[Parameter(name=name, value=value)]))
    assert spin_until(operator.node, operator.executor, future.done, 10.0)
    return future.result().results[0]


def test_parameter_updates_are_validated(operator, peer, tmp_path):
    proc = peer([EXECUTABLE])
    operator.wait_for(proc)
    double = ParameterType.PARAMETER_DOUBLE
    bad = _set(operator, 'max_linear_x', ParameterValue(type=double, double_value=-1.0))
    assert not bad.successful and "'max_linear_x' = -1.0 is out of range" in bad.reason
    good = _set(operator, 'max_linear_x', ParameterValue(type=double, double_value=0.2))
    assert good.successful, good.reason
    broken = tmp_path / 'gestures.yaml'
    broken.write_text(BROKEN_GESTURES)
    refused = _set(operator, 'gestures_file', ParameterValue(
        type=ParameterType.PARAMETER_STRING, string_value=str(broken)))
    assert not refused.successful
    assert f'{broken}:7' in refused.reason and 'hands_down' in refused.reason, refused.reason
    # The old gestures are still in force: engaging still works.
    engage_and_drive(operator)
    assert any(g.name == 'engage' for g in operator.gestures)


def test_malformed_gestures_file_stops_start_up(tmp_path):
    broken = tmp_path / 'gestures.yaml'
    broken.write_text(BROKEN_GESTURES)
    run = subprocess.run([EXECUTABLE, '--ros-args', '-p', f'gestures_file:={broken}'],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 1
    out = run.stdout + run.stderr
    assert f'{broken}:7' in out and 'hands_down' in out, out


def _alias_bomb() -> str:
    condition = "&l0 {feature: 'up(nose, left_wrist)', above: 0.2}"
    for i in range(1, 10):  # 10**9 conditions once expanded
        condition = f"&l{i} {{all: [{', '.join([condition] + [f'*l{i - 1}'] * 9)}]}}"
    return ('engage: a\ndisengage: b\ngestures:\n'
            f'  a: {{when: {condition}}}\n'
            "  b: {when: {feature: 'up(nose, right_wrist)', above: 0.2}}\n")


@pytest.mark.parametrize('content, where, what', [
    (BROKEN_GESTURES.encode().replace(b'hands_down:', b'hands_d\xffwn:'), ':6:', 'not UTF-8'),
    (_alias_bomb().encode(), ':4:', 'more than 1000 conditions'),
], ids=['not utf-8', 'alias bomb'])
def test_an_unusable_gestures_file_is_one_fatal_line(tmp_path, content, where, what):
    path = tmp_path / 'gestures.yaml'
    path.write_bytes(content)
    run = subprocess.run([EXECUTABLE, '--ros-args', '-p', f'gestures_file:={path}'],
                         capture_output=True, text=True, timeout=60)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert 'Traceback' not in out and 'Error:' not in out, out
    fatal = [line for line in out.splitlines() if line.strip()]
    assert len(fatal) == 1 and '[FATAL]' in fatal[0], out
    assert f'{path}{where}' in fatal[0] and what in fatal[0], out


def test_a_half_made_node_is_destroyed_without_an_error(monkeypatch):
    """An unexpected error in start-up leaves a node rclpy still destroys at shutdown."""
    from pose_ros.ros import gesture_node

    def broken(path):
        raise RuntimeError('unexpected')

    monkeypatch.setattr(gesture_node, 'load_gestures', broken)
    rclpy.init()
    try:
        with pytest.raises(RuntimeError, match='unexpected') as info:
            gesture_node.GestureNode()
        # The traceback holds the half-made node, as it does in the runner until shutdown.
        tb = info.value.__traceback__
        while not isinstance(tb.tb_frame.f_locals.get('self'), gesture_node.GestureNode):
            tb = tb.tb_next
        half_made = tb.tb_frame.f_locals['self']
        assert not hasattr(half_made, '_teleop')  # it stopped before it could command anything
        half_made.destroy_node()  # as rclpy does at shutdown: no error, no zero to send
    finally:
        rclpy.try_shutdown()  # destroys every node of the context


def test_clock_jumping_back_stops_the_robot(operator, peer):
    # Simulated time, as with a simulator or a bag: the node's clock is our /clock.
    from rosgraph_msgs.msg import Clock
    clock_pub = operator.node.create_publisher(Clock, '/clock', 10)
    sim = {'t': 1000.0}

    def tick_clock(dt: float) -> None:
        sim['t'] += dt
        msg = Clock()
        msg.clock = seconds_to_stamp(sim['t'])
        clock_pub.publish(msg)

    def show(stance: str, seconds: float) -> None:
        for _ in range(int(seconds * 30)):
            tick_clock(1 / 30)
            header = PersonArray().header
            header.stamp = seconds_to_stamp(sim['t'])
            pose = render(ADULT, GESTURE_STANCES[stance], View(), operator.rng, NO_NOISE, 1)
            operator.keypoints.publish(poses_to_msg([pose], header, 640, 480, 'synthetic'))
            operator.idle(1 / 30)

    proc = peer([EXECUTABLE, '--ros-args', '-p', 'use_sim_time:=true'])
    operator.wait_for(proc)
    show('engage', 1.6)
    show('forward', 1.5)
    assert operator.commands and linear_x(operator.commands[-1][1]) > 0, proc.stop()
    sim['t'] -= 30.0  # the bag loops, the simulator resets
    jumped_at = time.monotonic()
    show('forward', 1.0)
    after = [(t - jumped_at, m) for t, m in operator.commands if t > jumped_at]
    assert after and linear_x(after[0][1]) == 0.0, 'no zero after time ran backwards'
    assert after[0][0] < 0.3
    assert all(linear_x(m) == 0.0 for _, m in after), 'moved again without a new engage'
    assert 'clock jumped back' in proc.stop()


def test_sim_time_without_a_clock_zeros_then_silence(operator, peer):
    # use_sim_time switched on at run time and nobody publishes /clock: ROS time is 0 from
    # then on, while keypoints stamped in wall time keep coming.
    proc = peer([EXECUTABLE, '--ros-args', '-p', 'zero_window:=0.5'])
    operator.wait_for(proc)
    engage_and_drive(operator)
    assert linear_x(operator.commands[-1][1]) > 0, proc.stop()
    result = _set(operator, 'use_sim_time', ParameterValue(
        type=ParameterType.PARAMETER_BOOL, bool_value=True))
    assert result.successful, result.reason
    switched = time.monotonic()
    operator.show('forward', 2.5)
    after = [(t - switched, m) for t, m in operator.commands if t > switched]
    assert after and is_zero(after[0][1]) and after[0][0] < 0.3, after[:3]
    assert all(is_zero(m) for _, m in after), 'moved again without a new engage'
    zeros = [t for t, _ in after]
    assert zeros[-1] - zeros[0] < 0.5 + 0.25, \
        f'{len(zeros)} zeros over {zeros[-1] - zeros[0]:.2f} s, not zero_window 0.5 s'
    assert 'clock jumped back' in proc.stop()


@pytest.mark.parametrize('verdict, age_s, words', [
    (Verdict.STALE, 2.0, 'stamped 2.000 s ago, more than max_age 0.5 s'),
    (Verdict.FUTURE, -1.25, 'stamped 1.250 s in the future'),
    (Verdict.OUT_OF_ORDER, 0.1, 'older than the last ones (out of order)'),
    (Verdict.UNSTAMPED, 1.7e9, 'stamped 0 (unstamped'),
])
def test_ignored_keypoints_are_explained_by_the_teleops_verdict(verdict, age_s, words):
    from pose_ros.ros.gesture_node import ignored_warning
    text = ignored_warning(UpdateResult(verdict, age_s), max_age=0.5)
    assert text.startswith('ignored keypoints ') and words in text, text
