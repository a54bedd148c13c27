"""The whole pipeline on a clip of real people: as three processes, as one, and as the demo."""

import re

from conftest import RosTestNode, executable, stamp_ns
import cv2
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist
import numpy as np
import pytest
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image

from pose_ros.media import clip
from pose_ros.ros.messages import msg_to_poses
from pose_ros_msgs.msg import Gesture, PersonArray

EXECUTABLES = {name: executable(name) for name in
               ('camera_node', 'pose_node', 'gesture_node', 'pipeline', 'demo')}

SPEC = clip.ClipSpec(fps=5.0, seconds_per_person=2.0, empty_seconds=0.6)
# The clip is replayed slower than it was made, slow enough that no frame is dropped anywhere,
# so two runs see exactly the same frames. pose_node drops a frame when a newer one arrives
# first (by design); at the clip's own 5 frames/s it did on a 2-core machine kept busy by other
# work, where a frame with a person appearing took up to 250 ms (1 frame in 23, every other
# run). 2 frames/s leaves 500 ms a frame.
REPLAY_FPS = 2.0


@pytest.fixture(scope='module')
def clip_path(tmp_path_factory):
    return clip.write(tmp_path_factory.mktemp('clip') / 'people.avi', SPEC)


class Observer(RosTestNode):
    """Everything the pipeline publishes, as a user's node would see it."""

    def __init__(self, context):
        super().__init__(context, 'observer')
        self.images: list[Image] = self.collect(Image, '/camera/image_raw',
                                                qos_profile_sensor_data)
        self.keypoints: list[PersonArray] = self.collect(PersonArray, '/pose/keypoints', 100)
        self.gestures: list[Gesture] = self.collect(Gesture, '/pose/gesture', 100)
        self.commands: list[Twist] = self.collect(Twist, '/cmd_vel', 100)
        self.diagnostics: list[DiagnosticArray] = self.collect(
            DiagnosticArray, '/diagnostics', 100)

    def dropped(self) -> str:
        """Say what pose_node reported dropping: why a frame may be missing."""
        n = dropped_by_pose_node(self.diagnostics)
        return ('no diagnostics from pose_node' if n is None else
                f'pose_node dropped {n} frame(s) (a newer frame arrived first)')


def dropped_by_pose_node(diagnostics: list[DiagnosticArray]) -> int | None:
    """Return the frames pose_node last reported dropping in total, None if it never did."""
    totals = [int(kv.value) for array in diagnostics for status in array.status
              if status.name == 'pose_node: pose estimation'
              for kv in status.values if kv.key == 'dropped total']
    return max(totals) if totals else None


@pytest.fixture
def observer(rclpy_context):
    o = Observer(rclpy_context)
    yield o
    o.close()



def frames_expected() -> int:
    return int(SPEC.fps * (2 * SPEC.seconds_per_person + SPEC.empty_seconds))


def camera_args(clip_path) -> list[str]:
    # Two subscribers to wait for before the replay starts: pose_node and this observer.
    return ['-p', f'source:={clip_path}', '-p', 'loop:=false', '-p', f'fps:={REPLAY_FPS}',
            '-p', 'wait_for_subscribers:=2']


def wait_for_all_keypoints(observer: Observer) -> None:
    total = frames_expected()
    assert observer.spin_until(lambda: len(observer.keypoints) >= total, 120.0), (
        f'{len(observer.keypoints)} of {total} frames reached /pose/keypoints; '
        f'{len(observer.images)} images seen on /camera/image_raw; {observer.dropped()}')
    observer.spin_until(lambda: False, 1.0)  # anything late or extra shows up now


def test_three_processes_over_dds(observer, peer, clip_path):
    gesture = peer([EXECUTABLES['gesture_node']])
    pose = peer([EXECUTABLES['pose_node']])
    # The camera starts once the others listen, so no frame is sent into the void.
    assert observer.spin_until(lambda: observer.node.count_publishers('/pose/keypoints') and
                               observer.node.count_subscribers('/pose/keypoints') >= 2, 60.0)
    peer([EXECUTABLES['camera_node'], '--ros-args', *camera_args(clip_path)])
    wait_for_all_keypoints(observer)

    camera_stamps = {stamp_ns(m) for m in observer.images}
    keypoint_stamps = [stamp_ns(m) for m in observer.keypoints]
    assert set(keypoint_stamps) <= camera_stamps, 'keypoints carry stamps the camera never sent'
    assert keypoint_stamps == sorted(keypoint_stamps)
    assert all(m.header.frame_id == 'camera' for m in observer.keypoints)
    seen = [len(m.persons) for m in observer.keypoints]
    per_person = int(SPEC.fps * SPEC.seconds_per_person)
    assert sum(n == 1 for n in seen[:per_person]) >= per_person - 1, seen
    assert seen[per_person + 1:per_person + 2] == [0], f'nobody is in the empty frames: {seen}'

    # Whatever the gesture node reports is about people and frames it was given...
    by_stamp = {stamp_ns(m): {p.id for p in m.persons} for m in observer.keypoints}
    for g in observer.gestures:
        assert g.person_id in by_stamp.get(stamp_ns(g), set()), g
    # ...and nobody engaged, so not a single command went to the robot.
    assert observer.commands == []
    assert gesture.stop() and pose.stop()


def test_pipeline_executable_gives_the_same_keypoints(observer, peer, clip_path):
    separate_nodes = [peer([EXECUTABLES['pose_node']]), peer([EXECUTABLES['gesture_node']])]
    assert observer.spin_until(lambda: observer.node.count_publishers('/pose/keypoints') and
                               observer.node.count_subscribers('/pose/keypoints') >= 2, 60.0)
    separate_nodes.append(
        peer([EXECUTABLES['camera_node'], '--ros-args', *camera_args(clip_path)]))
    wait_for_all_keypoints(observer)
    separate = [msg_to_poses(m) for m in observer.keypoints]
    for proc in separate_nodes:
        proc.stop()
    observer.keypoints.clear()
    assert observer.spin_until(
        lambda: observer.node.count_publishers('/pose/keypoints') == 0, 60.0)

    # The same clip through the single-process pipeline: the same topics, one process.
    peer([EXECUTABLES['pipeline'], '--ros-args', *camera_args(clip_path)])
    wait_for_all_keypoints(observer)
    single = [msg_to_poses(m) for m in observer.keypoints]

    assert len(single) == len(separate) == frames_expected()
    for a, b in zip(separate, single):
        assert len(a) == len(b)
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(pa.keypoints[:, :2], pb.keypoints[:, :2], atol=2.0)


def test_demo_command_records_an_annotated_video(rclpy_context, peer, tmp_path, clip_path):
    watcher = RosTestNode(rclpy_context, 'demo_watcher')
    diagnostics = watcher.collect(DiagnosticArray, '/diagnostics', 100)
    try:
        demo = peer([EXECUTABLES['demo'], '--source', str(clip_path), '--output', str(tmp_path),
                     '--ros-args', '-p', f'camera_node:fps:={REPLAY_FPS}'])
        # It ends by itself, 3 s after the last frame of the clip.
        assert watcher.spin_until(lambda: demo.proc.poll() is not None, 300.0), demo.stop()
    finally:
        watcher.close()
    out = demo.stop()
    assert demo.proc.returncode == 0, out
    assert 'frames/s' in out and 'person(s)' in out, out
    recorded = int(re.search(r'\[demo\] (\d+) frames recorded to', out).group(1))
    # The video keeps the camera's time: a frame pose_node dropped (all in one process, the
    # demo can be slow enough for that on a busy machine, even at REPLAY_FPS) shows the one
    # before, so the video has the clip's frame count, less any dropped at its very end and
    # give or take one for stamps rounded onto the frame grid.
    dropped = dropped_by_pose_node(diagnostics)
    assert dropped is not None, "no diagnostics from the demo's pose_node"
    assert frames_expected() - dropped - 1 <= recorded <= frames_expected() + 1, \
        f'{recorded} recorded, {dropped} dropped, {frames_expected()} in the clip'
    capture = cv2.VideoCapture(str(tmp_path / 'demo.mp4'))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == recorded
    assert (tmp_path / 'demo_frame.jpg').stat().st_size > 10_000
