"""demo: the whole pipeline on a camera (or, without one, a rendered person taking control).

Runs the camera, pose and gesture nodes in one process, like ``pipeline``, plus a recorder that
draws the skeleton, the gesture and the command sent on each frame into a video and keeps a
one-line status on the terminal. Without a camera it plays a rendered control session (scene
``session_basic``: a person engages, drives forward, turns both ways, backs up and stops),
rendered once and cached. The demo is a program for a person at a terminal, not a node of a
robot, so its status line goes to stdout.
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

from pose_ros.gestures.language import GestureFileError, default_gestures_path, load_gestures
from pose_ros.media import clip
from pose_ros.media.draw import draw_text_lines
from pose_ros.ros import pipeline, runner
from pose_ros_msgs.msg import Gesture, PersonArray

DEVICE = '/dev/video0'
DEMO_SCENE = 'session_basic'
# A command older than this is shown as no longer sent (the gesture node sends at 20 Hz).
COMMAND_FRESH_S = 0.5
# At most this many copies of one frame fill a gap in the video (a stalled source).
MAX_REPEAT = 60
MOTION_SCALE = (0.3, 0.6)   # the default gestures' top speeds, m/s and rad/s


class DemoRecorder(Node):
    """Collect what the pipeline says and draw it onto its annotated frames.

    The video plays in real time at ``fps`` whatever rate the pose node keeps up: each
    annotated frame goes in at its capture stamp, repeated over the frames the pose node
    dropped. Who has control is read off the gesture topic (``roles``: the engage and
    disengage gestures' names) and the command stream: the gesture node sends commands
    steadily while someone is engaged, so control is shown as ended when they stop
    coming (after a loss of sight that shows up to ``COMMAND_FRESH_S`` plus the node's
    zero window late).
    """

    def __init__(self, video: Path | None, still: Path | None, fps: float = 30.0,
                 roles: tuple[str, str] = ('engage', 'stop')) -> None:
        super().__init__('demo_recorder')
        self._video_path, self._still_path = video, still
        self._fps = fps
        self._engage, self._disengage = roles
        self.controller: int | None = None
        self._writer: cv2.VideoWriter | None = None
        self._first_stamp: float | None = None
        self.frames = 0
        self.persons = 0
        self.gesture = '-'
        self.command: Twist | None = None
        self.command_at = 0.0
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
        if msg.phase == Gesture.STARTED and msg.name == self._engage:
            self.controller = msg.person_id
            self.command_at = time.monotonic()
        elif msg.phase == Gesture.STARTED and msg.name == self._disengage:
            self.controller = None

    def control_text(self, short: bool = False) -> str:
        if self.controller is not None and \
                time.monotonic() - self.command_at > COMMAND_FRESH_S:
            self.controller = None
        if self.controller is None:
            return 'nobody' if short else f'nobody (make "{self._engage}")'
        return f'person {self.controller}' + ('' if short else ' (engaged)')

    def _on_command(self, msg: Twist) -> None:
        self.command = msg
        self.command_at = time.monotonic()
        self.commands_sent += 1

    @property
    def fps(self) -> float:
        a = self._arrivals
        return (len(a) - 1) / (a[-1] - a[0]) if len(a) > 1 and a[-1] > a[0] else 0.0

    def command_text(self, short: bool = False) -> str:
        if self.command is None:
            return 'none sent'
        if time.monotonic() - self.command_at > COMMAND_FRESH_S:
            return 'none now'
        c = self.command
        if short:
            return f'vx {c.linear.x:+.2f} wz {c.angular.z:+.2f}'
        return f'vx {c.linear.x:+.2f} m/s  vy {c.linear.y:+.2f}  wz {c.angular.z:+.2f} rad/s'

    def _moving(self) -> float:
        """How fast the robot is commanded now, 0 to 1 of the gestures' top speeds."""
        c = self.command
        if c is None or time.monotonic() - self.command_at > COMMAND_FRESH_S:
            return 0.0
        return max(abs(c.linear.x) / MOTION_SCALE[0], abs(c.angular.z) / MOTION_SCALE[1])

    def status(self) -> str:
        return (f'{self.fps:4.1f} frames/s | {self.persons} person(s) | control: '
                f'{self.control_text(True)} | gesture: {self.gesture} | command: '
                f'{self.command_text(True)} | {self.frames} frames')

    def _on_image(self, msg: Image) -> None:
        rgb = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.step // 3, 3)
        canvas = np.ascontiguousarray(rgb[:, :msg.width])
        # Bottom left: the top of the frame is where raised hands are.
        draw_text_lines(canvas, [f'persons: {self.persons}', f'control: {self.control_text()}',
                                 f'gesture: {self.gesture}', f'command: {self.command_text()}'],
                        origin=(8, msg.height - 96))
        bgr = cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR)
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        if self._first_stamp is None:
            self._first_stamp = stamp
        # The video frame this capture belongs in; the frames the pose node skipped before
        # it show the previous picture, so the video keeps the camera's time.
        due = int(round((stamp - self._first_stamp) * self._fps))
        copies = min(max(due - self.frames + 1, 1), MAX_REPEAT)
        if self._video_path is not None:
            if self._writer is None:
                self._video_path.parent.mkdir(parents=True, exist_ok=True)
                self._writer = cv2.VideoWriter(str(self._video_path),
                                               cv2.VideoWriter_fourcc(*'mp4v'), self._fps,
                                               (msg.width, msg.height))
            for _ in range(copies):
                self._writer.write(bgr)
        # The README's still: a frame where a gesture commands the robot, at the highest
        # speed; without any, one where a person is seen.
        commanding = self.gesture != '-' and self.controller is not None
        score = 1.0 + (self._moving() if commanding else 0.0) if self.persons else 0.0
        if self._still_path is not None and self.persons and score > self._best_still + 0.01:
            self._best_still = score
            self._still_path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(self._still_path), bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
        self.frames += copies
        self.last_frame = time.monotonic()

    def destroy_node(self) -> None:
        if self._writer is not None:
            self._writer.release()
        super().destroy_node()


def source_fps(source: str, ros_args: list[str] = ()) -> float:
    """Return the rate the camera node publishes at, which the video is written at.

    Its ``fps`` parameter when given, else the video file's own (30 for cameras and files
    that do not say).
    """
    for arg in ros_args:
        name, _, value = arg.partition(':=')
        if name in ('fps', 'camera_node:fps'):
            try:
                if float(value) > 0:
                    return float(value)
            except ValueError:
                pass  # the camera node refuses it with the reason
    if source.startswith('/dev/') or source.isdigit() or not os.path.isfile(source):
        return 30.0
    capture = cv2.VideoCapture(source)
    fps = capture.get(cv2.CAP_PROP_FPS) if capture.isOpened() else 0.0
    capture.release()
    return float(fps) if 1.0 <= fps <= 240.0 else 30.0


def gesture_roles(ros_args: list[str]) -> tuple[str, str]:
    """Return the engage and disengage gestures of the gestures file the node will load."""
    path = ''
    for arg in ros_args:
        if arg.startswith('gestures_file:='):
            path = arg.split(':=', 1)[1]
    try:
        gestures = load_gestures(path or default_gestures_path())
    except (GestureFileError, OSError, LookupError):
        return ('engage', 'stop')   # the node reports the file's problem itself
    return gestures.engage, gestures.disengage


def demo_clip(out: Path) -> str:
    """Render the control session (cached after the first time); the photo clip without GL."""
    try:
        from pose_ros.rendering import load_scene, render_clip
        print(f'[demo] no camera at {DEVICE}: playing a rendered control session '
              f'({DEMO_SCENE}: engage, forward, turn left, turn right, back, stop); the first '
              'time it is rendered, a minute or two')
        return str(render_clip(load_scene(DEMO_SCENE), stream=sys.stdout).video)
    except Exception as exc:  # noqa: BLE001 - any missing piece of the renderer: say which
        source = out / 'demo_clip.avi'
        print(f'[demo] cannot render the control session ({exc}); making a clip of real '
              f'people instead, {source} (no gestures in it)')
        if not source.exists():
            clip.write(source)
        return str(source)


def _spin_with_status(recorder: DemoRecorder, idle_end_s: float):
    """Spin until Ctrl-C, or until frames stop for ``idle_end_s`` (the clip has ended)."""

    def spin(executor: Executor, stop: Future) -> None:
        shown = 0.0
        while not stop.done():
            executor.spin_once(timeout_sec=0.05)
            now = time.monotonic()
            if now - shown > 0.5:
                shown = now
                sys.stdout.write('\r' + recorder.status()[:130].ljust(130))
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
                        help=f'camera or file; default: {DEVICE} if present, else a rendered '
                      'control session')
    parser.add_argument('--output', default='output', help='folder for the video and clip')
    parser.add_argument('--drive', action='store_true',
                        help='send commands to cmd_vel, where a robot may listen; without it '
                        'they go to demo/cmd_vel, so a demo never moves a robot by surprise')
    options = parser.parse_args(ours)
    out = Path(options.output)
    source = options.source
    if not source:
        source = DEVICE if os.path.exists(DEVICE) else demo_clip(out)
    video, still = out / 'demo.mp4', out / 'demo_frame.jpg'
    roles = gesture_roles(ros_args)
    print(f'[demo] source {source}; annotated video to {video}; Ctrl-C to stop')
    # image_timeout: the demo waits 3 s after the last frame before it ends; the pose node
    # should not warn about the end of the clip meanwhile.
    node_args = ['--ros-args', '-p', f'source:={source}', '-p', 'loop:=false',
                 '-p', 'publish_annotated:=true', '-p', 'image_timeout:=10.0'] + \
        ([] if options.drive else ['-r', 'cmd_vel:=demo/cmd_vel']) + ros_args[1:]
    recorder: list[DemoRecorder] = []

    def make_recorder() -> DemoRecorder:
        recorder.append(DemoRecorder(video, still, source_fps(source, ros_args), roles))
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
