"""camera_node as users run it: its installed executable in its own process, over real DDS."""

import os
import subprocess
import time

from conftest import executable, spin_until, stamp_ns
import cv2
import numpy as np
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image

from pose_ros.media.sources import resize

EXECUTABLE = executable('camera_node')
HAS_VIDEO99 = os.path.exists('/dev/video99')

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
CALIBRATION = """\
image_width: 640
image_height: 480
camera_name: test_cam
camera_matrix: {rows: 3, cols: 3, data: [430.0, 0, 320.0, 0, 431.0, 240.0, 0, 0, 1]}
distortion_model: plumb_bob
distortion_coefficients: {rows: 1, cols: 5, data: [-0.3, 0.1, 0.0, 0.0, 0.0]}
rectification_matrix: {rows: 3, cols: 3, data: [1, 0, 0, 0, 1, 0, 0, 0, 1]}
projection_matrix: {rows: 3, cols: 4, data: [400.0, 0, 320.0, 0, 0, 401.0, 240.0, 0, 0, 0, 1, 0]}
"""


def frames() -> list[np.ndarray]:
    """64x48 RGB frames, each its own colour with a marker where its index is."""
    out = []
    for i, colour in enumerate(COLOURS):
        rgb = np.zeros((48, 64, 3), np.uint8)
        rgb[:] = colour
        rgb[4:12, 4 + 12 * i:16 + 12 * i] = 255
        out.append(rgb)
    return out


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / 'frames'
    path.mkdir()
    for i, rgb in enumerate(frames()):
        assert cv2.imwrite(str(path / f'{i:02d}.png'), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


class Listener:
    """A test-side node that collects what camera_node publishes."""

    def __init__(self, context):
        self.node = rclpy.create_node('camera_node_tester', context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.images: list[tuple[float, Image]] = []
        self.infos: list[CameraInfo] = []
        self.node.create_subscription(
            Image, '/camera/image_raw',
            lambda msg: self.images.append((time.monotonic(), msg)), qos_profile_sensor_data)
        self.node.create_subscription(CameraInfo, '/camera/camera_info', self.infos.append,
                                      qos_profile_sensor_data)

    def spin_until(self, predicate, timeout: float) -> bool:
        return spin_until(self.node, self.executor, predicate, timeout)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


@pytest.fixture
def listener(rclpy_context):
    h = Listener(rclpy_context)
    yield h
    h.close()



def test_a_folder_is_published_like_a_camera(listener, peer, folder):
    peer([EXECUTABLE, '--ros-args', '-p', f'source:={folder}', '-p', 'fps:=20.0',
          '-p', 'frame_id:=test_cam', '-p', 'width:=32', '-p', 'height:=24'])
    assert listener.spin_until(lambda: listener.images, 30.0), 'no image arrived'
    first = listener.images[-1][0]
    listener.spin_until(lambda: False, 2.0)
    window = [msg for t, msg in listener.images if first <= t <= first + 2.0]
    # 20 frames/s asked; generous bounds for a loaded machine and best-effort delivery.
    assert 20 <= len(window) <= 60, f'{len(window)} images in 2 s at fps 20'
    stamps = [stamp_ns(msg) for _, msg in listener.images]
    assert all(b > a for a, b in zip(stamps, stamps[1:])), 'stamps must increase'
    stamp_rate = (len(window) - 1) / ((stamp_ns(window[-1]) - stamp_ns(window[0])) * 1e-9)
    assert 10 <= stamp_rate <= 30, f'stamps say {stamp_rate:.1f} frames/s'
    expected = [resize(rgb, 32, 24) for rgb in frames()]
    seen = set()
    for _, msg in listener.images:
        assert (msg.width, msg.height, msg.encoding, msg.step) == (32, 24, 'rgb8', 96)
        assert msg.header.frame_id == 'test_cam'
        rgb = np.frombuffer(msg.data, np.uint8).reshape(24, 32, 3)
        matches = [i for i, e in enumerate(expected) if np.array_equal(rgb, e)]
        assert len(matches) == 1, "an image is not one of the folder's frames"
        seen.add(matches[0])
    assert seen == {0, 1, 2, 3}, 'looping at 20 frames/s for 2 s shows every frame'


def test_camera_info_goes_with_each_image(listener, peer, folder, tmp_path):
    calibration = tmp_path / 'cam.yaml'
    calibration.write_text(CALIBRATION)
    node = peer([EXECUTABLE, '--ros-args', '-p', f'source:={folder}', '-p', 'fps:=20.0',
                 '-p', f'camera_info_file:={calibration}'])

    def paired() -> set:
        return {stamp_ns(m) for _, m in listener.images} & {stamp_ns(m) for m in listener.infos}

    assert listener.spin_until(lambda: len(paired()) >= 3, 30.0), \
        'no camera info with the stamp of an image'
    info = next(m for m in listener.infos if stamp_ns(m) in paired())
    assert info.header.frame_id == 'camera'
    assert (info.width, info.height, info.distortion_model) == (640, 480, 'plumb_bob')
    assert list(info.k) == [430.0, 0, 320.0, 0, 431.0, 240.0, 0, 0, 1]
    assert list(info.d) == [-0.3, 0.1, 0.0, 0.0, 0.0]
    assert list(info.p)[:3] == [400.0, 0, 320.0]
    log = node.stop()
    # The frames are 64x48 and the calibration is for 640x480: said once, not per frame.
    assert log.count('does not match') == 1, log
    assert str(calibration) in log


def test_without_loop_the_node_says_end_and_keeps_running(listener, peer, folder):
    node = peer([EXECUTABLE, '--ros-args', '-p', f'source:={folder}', '-p', 'fps:=10.0',
                 '-p', 'loop:=false'])
    assert node.wait_for_output(f'end of image folder {folder}', 60.0), node.stop()
    listener.spin_until(lambda: False, 2.0)  # a frame after the end would arrive now
    assert len(listener.images) <= 4, 'a source without loop published more than its frames'
    assert node.proc.poll() is None, 'the node exited at the end of its source'
    node.stop()
    assert listener.infos == [], 'camera info without a camera_info_file'


@pytest.mark.parametrize('args, expected', [
    (['-p', 'source:=/nonexistent/clip.mp4'],
     'no such file or folder: /nonexistent/clip.mp4'),
    pytest.param(['-p', 'source:=/dev/video99'], 'no camera at /dev/video99 (no such device)',
                 marks=pytest.mark.skipif(HAS_VIDEO99, reason='this machine has /dev/video99')),
    (['-p', 'fps:=-5.0'], "parameter 'fps' = -5.0 is out of range"),
    (['-p', 'width:=wide'], "parameter 'width' = 'wide' has the wrong type"),
    (['-p', 'frame_rate:=30.0'], "camera_node has no parameter 'frame_rate'"),
])
def test_bad_start_up_stops_with_a_clear_message(args, expected):
    run = subprocess.run([EXECUTABLE, '--ros-args', *args], capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 1
    assert expected in run.stdout + run.stderr, run.stdout + run.stderr


def test_a_bad_calibration_file_stops_start_up(folder, tmp_path):
    calibration = tmp_path / 'cam.yaml'
    calibration.write_text(CALIBRATION.replace('distortion_model: plumb_bob\n', ''))
    run = subprocess.run([EXECUTABLE, '--ros-args', '-p', f'source:={folder}',
                          '-p', f'camera_info_file:={calibration}'],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 1
    out = run.stdout + run.stderr
    assert str(calibration) in out and "'distortion_model'" in out, out


def test_a_replay_waits_for_its_first_subscriber(rclpy_context, peer, folder):
    # Played once with nobody listening, a clip would be lost: it starts when someone listens.
    node = peer([EXECUTABLE, '--ros-args', '-p', f'source:={folder}', '-p', 'fps:=10.0',
                 '-p', 'loop:=false'])
    assert node.wait_for_output('the replay starts when 1 subscriber(s) listen', 60.0), \
        node.stop()
    time.sleep(3.0)  # from start-up, long enough to have played the clip into the void
    listener = Listener(rclpy_context)
    try:
        assert listener.spin_until(lambda: len(listener.images) == len(COLOURS), 30.0), \
            f'{len(listener.images)} of {len(COLOURS)} frames arrived'
        for (_, msg), rgb in zip(listener.images, frames()):
            assert np.array_equal(np.frombuffer(msg.data, np.uint8).reshape(rgb.shape), rgb)
    finally:
        listener.close()
    assert 'end of image folder' in node.stop()


def test_a_replay_can_wait_for_several_subscribers(rclpy_context, listener, peer, folder):
    node = peer([EXECUTABLE, '--ros-args', '-p', f'source:={folder}', '-p', 'fps:=10.0',
                 '-p', 'loop:=false', '-p', 'wait_for_subscribers:=2'])
    assert node.wait_for_output('the replay starts when 2 subscriber(s) listen', 60.0), \
        node.stop()
    assert listener.spin_until(
        lambda: listener.node.count_publishers('/camera/image_raw') == 1, 60.0), node.stop()
    # From when each side knows the other: long enough to have played the clip to one.
    listener.spin_until(lambda: False, 3.0)
    assert listener.images == [], 'the replay started with one subscriber of two'
    second = Listener(rclpy_context)
    try:
        assert second.spin_until(lambda: len(second.images) == len(COLOURS), 30.0), \
            f'{len(second.images)} of {len(COLOURS)} frames arrived'
    finally:
        second.close()
    log = node.stop()
    assert '2 subscriber(s) on /camera/image_raw: replay starts' in log, log


def test_without_waiting_a_replay_plays_to_nobody(peer, folder):
    node = peer([EXECUTABLE, '--ros-args', '-p', f'source:={folder}', '-p', 'fps:=20.0',
                 '-p', 'loop:=false', '-p', 'wait_for_subscribers:=0'])
    assert node.wait_for_output('end of image folder', 60.0), node.stop()
    assert 'replay starts' not in node.output()
