"""pose_node as users run it: its installed executable in its own process, over real DDS."""

import os
import re
import shutil
import signal
import subprocess
import time

from conftest import RosTestNode, executable, require_model, stamp_ns
import cv2
from diagnostic_msgs.msg import DiagnosticArray
import numpy as np
import pytest
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image
import skimage.data

from pose_ros.media.image import rgb_to_image_data
from pose_ros.ros.pose_node import SILENCE_REPEAT_S
from pose_ros_msgs.msg import Keypoint, PersonArray

EXECUTABLE = executable('pose_node')


def astronaut_640x480() -> np.ndarray:
    """Letterbox the astronaut photo into a camera-sized frame, person at x 80..560."""
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:, 80:560] = cv2.resize(skimage.data.astronaut(), (480, 480))
    return frame


def image_msg(rgb: np.ndarray, stamp_ns: int, frame_id: str = 'test_camera',
              encoding: str = 'rgb8') -> Image:
    enc, step, data = rgb_to_image_data(rgb)
    msg = Image(height=rgb.shape[0], width=rgb.shape[1], encoding=encoding, step=step, data=data)
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    msg.header.frame_id = frame_id
    return msg


class Harness(RosTestNode):
    """A test-side node that feeds images to pose_node and collects what it publishes."""

    def __init__(self, context):
        super().__init__(context, 'pose_node_tester')
        self.images = self.node.create_publisher(Image, '/camera/image_raw',
                                                 qos_profile_sensor_data)
        self.keypoints: list[PersonArray] = self.collect(PersonArray, '/pose/keypoints', 100)
        self.diagnostics: list[DiagnosticArray] = self.collect(
            DiagnosticArray, '/diagnostics', 10)

    def wait_for_pose_node(self) -> None:
        assert self.spin_until(lambda: self.images.get_subscription_count() > 0, 60.0), \
            'pose_node never subscribed to /camera/image_raw'

    def publish_until_answered(self, msg: Image, timeout: float = 60.0) -> PersonArray:
        """Publish ``msg`` until pose_node answers it.

        Best-effort: our side may see the match before pose_node's reader sees our writer, and
        a frame sent in between is lost, so one publish is not enough.
        """
        wanted = stamp_ns(msg)
        answered = lambda: [m for m in self.keypoints if stamp_ns(m) == wanted]  # noqa: E731
        deadline = time.monotonic() + timeout
        while not answered() and time.monotonic() < deadline:
            self.images.publish(msg)
            self.spin_until(answered, 0.5)
        assert answered(), f'pose_node never answered the frame stamped {wanted}'
        return answered()[-1]


@pytest.fixture
def harness(rclpy_context):
    h = Harness(rclpy_context)
    yield h
    h.close()



def test_keypoints_carry_the_image_header_and_a_plausible_person(harness, peer):
    peer([EXECUTABLE])
    harness.wait_for_pose_node()
    frame = astronaut_640x480()
    sent = 1_700_000_000_123_456_789
    msg = harness.publish_until_answered(image_msg(frame, sent))
    assert stamp_ns(msg) == sent
    assert msg.header.frame_id == 'test_camera'
    assert (msg.image_width, msg.image_height, msg.model) == (640, 480, 'blazepose_full')
    assert len(msg.persons) == 1
    person = msg.persons[0]
    assert [k.id for k in person.keypoints] == list(range(17))
    nose = person.keypoints[Keypoint.NOSE]
    # The face of the astronaut (x 170..260, y 40..150 in the 512x512 photo) scaled by 480/512
    # and shifted right by the 80 px border.
    assert 80 + 170 * 0.9375 < nose.x < 80 + 260 * 0.9375 and 40 * 0.9375 < nose.y < 150 * 0.9375
    assert nose.score > 0.5


def test_empty_persons_when_nobody_is_seen(harness, peer):
    peer([EXECUTABLE])
    harness.wait_for_pose_node()
    msg = harness.publish_until_answered(image_msg(np.full((480, 640, 3), 128, np.uint8), 42))
    assert list(msg.persons) == []


def test_unstamped_images_are_reported_where_they_arrive(harness, peer):
    node = peer([EXECUTABLE])
    harness.wait_for_pose_node()
    msg = harness.publish_until_answered(image_msg(astronaut_640x480(), 0))
    assert stamp_ns(msg) == 0  # the header is passed on unchanged
    log = node.stop()
    assert 'images on /camera/image_raw are not stamped (header.stamp is 0)' in log, log


def test_a_burst_is_dropped_not_queued(harness, peer):
    peer([EXECUTABLE])
    harness.wait_for_pose_node()
    frame = astronaut_640x480()
    harness.publish_until_answered(image_msg(frame, 1))
    harness.keypoints.clear()
    first = 1_000_000_000
    sent = [first + i * 1_000_000 for i in range(100)]
    for ns in sent:  # as fast as we can publish: far above the inference rate
        harness.images.publish(image_msg(frame, ns))
        harness.executor.spin_once(timeout_sec=0.0)
    assert harness.spin_until(
        lambda: harness.keypoints and stamp_ns(harness.keypoints[-1]) == sent[-1], 60.0), \
        'the newest frame of the burst was never published'
    # A frame sent after the burst is answered after anything still queued from it.
    harness.publish_until_answered(image_msg(frame, 2_000_000_000))
    stamps = [stamp_ns(m) for m in harness.keypoints]
    stamps = stamps[:stamps.index(2_000_000_000)]
    assert stamps[-1] == sent[-1], 'a stale frame was processed after the newest one'
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert len(stamps) < len(sent), 'every frame was processed: frames are being queued'


@pytest.mark.parametrize('second', [signal.SIGINT, signal.SIGTERM], ids=['SIGINT', 'SIGTERM'])
def test_a_second_signal_while_stopping_is_not_an_error(harness, peer, second):
    """Ctrl-C under ros2 launch: SIGINT from the terminal, then from launch, while inferring."""
    frame = astronaut_640x480()
    for trial, gap in enumerate((0.01, 0.05, 0.1)):
        node = peer([EXECUTABLE])
        harness.wait_for_pose_node()
        harness.publish_until_answered(image_msg(frame, trial + 1))
        for i in range(5):  # keep inference busy while the signals come
            harness.images.publish(image_msg(frame, 100 + i))
            harness.spin_until(lambda: False, 0.02)
        node.proc.send_signal(signal.SIGINT)
        time.sleep(gap)
        node.proc.send_signal(second)
        try:
            code = node.proc.wait(30)
        except subprocess.TimeoutExpired:
            code = 'still running after 30 s'
        log = node.stop()
        assert code == 0 and 'Traceback' not in log, f'gap {gap} s: exit {code}\n{log}'


def test_bad_frames_are_reported_and_the_node_goes_on(harness, peer):
    node = peer([EXECUTABLE])
    harness.wait_for_pose_node()
    frame = astronaut_640x480()
    harness.publish_until_answered(image_msg(frame, 1))
    bad = image_msg(frame, 5)
    bad.encoding = '32FC1'
    truncated = image_msg(frame, 6)
    truncated.data = bytes(truncated.data[:1000])
    # Each bad frame until the node has said what is wrong with it: a frame may be lost on the
    # way, or replaced by the next one before the node took it.
    for msg, said in ((bad, "'32FC1'"), (truncated, 'truncated')):
        deadline = time.monotonic() + 60.0
        while not node.wait_for_output(said, 0.5) and time.monotonic() < deadline:
            harness.images.publish(msg)
        assert said in node.output(), node.stop()
    harness.publish_until_answered(image_msg(cv2.resize(frame, (320, 240)), 3))
    harness.publish_until_answered(image_msg(frame, 4))
    assert {stamp_ns(m) for m in harness.keypoints} == {1, 3, 4}, 'a bad frame was published'
    log = node.stop()
    assert "'32FC1'" in log and 'rgb8' in log, log
    assert 'truncated' in log.lower() or 'short' in log.lower(), log
    assert 'frame size changed from 640x480 to 320x240' in log, log


def log_line(output: str, text: str, before: str | None = None) -> tuple[float, str]:
    """Return the log time and the first line containing ``text``.

    With ``before``: the last such line above the first line containing ``before``.
    """
    lines = output.splitlines()
    if before is not None:
        lines = lines[:next(i for i, line in enumerate(lines) if before in line)]
        lines.reverse()
    line = next(line for line in lines if text in line)
    return float(re.search(r'\[(\d+\.\d+)\]', line).group(1)), line


def test_silence_is_explained_with_the_publishers_seen(harness, peer):
    # A publisher exists on the topic but sends nothing: the warning must name it, once
    # discovery has found it (which may take longer than image_timeout on a busy machine).
    node = peer([EXECUTABLE, '--ros-args', '-p', 'image_timeout:=1.0'])
    harness.wait_for_pose_node()
    named = 'publishers: /pose_node_tester (sensor_msgs/msg/Image, best_effort, volatile)'
    assert node.wait_for_output(named, 60.0), node.stop()
    _, line = log_line(node.output(), named)
    assert 'no image on /camera/image_raw for ' in line, line


def test_a_publisher_found_after_the_warning_is_named_at_once(rclpy_context, peer):
    # The camera starts after pose_node, or discovery is slow: the warning said no publisher
    # was found, and the one that names it must not wait for the 10 s repeat.
    node = peer([EXECUTABLE, '--ros-args', '-p', 'image_timeout:=1.0'])
    assert node.wait_for_output('no publisher on it discovered yet', 60.0), node.stop()
    camera = RosTestNode(rclpy_context, 'late_camera')
    try:
        camera.node.create_publisher(Image, '/camera/image_raw', qos_profile_sensor_data)
        named = 'publishers: /late_camera (sensor_msgs/msg/Image, best_effort'
        assert node.wait_for_output(named, 60.0), node.stop()
    finally:
        camera.close()
    named_at, _ = log_line(node.output(), named)
    said_at, _ = log_line(node.output(), 'no publisher on it discovered yet', before=named)
    assert named_at - said_at < SILENCE_REPEAT_S, \
        f'named {named_at - said_at:.1f} s after the last warning, as a repeat, not at once'


def test_diagnostics_report_rate_and_drops(harness, peer):
    peer([EXECUTABLE, '--ros-args', '-p', 'diagnostics_period:=0.5'])
    harness.wait_for_pose_node()
    frame = astronaut_640x480()
    harness.publish_until_answered(image_msg(frame, 9))
    for i in range(10):
        harness.images.publish(image_msg(frame, 10 + i))
        harness.spin_until(lambda: False, 0.05)

    def reported() -> dict:
        for array in reversed(harness.diagnostics):
            for status in array.status:
                values = {kv.key: kv.value for kv in status.values}
                if float(values.get('frames per second', 0)) > 0:
                    return values
        return {}

    assert harness.spin_until(lambda: reported(), 60.0)
    values = reported()
    assert values['model'] == 'blazepose_full (blazepose)'
    assert float(values['inference ms']) > 0

    def adds_up() -> bool:
        """Once idle: every frame received was processed or dropped, and the total sums drops."""
        reports = [{kv.key: kv.value for kv in status.values}
                   for array in harness.diagnostics for status in array.status]
        if float(reports[-1]['received per second']) or float(reports[-1]['frames per second']):
            return False  # a frame may still be on its way through: wait for an idle period

        def count(key: str) -> int:  # per second over 0.5 s periods, or per period
            return sum(round(float(r[key]) * (0.5 if 'per second' in key else 1))
                       for r in reports)
        dropped = count('dropped (newer frame arrived first)')
        received = count('received per second')
        return (received > 1 and int(reports[-1]['dropped total']) == dropped
                and received == count('frames per second') + dropped + count('bad frames'))
    assert harness.spin_until(adds_up, 60.0), [
        {kv.key: kv.value for kv in s.values} for a in harness.diagnostics for s in a.status]


@pytest.mark.parametrize('args, expected', [
    (['-p', 'model_path:=/nonexistent/model.tflite'], 'nonexistent'),
    (['-p', 'model:=posenet', '-p', 'model_path:=/x.tflite'], 'set only one'),
    (['-p', 'num_threads:=0'], "parameter 'num_threads' = 0 is out of range"),
    (['-p', 'model_type:=openpose'], "parameter 'model_type' = 'openpose' is not allowed"),
])
def test_bad_start_up_stops_with_a_clear_message(args, expected):
    run = subprocess.run([EXECUTABLE, '--ros-args', *args], capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 1
    assert expected in run.stdout + run.stderr


def test_missing_model_says_how_to_fetch_it(tmp_path):
    env_cache = {'POSE_ROS_MODELS': str(tmp_path)}
    run = subprocess.run([EXECUTABLE], capture_output=True, text=True, timeout=30,
                         env={**os.environ, **env_cache})
    assert run.returncode == 1
    out = run.stdout + run.stderr
    assert str(tmp_path) in out and 'fetch_model blazepose_full' in out, out


def test_annotated_image_is_published_when_asked(harness, peer):
    peer([EXECUTABLE, '--ros-args', '-p', 'publish_annotated:=true'])
    annotated: list[Image] = []
    harness.node.create_subscription(Image, '/pose/image_annotated', annotated.append,
                                     qos_profile_sensor_data)
    harness.wait_for_pose_node()
    frame = astronaut_640x480()
    deadline = time.monotonic() + 60.0
    while not annotated and time.monotonic() < deadline:
        harness.images.publish(image_msg(frame, 77))
        harness.spin_until(lambda: annotated, 0.5)
    assert annotated, 'no annotated image arrived'
    out = np.frombuffer(annotated[-1].data, np.uint8).reshape(480, 640, 3)
    assert stamp_ns(annotated[-1]) == 77
    assert (out != frame).any(), 'nothing was drawn'


def test_a_users_own_model_file(harness, peer, tmp_path):
    # A user's copy of the model under another name, in a folder of their own.
    own = tmp_path / 'my_pose_landmarks.tflite'
    shutil.copy(require_model('pose_landmark_full.tflite'), own)
    alone = subprocess.run([EXECUTABLE, '--ros-args', '-p', f'model_path:={own}'],
                           capture_output=True, text=True, timeout=30)
    assert alone.returncode == 1
    assert 'pose_detection.tflite' in alone.stdout + alone.stderr, 'name the missing detector'

    shutil.copy(require_model('pose_detection.tflite'), tmp_path / 'pose_detection.tflite')
    peer([EXECUTABLE, '--ros-args', '-p', f'model_path:={own}'])
    harness.wait_for_pose_node()
    msg = harness.publish_until_answered(image_msg(astronaut_640x480(), 5))
    assert msg.model == 'my_pose_landmarks'
    assert len(msg.persons) == 1
