"""pose_node with use_depth: 3D keypoint positions over real DDS, and 2D when depth fails."""

import time

from conftest import RosTestNode, executable, stamp_ns
from diagnostic_msgs.msg import DiagnosticArray
import numpy as np
import pytest
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image
from test_pose_node import astronaut_640x480, image_msg

from pose_ros.depth.lift import SURFACE_TO_JOINT
from pose_ros_msgs.msg import Keypoint, PersonArray

EXECUTABLE = executable('pose_node')
F, CX, CY = 520.0, 319.5, 239.5
WALL_M = 2.0
S = 1_000_000_000


def depth_msg(stamp_ns: int, width=640, height=480, encoding='16UC1') -> Image:
    mm = np.full((height, width), int(WALL_M * 1000), np.uint16)
    msg = Image(height=height, width=width, encoding=encoding, step=width * 2,
                data=mm.tobytes())
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, S)
    msg.header.frame_id = 'test_camera'
    return msg


def camera_info() -> CameraInfo:
    msg = CameraInfo(width=640, height=480, distortion_model='plumb_bob', d=[0.0] * 5)
    msg.k = [F, 0.0, CX, 0.0, F, CY, 0.0, 0.0, 1.0]
    msg.header.frame_id = 'test_camera'
    return msg


class Harness(RosTestNode):
    def __init__(self, context):
        super().__init__(context, 'pose_node_depth_tester')
        qos = qos_profile_sensor_data
        self.images = self.node.create_publisher(Image, '/camera/image_raw', qos)
        self.depth = self.node.create_publisher(Image, '/depth/image_raw', qos)
        self.info = self.node.create_publisher(CameraInfo, '/camera/camera_info', qos)
        self.keypoints: list[PersonArray] = self.collect(PersonArray, '/pose/keypoints', 100)
        self.diagnostics: list[DiagnosticArray] = self.collect(
            DiagnosticArray, '/diagnostics', 50)

    def answer(self, stamp: int, send, timeout: float = 60.0) -> PersonArray:
        """Call ``send()`` until the keypoints of the frame stamped ``stamp`` arrive."""
        found = lambda: [m for m in self.keypoints if stamp_ns(m) == stamp]  # noqa: E731
        deadline = time.monotonic() + timeout
        while not found() and time.monotonic() < deadline:
            send()
            self.spin_until(found, 0.5)
        assert found(), f'pose_node never answered the frame stamped {stamp}'
        return found()[0]

    def diagnostic(self, key: str) -> str | None:
        for array in reversed(self.diagnostics):
            for status in array.status:
                for kv in status.values:
                    if kv.key == key:
                        return kv.value
        return None


@pytest.fixture
def harness(rclpy_context):
    h = Harness(rclpy_context)
    yield h
    h.close()


def positions(msg: PersonArray) -> list[Keypoint]:
    assert len(msg.persons) == 1
    return [k for k in msg.persons[0].keypoints if k.has_position]


def test_depth_gives_joint_centres_and_every_failure_keeps_2d(harness, peer):
    node = peer([EXECUTABLE, '--ros-args', '-p', 'use_depth:=true', '-p', 'depth_wait:=2.0',
                 '-p', 'diagnostics_period:=0.2'])
    assert harness.spin_until(lambda: harness.depth.get_subscription_count() > 0
                              and harness.info.get_subscription_count() > 0, 60.0)
    frame = astronaut_640x480()

    # No camera info yet: 2D keypoints, and the node says what is missing.
    t = 1 * S
    msg = harness.answer(t, lambda: (harness.depth.publish(depth_msg(t)),
                                     harness.images.publish(image_msg(frame, t))))
    assert positions(msg) == []
    assert node.wait_for_output('no usable camera info on /camera/camera_info received yet',
                                30.0), node.output()

    # Depth first, then colour: positions for the joints, in the colour image's frame.
    t = 2 * S

    def send_both():
        harness.info.publish(camera_info())
        harness.depth.publish(depth_msg(t))
        harness.images.publish(image_msg(frame, t))
    msg = harness.answer(t, send_both)
    while not positions(msg):       # camera info may have come after the first answer
        t += 1
        msg = harness.answer(t, send_both)
    assert msg.header.frame_id == 'test_camera'
    found = {k.id: k for k in positions(msg)}
    nose = found[Keypoint.NOSE]
    # A flat wall at 2 m: the nose (a surface point) at 2 m on its pixel's ray ...
    assert nose.position.z == pytest.approx(WALL_M, abs=0.002)
    assert nose.position.x == pytest.approx((nose.x - CX) / F * WALL_M, abs=0.002)
    assert nose.position.y == pytest.approx((nose.y - CY) / F * WALL_M, abs=0.002)
    # ... and the shoulders behind it by their share of the torso length.
    shoulder = found[Keypoint.LEFT_SHOULDER]
    behind = shoulder.position.z - WALL_M
    assert 0.3 * SURFACE_TO_JOINT[5] < behind < 3 * SURFACE_TO_JOINT[5]

    # Colour first: its keypoints wait (seen in diagnostics), then the depth completes them.
    t = 3 * S
    harness.diagnostics.clear()
    waiting = lambda: harness.diagnostic('keypoint messages waiting for depth') == '1'  # noqa
    deadline = time.monotonic() + 60.0
    while not waiting() and time.monotonic() < deadline:
        harness.info.publish(camera_info())
        harness.images.publish(image_msg(frame, t))
        harness.spin_until(waiting, 0.5)
        if [m for m in harness.keypoints if stamp_ns(m) == t]:
            pytest.fail('keypoints went out before their depth frame was sent')
    assert waiting(), 'the colour frame never waited for depth'
    msg = harness.answer(t, lambda: harness.depth.publish(depth_msg(t)))
    assert positions(msg), 'colour first, depth second: no positions'

    # Depth that never matches: stamped 1 s later. 2D output, and why.
    t = 4 * S
    msg = harness.answer(t, lambda: (harness.depth.publish(depth_msg(t + S)),
                                     harness.images.publish(image_msg(frame, t))))
    assert positions(msg) == []
    assert node.wait_for_output('stamped within depth_max_skew = 0.005 s', 30.0), node.output()

    # A depth image of another size than the colour image.
    t = 6 * S
    msg = harness.answer(t, lambda: (harness.depth.publish(depth_msg(t, 320, 240)),
                                     harness.images.publish(image_msg(frame, t))))
    assert positions(msg) == []
    assert node.wait_for_output('is 320x240 but the colour image is 640x480', 30.0)

    # An encoding no depth driver uses: the frame is dropped, the keypoints go out after
    # depth_wait without positions.
    t = 7 * S
    msg = harness.answer(t, lambda: (harness.depth.publish(depth_msg(t, encoding='rgb8')),
                                     harness.images.publish(image_msg(frame, t))))
    assert positions(msg) == []
    assert node.wait_for_output("depth encoding 'rgb8' is not supported", 30.0)
    log = node.stop()
    assert 'Traceback' not in log, log


def test_depth_is_off_by_default(harness, peer):
    peer([EXECUTABLE])
    harness.spin_until(lambda: harness.images.get_subscription_count() > 0, 60.0)
    frame = astronaut_640x480()
    msg = harness.answer(5, lambda: (harness.info.publish(camera_info()),
                                     harness.depth.publish(depth_msg(5)),
                                     harness.images.publish(image_msg(frame, 5))))
    assert positions(msg) == []
    assert harness.depth.get_subscription_count() == 0
