"""demo: the whole pipeline on a camera (or, without one, a clip of real people).

Runs the camera, pose and gesture nodes in one process, like ``pipeline``, plus a recorder that
draws the skeleton, the gesture and the command sent on each frame into a video and keeps a
one-line status on the terminal. The demo is a program for a person at a terminal, not a node
of a robot, so its status line goes to stdout.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import sys
import time

import cv2
from geometry_msgs.msg import Twist
import numpy as np
from rclpy.executors import Executor
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from rclpy.task import Future
from sensor_msgs.msg import Image

from pose_ros.media import clip
from pose_ros.media.draw import draw_text_lines
from pose_ros.ros import pipeline, runner
from pose_ros_msgs.msg import Gesture, PersonArray

DEVICE = '/dev/video0'


class DemoRecorder(Node):
    """Collect what the pipeline says and draw it onto its annotated frames."""

    def __init__(self, video: Path | None, still: Path | None) -> None:
        super().__init__('demo_recorder')
        self._video_path, self._still_path = video, still
        self._writer: cv2.VideoWriter | None = None
        self.frames = 0
        self.persons = 0
        self.gesture = '-'
        self.command: Twist | None = None
        self.commands_sent = 0
        self.last_frame = 0.0
        self._arrivals: list[float] = []
        self._best_still = -1.0
        self.create_subscription(Image, 'pose/image_annotated', self._on_image,
                                 qos_profile_sensor_data)
        self.create_subscription(PersonArray, 'pose/keypoints', self._on_keypoints,
                                 qos_profile_sensor_data)
        self.create_subscription(Gesture, 'pose/gesture', self._on_gesture, 10)
        self.create_subscription(Twist, 'cmd_vel', self._on_command, 10)

    def _on_keypoints(self, msg: PersonArray) -> None:
        self.persons = len(msg.persons)
        now = time.monotonic()
        self._arrivals = [t for t in self._arrivals if now - t < 2.0] + [now]

    def _on_gesture(self, msg: Gesture) -> None:
        ended = msg.phase == Gesture.ENDED
        self.gesture = '-' if ended else f'{msg.name} (person {msg.person_id})'

    def _on_command(self, msg: Twist) -> None:
        self.command = msg
        self.commands_sent += 1

    @property
    def fps(self) -> float:
        a = self._arrivals
        return (len(a) - 1) / (a[-1] - a[0]) if len(a) > 1 and a[-1] > a[0] else 0.0

    def command_text(self) -> str:
        if self.command is None:
            return 'none sent'
        c = self.command
        return f'vx {c.linear.x:+.2f} m/s  vy {c.linear.y:+.2f}  wz {c.angular.z:+.2f} rad/s'

    def status(self) -> str:
        return (f'{self.fps:5.1f} frames/s | {self.persons} person(s) | gesture: {self.gesture}'
                f' | command: {self.command_text()} | {self.frames} frames recorded')

    def _on_image(self, msg: Image) -> None:
        rgb = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.step // 3, 3)
        canvas = np.ascontiguousarray(rgb[:, :msg.width])
        draw_text_lines(canvas, [f'persons: {self.persons}', f'gesture: {self.gesture}',
                                 f'command: {self.command_text()}'])
        bgr = cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR)
        if self._video_path is not None:
            if self._writer is None:
                self._video_path.parent.mkdir(parents=True, exist_ok=True)
                self._writer = cv2.VideoWriter(str(self._video_path),
                                               cv2.VideoWriter_fourcc(*'mp4v'), 30.0,
                                               (msg.width, msg.height))
            self._writer.write(bgr)
        # Keep the frame where the person is seen best as a still for the README.
        if self._still_path is not None and self.persons and self.frames % 10 == 0:
            score = float(self.frames < 200) + self.persons
            if score > self._best_still:
                self._best_still = score
                self._still_path.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(self._still_path), bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
        self.frames += 1
        self.last_frame = time.monotonic()

    def destroy_node(self) -> None:
        if self._writer is not None:
            self._writer.release()
        super().destroy_node()


def _spin_with_status(recorder: DemoRecorder, idle_end_s: float):
    """Spin until Ctrl-C, or until frames stop for ``idle_end_s`` (the clip has ended)."""

    def spin(executor: Executor, stop: Future) -> None:
        shown = 0.0
        while not stop.done():
            executor.spin_once(timeout_sec=0.05)
            now = time.monotonic()
            if now - shown > 0.5:
                shown = now
                sys.stdout.write('\r' + recorder.status()[:160].ljust(160))
                sys.stdout.flush()
            if recorder.frames and now - recorder.last_frame > idle_end_s:
                return

    return spin


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ros_args = argv[argv.index('--ros-args'):] if '--ros-args' in argv else []
    ours = argv[:len(argv) - len(ros_args)]
    parser = argparse.ArgumentParser(
        prog='demo', description=__doc__.splitlines()[0],
        epilog='Anything after --ros-args goes to the nodes (e.g. -r cmd_vel:=/robot/cmd_vel).')
    parser.add_argument('--source', default='',
                        help=f'camera or file; default: {DEVICE} if present, else the demo clip')
    parser.add_argument('--output', default='output', help='folder for the video and clip')
    parser.add_argument('--drive', action='store_true',
                        help='send commands to cmd_vel, where a robot may listen; without it '
                        'they go to demo/cmd_vel, so a demo never moves a robot by surprise')
    options = parser.parse_args(ours)
    out = Path(options.output)
    source = options.source
    if not source:
        if os.path.exists(DEVICE):
            source = DEVICE
        else:
            source = str(out / 'demo_clip.avi')
            if not os.path.exists(source):
                print(f'[demo] no camera at {DEVICE}: making a clip of real people, {source}')
                clip.write(source)
    video, still = out / 'demo.mp4', out / 'demo_frame.jpg'
    print(f'[demo] source {source}; annotated video to {video}; Ctrl-C to stop')
    node_args = ['--ros-args', '-p', f'source:={source}', '-p', 'loop:=false',
                 '-p', 'publish_annotated:=true'] + \
        ([] if options.drive else ['-r', 'cmd_vel:=demo/cmd_vel']) + ros_args[1:]
    recorder: list[DemoRecorder] = []

    def make_recorder() -> DemoRecorder:
        recorder.append(DemoRecorder(video, still))
        return recorder[0]

    code = runner.run(pipeline.factories() + [make_recorder], 'demo', node_args,
                      pipeline.STARTUP_ERRORS,
                      spin=lambda executor, stop: _spin_with_status(recorder[0], 3.0)(
                          executor, stop))
    if recorder:
        r = recorder[0]
        print(f'\n[demo] {r.frames} frames recorded to {video}; {r.commands_sent} commands sent')
    return code


if __name__ == '__main__':
    sys.exit(main())
