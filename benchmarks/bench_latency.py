"""Latency through the nodes over real DDS: image stamp -> /pose/keypoints -> /cmd_vel.

Run inside the set-up environment (``source pose_ros_env.sh``):

    python benchmarks/bench_latency.py [--seconds 5] [--rates 15 30 60]

Leg 1: this script publishes 640x480 frames of a real person (stamped when published) to a
pose_node process at each camera rate and measures stamp -> /pose/keypoints arrival, next to
pose_node's own inference time (from /diagnostics), and counts the frames it dropped.
Leg 2: it publishes the keypoints of an engaged person driving forward to a gesture_node
process and measures keypoints stamp -> /cmd_vel arrival. (No photo here shows someone making
the gestures, so leg 2 uses the synthetic people of the tests; its cost does not depend on
where the keypoints came from.)
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import shutil
import subprocess
import sys
import time

import cv2
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist
import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image
import skimage.data

from pose_ros.media.image import rgb_to_image_data
from pose_ros.ros.messages import poses_to_msg
from pose_ros_msgs.msg import PersonArray

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'pose_ros' / 'test'))
from synthetic_people import ADULT, GESTURE_STANCES, NO_NOISE, View, render  # noqa: E402


def ms(values: list[float]) -> str:
    if not values:  # e.g. the engage gesture was not seen: say so rather than fail
        return '  none /   none /   none'
    a = np.array(values) * 1e3
    return f'{np.median(a):6.2f} / {np.percentile(a, 95):6.2f} / {a.max():6.2f}'


class Bench:
    def __init__(self) -> None:
        self.node = rclpy.create_node('latency_bench')
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.images = self.node.create_publisher(Image, '/camera/image_raw',
                                                 qos_profile_sensor_data)
        self.keypoints_pub = self.node.create_publisher(PersonArray, '/pose/keypoints',
                                                        qos_profile_sensor_data)
        self.arrivals: dict[str, list[tuple[int, int]]] = {'keypoints': [], 'cmd_vel': []}
        self.inference_ms: list[float] = []
        self.last_keypoints_stamp = 0
        self.node.create_subscription(PersonArray, '/pose/keypoints', self._on_keypoints,
                                      qos_profile_sensor_data)
        self.node.create_subscription(Twist, '/cmd_vel', self._on_cmd, 10)
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diag, 10)

    def now(self) -> int:
        return self.node.get_clock().now().nanoseconds

    def _on_keypoints(self, msg: PersonArray) -> None:
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        self.arrivals['keypoints'].append((stamp, self.now()))

    def _on_cmd(self, msg: Twist) -> None:
        self.arrivals['cmd_vel'].append((self.last_keypoints_stamp, self.now()))

    def _on_diag(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            for kv in status.values:
                if kv.key == 'inference ms' and float(kv.value) > 0:
                    self.inference_ms.append(float(kv.value))

    def spin_for(self, seconds: float) -> None:
        # Block until the next message or the end: polling would take a core from the nodes.
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.executor.spin_once(timeout_sec=left)

    def wait_for_subscriber(self, publisher) -> None:
        end = time.monotonic() + 30
        while publisher.get_subscription_count() == 0 and time.monotonic() < end:
            self.spin_for(0.05)
        self.spin_for(1.0)


def start(executable: str, *args: str) -> subprocess.Popen:
    path = shutil.which(executable)
    if path is None:
        sys.exit(f'{executable} not on PATH: source pose_ros_env.sh first')
    return subprocess.Popen([path, '--ros-args', *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(2)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def pose_leg(bench: Bench, rates: list[float], seconds: float) -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:, 80:560] = cv2.resize(skimage.data.astronaut(), (480, 480))
    encoding, step, data = rgb_to_image_data(frame)
    proc = start('pose_node', '-p', 'diagnostics_period:=1.0')
    try:
        bench.wait_for_subscriber(bench.images)
        print('camera rate | sent | published | stamp -> /pose/keypoints ms median / p95 / max'
              ' | inference ms')
        for rate in rates:
            bench.arrivals['keypoints'].clear()
            bench.inference_ms.clear()
            sent = 0
            t0 = time.monotonic()
            while time.monotonic() - t0 < seconds:
                msg = Image(height=480, width=640, encoding=encoding, step=step, data=data)
                msg.header.stamp = bench.node.get_clock().now().to_msg()
                bench.images.publish(msg)
                sent += 1
                bench.spin_for(max(0.0, t0 + sent / rate - time.monotonic()))
            bench.spin_for(0.5)
            lat = [(arrived - stamp) * 1e-9 for stamp, arrived in bench.arrivals['keypoints']]
            inference = np.median(bench.inference_ms) if bench.inference_ms else float('nan')
            print(f'{rate:8.0f} Hz | {sent:4d} | {len(lat):9d} | {ms(lat):>34} | '
                  f'{inference:6.2f}')
    finally:
        stop(proc)


def gesture_leg(bench: Bench, seconds: float) -> None:
    proc = start('gesture_node')
    rng = np.random.default_rng(1)
    try:
        bench.wait_for_subscriber(bench.keypoints_pub)

        def show(stance: str, duration: float) -> None:
            end = time.monotonic() + duration
            while time.monotonic() < end:
                pose = render(ADULT, GESTURE_STANCES[stance], View(), rng, NO_NOISE, 1)
                header = PersonArray().header
                header.stamp = bench.node.get_clock().now().to_msg()
                bench.last_keypoints_stamp = header.stamp.sec * 1_000_000_000 + \
                    header.stamp.nanosec
                bench.keypoints_pub.publish(poses_to_msg([pose], header, 640, 480, 'bench'))
                bench.spin_for(1 / 30)

        show('engage', 1.6)
        bench.arrivals['cmd_vel'].clear()
        show('forward', seconds)
        lat = [(arrived - stamp) * 1e-9 for stamp, arrived in bench.arrivals['cmd_vel']]
        # At 30 Hz keypoints every command answers one: the node's timer only fills gaps
        # longer than its own period (20 Hz).
        print(f'keypoints stamp -> /cmd_vel ms median / p95 / max: {ms(lat)} '
              f'({len(lat)} commands for {int(seconds * 30)} keypoints messages)')
    finally:
        stop(proc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=5.0)
    parser.add_argument('--rates', type=float, nargs='+', default=[15.0, 30.0, 60.0])
    args = parser.parse_args()
    os.environ['ROS_DOMAIN_ID'] = str(random.randint(120, 220))
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    rclpy.init()
    bench = Bench()
    try:
        pose_leg(bench, args.rates, args.seconds)
        gesture_leg(bench, args.seconds)
    finally:
        bench.node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
