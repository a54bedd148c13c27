"""What pose/kinematics adds to each frame pose_node publishes, next to a same-run reference.

Per frame: the keypoints message back to poses, joint angles and velocities for every person
(``KinematicsTracker.update``) and the ``KinematicsArray`` message, for 1 and 6 people, in the
image plane and in 3D (keypoints with positions, as with ``use_depth``).

    python benchmarks/bench_kinematics.py
"""

from __future__ import annotations

import os
from pathlib import Path
import platform
import statistics
import sys
import time

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'pose_ros'))
sys.path.insert(0, str(HERE))

from reference import reference_ms  # noqa: E402 - beside this script
from std_msgs.msg import Header  # noqa: E402

from pose_ros.core.keypoints import Pose  # noqa: E402
from pose_ros.kinematics import KinematicsTracker  # noqa: E402
from pose_ros.ros.messages import kinematics_to_msg, msg_to_poses, poses_to_msg  # noqa: E402

FRAMES = 300


def people(n: int, rng: np.random.Generator, with_positions: bool) -> list[Pose]:
    out = []
    for i in range(n):
        kp = np.empty((17, 3), np.float32)
        kp[:, 0] = rng.uniform(100 + 80 * i, 160 + 80 * i, 17)
        kp[:, 1] = rng.uniform(50, 450, 17)
        kp[:, 2] = rng.uniform(0.5, 1.0, 17)
        positions = rng.uniform(-1.0, 1.0, (17, 3)) + [0.0, 0.0, 3.0] if with_positions else None
        out.append(Pose(kp, 0.9, (0.0, 0.0, 640.0, 480.0), track_id=i, positions=positions))
    return out


def per_frame_ms(n: int, with_positions: bool) -> float:
    rng = np.random.default_rng(n)
    tracker = KinematicsTracker()
    header = Header(frame_id='camera')
    msgs = []
    for f in range(FRAMES):
        header.stamp.sec, header.stamp.nanosec = divmod(f * 33_333_333, 1_000_000_000)
        msgs.append(poses_to_msg(people(n, rng, with_positions), header, 640, 480, 'bench'))
    times = []
    for msg in msgs:
        t0 = time.perf_counter()
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        kinematics_to_msg(tracker.update(msg_to_poses(msg), stamp), msg.header)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times[10:])


def main() -> int:
    ref = reference_ms()
    print(f'machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}')
    print(f'load average: {", ".join(f"{x:.1f}" for x in os.getloadavg())}')
    print(f'reference (512x512 float64 matmul): {ref:.2f} ms')
    print('people  space   median ms a frame  x reference')
    for n in (1, 6):
        for with_positions in (False, True):
            ms = per_frame_ms(n, with_positions)
            print(f'{n:6d}  {"3D" if with_positions else "image":6s} {ms:17.3f}  {ms / ref:11.3f}')
    print(f'reference again: {reference_ms():.2f} ms')
    return 0


if __name__ == '__main__':
    sys.exit(main())
