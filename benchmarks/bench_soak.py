"""Soak: a pose_node process fed 640x480 frames at 60 Hz for minutes; memory and latency.

Run inside the set-up environment (``source pose_ros_env.sh``):

    python benchmarks/bench_soak.py [--minutes 10] [--rate 60]

The frames are bench_pose.py's moving clip (the astronaut swaying and zooming, so BlazePose's
tracker re-crops every frame), stamped when published. Reported: pose_node's resident memory
(VmRSS from /proc) once it has warmed up and at the end, with the slope of a straight line
through a sample every 10 s; latency from stamp to /pose/keypoints arrival as p50 / p95 / p99
over the whole run and per minute; and, as the reference measured in the same run, pose_node's
own mean inference time from /diagnostics.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import random
import subprocess
import sys
import time

from ament_index_python.packages import get_package_prefix
from diagnostic_msgs.msg import DiagnosticArray
import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pose import HEIGHT, WIDTH, make_clip  # noqa: E402

from pose_ros.media.image import rgb_to_image_data  # noqa: E402
from pose_ros_msgs.msg import PersonArray  # noqa: E402

WARMUP_S = 20.0  # model loading, first tracking, DDS matching: not what a soak is about
SAMPLE_S = 10.0


def rss_mb(pid: int) -> float:
    with open(f'/proc/{pid}/status', encoding='ascii') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f'no VmRSS for process {pid}')


def pct(values: list[float]) -> str:
    a = np.array(values) * 1e3
    return ' / '.join(f'{np.percentile(a, q):6.2f}' for q in (50, 95, 99))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, default=10.0)
    parser.add_argument('--rate', type=float, default=60.0, help='frames per second sent')
    args = parser.parse_args()
    os.environ['ROS_DOMAIN_ID'] = str(random.SystemRandom().randint(120, 220))
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')

    frames = []
    for rgb in make_clip(120):
        encoding, step, data = rgb_to_image_data(rgb)
        frames.append(data)
    executable = os.path.join(get_package_prefix('pose_ros'), 'lib', 'pose_ros', 'pose_node')
    proc = subprocess.Popen([executable, '--ros-args', '-p', 'diagnostics_period:=1.0'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rclpy.init()
    node = rclpy.create_node('soak_bench')
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    images = node.create_publisher(Image, '/camera/image_raw', qos_profile_sensor_data)
    arrivals: list[tuple[float, float]] = []  # (seconds into the run, latency s)
    inference_ms: list[float] = []
    t_start = [0.0]

    def on_keypoints(msg: PersonArray) -> None:
        now = node.get_clock().now().nanoseconds
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        arrivals.append((time.monotonic() - t_start[0], (now - stamp) * 1e-9))

    def on_diagnostics(msg: DiagnosticArray) -> None:
        for status in msg.status:
            for kv in status.values:
                if kv.key == 'inference ms' and float(kv.value) > 0 \
                        and time.monotonic() - t_start[0] > WARMUP_S:
                    inference_ms.append(float(kv.value))

    node.create_subscription(PersonArray, '/pose/keypoints', on_keypoints,
                             qos_profile_sensor_data)
    node.create_subscription(DiagnosticArray, '/diagnostics', on_diagnostics, 10)

    def spin_until(deadline: float) -> None:
        # Block until the next message or the deadline: polling would take a core from the node.
        while (left := deadline - time.monotonic()) > 0:
            executor.spin_once(timeout_sec=left)

    try:
        end = time.monotonic() + 60
        while images.get_subscription_count() == 0 and time.monotonic() < end:
            spin_until(time.monotonic() + 0.1)
        if images.get_subscription_count() == 0:
            sys.exit('pose_node did not subscribe within 60 s')
        spin_until(time.monotonic() + 1.0)
        duration = args.minutes * 60.0
        samples: list[tuple[float, float]] = []  # (seconds into the run, RSS MB)
        sent = 0
        t_start[0] = t0 = time.monotonic()
        next_sample = t0 + WARMUP_S
        while (now := time.monotonic()) - t0 < duration:
            if proc.poll() is not None:
                sys.exit(f'pose_node exited with {proc.returncode} after {now - t0:.0f} s')
            msg = Image(height=HEIGHT, width=WIDTH, encoding=encoding, step=step,
                        data=frames[sent % len(frames)])
            msg.header.stamp = node.get_clock().now().to_msg()
            msg.header.frame_id = 'camera'
            images.publish(msg)
            sent += 1
            if now >= next_sample:
                samples.append((now - t0, rss_mb(proc.pid)))
                next_sample += SAMPLE_S
            spin_until(t0 + sent / args.rate)
        spin_until(time.monotonic() + 0.5)
        samples.append((time.monotonic() - t0, rss_mb(proc.pid)))
    finally:
        proc.send_signal(2)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        node.destroy_node()
        rclpy.try_shutdown()

    warm = [lat for t, lat in arrivals if t > WARMUP_S]
    t, mb = np.array(samples).T
    slope = np.polyfit(t / 60.0, mb, 1)[0] if len(samples) > 1 else float('nan')
    print(f'pose_node soak: {args.minutes:g} min at {args.rate:g} Hz, {WIDTH}x{HEIGHT}, '
          f'{os.cpu_count()} CPUs; first {WARMUP_S:.0f} s not counted')
    print(f'frames sent {sent}, keypoints received {len(arrivals)} '
          f'({len(arrivals) / max(sent, 1):.0%}; newer frames replace waiting ones)')
    print(f'resident memory: {mb[0]:.1f} MB at {t[0]:.0f} s, {mb[-1]:.1f} MB at {t[-1]:.0f} s, '
          f'max {mb.max():.1f} MB; slope {slope:+.3f} MB/min over {len(samples)} samples')
    print(f'latency stamp -> /pose/keypoints ms p50 / p95 / p99: {pct(warm)} '
          f'({len(warm)} messages)')
    if inference_ms:
        infer = float(np.mean(inference_ms))
        print(f"reference, pose_node's own inference (mean of /diagnostics): {infer:.2f} ms; "
              f'latency p50 / inference = {np.percentile(warm, 50) * 1e3 / infer:.2f}')
    minutes = int(np.ceil(args.minutes))
    for m in range(minutes):
        part = [lat for t_, lat in arrivals if max(m * 60, WARMUP_S) < t_ <= (m + 1) * 60]
        if part:
            print(f'  minute {m + 1:2d}: p50 / p95 / p99 {pct(part)} ms ({len(part)} messages)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
