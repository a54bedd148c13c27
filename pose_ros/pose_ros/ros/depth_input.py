"""pose_node's depth input: aligned depth and camera info in, 3D keypoint positions out.

Thin glue around ``pose_ros.depth``: subscriptions, stamp pairing across the node's two
threads, and a throttled explanation of every reason a frame gets no positions (no camera
info, a depth frame of another size or encoding, depth that does not match the colour
stamps). Whatever happens here, the 2D keypoints are published.
"""

from __future__ import annotations

from collections.abc import Callable
import time

import numpy as np
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image

from pose_ros.core.keypoints import NUM_KEYPOINTS
from pose_ros.core.throttle import KeyedThrottle
from pose_ros.depth import (
    CameraModelError,
    DepthFormatError,
    PinholeCamera,
    StampPairer,
    depth_from_fields,
    lift_hands,
    lift_keypoints,
)
from pose_ros.depth.pairing import OVERFLOW, PASSED, Paired
from pose_ros.ros.stamps import stamp_to_seconds
from pose_ros_msgs.msg import PersonArray

DEPTH_TOPIC = 'depth/image_raw'
CAMERA_INFO_TOPIC = 'camera/camera_info'


class DepthInput:
    """Fill ``Keypoint.position`` from depth; hand every PersonArray to ``publish``."""

    def __init__(self, node: Node, publish: Callable[[PersonArray], None], max_skew_s: float,
                 wait_s: float, min_score: float) -> None:
        self._node = node
        self._publish = publish
        self.min_score = min_score
        self._pairer = StampPairer(max_skew_s, wait_s)
        self._camera: PinholeCamera | None = None
        self._camera_info_seen = False
        self._said = KeyedThrottle(period_s=5.0)
        self.depth_sub = node.create_subscription(Image, DEPTH_TOPIC, self._on_depth,
                                                  qos_profile_sensor_data)
        self.info_sub = node.create_subscription(CameraInfo, CAMERA_INFO_TOPIC,
                                                 self._on_camera_info, qos_profile_sensor_data)
        node.create_timer(max(0.01, wait_s / 4), self._expire)
        self.positions_published = 0

    @property
    def waiting(self) -> int:
        """Keypoint messages waiting for their depth frame now."""
        return self._pairer.waiting

    @property
    def unmatched_depth(self) -> int:
        return self._pairer.unmatched_depth

    def _warn(self, key: str, message: str) -> None:
        if (text := self._said.due(key, message)) is not None:
            self._node.get_logger().warning(text)

    # -- inputs ---------------------------------------------------------------------------
    def _on_camera_info(self, msg: CameraInfo) -> None:
        self._camera_info_seen = True
        try:
            if msg.binning_x > 1 or msg.binning_y > 1 or msg.roi.width or msg.roi.height:
                raise CameraModelError('binning and region of interest are not supported')
            camera = PinholeCamera.from_camera_info(msg.width, msg.height, msg.k,
                                                    msg.distortion_model, msg.d)
        except CameraModelError as exc:
            self._camera = None
            self._warn(f'info {exc}', f'camera info on {self.info_sub.topic_name} cannot be '
                       f'used: {exc}; keypoints get no 3D positions')
            return
        self._camera = camera

    def _on_depth(self, msg: Image) -> None:
        try:
            depth = depth_from_fields(msg.encoding, msg.width, msg.height, msg.step, msg.data,
                                      msg.is_bigendian)
        except DepthFormatError as exc:
            self._warn(f'depth {exc}', f'depth image on {self.depth_sub.topic_name} dropped: '
                       f'{exc}')
            return
        self._handle(self._pairer.add_depth(stamp_to_seconds(msg.header.stamp), depth,
                                            time.monotonic()))

    def add_keypoints(self, msg: PersonArray) -> None:
        """Take the worker's keypoints of one colour frame (positions not yet filled)."""
        self._handle(self._pairer.add_colour(stamp_to_seconds(msg.header.stamp), msg,
                                             time.monotonic()))

    def _expire(self) -> None:
        self._handle(self._pairer.expire(time.monotonic()))

    def close(self) -> None:
        self._handle(self._pairer.clear())

    # -- output ---------------------------------------------------------------------------
    def _handle(self, results: list[Paired]) -> None:
        for r in results:
            msg = r.colour
            if r.depth is None:
                self._explain_unmatched(r)
            elif self._fill(msg, r.depth):
                self.positions_published += 1
            self._publish(msg)

    def _explain_unmatched(self, r: Paired) -> None:
        topic = self.depth_sub.topic_name
        skew = self._pairer.max_skew_s
        if r.nearest_depth_s is None:
            self._warn('no depth', f'no depth image on {topic} yet: keypoints get no 3D '
                       f'positions (remap with --ros-args -r {DEPTH_TOPIC}:=<topic>)')
        elif r.reason == OVERFLOW:
            self._warn('overflow', 'keypoints waited for depth longer than the buffer holds; '
                       'published without 3D positions')
        else:
            self._warn('unmatched', (
                f'no depth image on {topic} stamped within depth_max_skew = {skew:g} s of '
                f'the colour image stamped {r.stamp:.6f}: the nearest is '
                f'{r.nearest_depth_s * 1e3:+.1f} ms from it'
                + (' and depth frames newer than it are arriving' if r.reason == PASSED
                   else f' after waiting depth_wait = {self._pairer.wait_s:g} s')
                + ". Registered depth must carry the colour image's stamp (or raise "
                'depth_max_skew); published without 3D positions'))

    def _fill(self, msg: PersonArray, depth) -> bool:
        camera = self._camera
        if camera is None:
            self._warn('no info', (
                f'no usable camera info on {self.info_sub.topic_name}' + (
                    '' if self._camera_info_seen else ' received yet')
                + f': keypoints get no 3D positions (remap with --ros-args -r '
                f'{CAMERA_INFO_TOPIC}:=<topic>)'))
            return False
        size = (msg.image_width, msg.image_height)
        if (depth.width, depth.height) != size:
            self._warn('depth size', (
                f'depth image on {self.depth_sub.topic_name} is {depth.width}x{depth.height} '
                f'but the colour image is {size[0]}x{size[1]}: depth must be registered '
                '(aligned) to the colour image, e.g. RealSense aligned_depth_to_color; '
                'published without 3D positions'))
            return False
        if (camera.width, camera.height) != size:
            self._warn('info size', (
                f'camera info on {self.info_sub.topic_name} is for {camera.width}x'
                f'{camera.height} but the colour image is {size[0]}x{size[1]}: use the colour '
                "camera's info; published without 3D positions"))
            return False
        if not msg.persons:
            return True
        kp = np.array([[(k.x, k.y, k.score) for k in p.keypoints] for p in msg.persons],
                      dtype=np.float64).reshape(-1, NUM_KEYPOINTS, 3)
        pos = lift_keypoints(kp, depth, camera, self.min_score)
        for person, points, valid in zip(msg.persons, pos.points.tolist(),
                                         pos.valid.tolist()):
            _set_positions(person.keypoints, points, valid)
        hands = [(hand, i) for i, person in enumerate(msg.persons) for hand in person.hands]
        if hands:
            hand_kp = np.array([[(k.x, k.y, k.score) for k in hand.keypoints]
                                for hand, _ in hands], dtype=np.float64)
            points, valid = lift_hands(hand_kp, pos.torso_depth_m[[i for _, i in hands]],
                                       depth, camera, self.min_score)
            for (hand, _), p, ok in zip(hands, points.tolist(), valid.tolist()):
                _set_positions(hand.keypoints, p, ok)
        return True


def _set_positions(keypoints: list, points: list, valid: list) -> None:
    for k, p, ok in zip(keypoints, points, valid):
        if ok:
            k.position.x, k.position.y, k.position.z = p
            k.has_position = True
