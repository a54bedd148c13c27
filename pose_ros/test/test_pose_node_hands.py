"""pose_node with hands:=true as users run it: hands in the published persons, over real DDS.

The rendered person of hand_helpers (both palms raised, 1.4 m, 640x480) is published as the
camera image, with the renderer's depth buffer as the registered depth image.
"""

import os
import subprocess
import time

from conftest import executable, require_model, stamp_ns
from hand_helpers import HANDS_UP_SCENE, hand_length, true_hand_camera, true_hand_pixels
import numpy as np
import pytest
from render_helpers import require_assets, require_gl
from sensor_msgs.msg import CameraInfo, Image
from test_pose_node import image_msg
from test_pose_node_depth import Harness as DepthHarness

from pose_ros_msgs.msg import Hand, PersonArray

EXECUTABLE = executable('pose_node')
SIDES = {Hand.LEFT: 'L', Hand.RIGHT: 'R'}
# As test_hands.py allows the estimator itself: about 1.7 times the median error measured.
MAX_MEDIAN_ERROR = 0.06     # of the hand's length
S = 1_000_000_000


@pytest.fixture(scope='module')
def scene():
    require_assets()
    require_gl()
    for name in ('hand_landmark_full.tflite', 'palm_detection_full.tflite'):
        require_model(name)
    from pose_ros.rendering import Film
    from pose_ros.rendering.scene import parse_scene
    with Film(parse_scene(HANDS_UP_SCENE)) as film:
        frame = film.frame(3)
        posed = film.posed(film.timeline.at(frame.time))
        pixels = {s: true_hand_pixels(film, posed, c) for s, c in SIDES.items()}
        camera = {s: true_hand_camera(film, posed, c) for s, c in SIDES.items()}
        k = film.scene.camera.intrinsics
    return frame.image, frame.depth, k, pixels, camera


def depth_msg(depth_m: np.ndarray, stamp: int) -> Image:
    z = np.where(np.isfinite(depth_m), depth_m, 0.0).astype(np.float32)
    msg = Image(height=z.shape[0], width=z.shape[1], encoding='32FC1', step=z.shape[1] * 4,
                data=z.tobytes())
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, S)
    msg.header.frame_id = 'test_camera'
    return msg


def camera_info(k: np.ndarray, width: int, height: int) -> CameraInfo:
    msg = CameraInfo(width=width, height=height, distortion_model='plumb_bob', d=[0.0] * 5)
    msg.k = [float(v) for v in np.asarray(k).ravel()]
    msg.header.frame_id = 'test_camera'
    return msg


class Harness(DepthHarness):
    """The depth tests' harness, answering on any later frame that satisfies a check."""

    def answer(self, stamp: int, send, done=lambda m: True, timeout: float = 90.0
               ) -> PersonArray:
        """Call ``send(stamp)`` with new stamps until an answer to one satisfies ``done``."""
        found = lambda: [m for m in self.keypoints  # noqa: E731
                         if stamp_ns(m) >= stamp and done(m)]
        t, end = stamp, time.monotonic() + timeout
        while not found() and time.monotonic() < end:
            send(t)
            self.spin_until(found, 0.5)
            t += S // 10
        assert found(), 'pose_node never gave the answer waited for'
        return found()[0]


@pytest.fixture
def harness(rclpy_context):
    h = Harness(rclpy_context)
    yield h
    h.close()


def median_error(hand: Hand, truth: np.ndarray) -> float:
    got = np.array([(k.x, k.y) for k in hand.keypoints])
    return float(np.median(np.hypot(*(got - truth).T)) / hand_length(truth))


def test_hands_true_publishes_both_hands_of_the_person(harness, peer, scene):
    image, _, _, truth, _ = scene
    peer([EXECUTABLE, '--ros-args', '-p', 'hands:=true', '-p', 'diagnostics_period:=0.2'])
    msg = harness.answer(1 * S, lambda t: harness.images.publish(image_msg(image, t)))
    (person,) = msg.persons
    assert [h.side for h in person.hands] == [Hand.LEFT, Hand.RIGHT]
    for hand in person.hands:
        assert [k.id for k in hand.keypoints] == list(range(Hand.NUM_KEYPOINTS))
        assert hand.score > 0.9 and hand.handedness_score > 0.8
        # The person's own side: the hand lies on that side's true hand, not the other one.
        assert median_error(hand, truth[hand.side]) < MAX_MEDIAN_ERROR
        assert not any(k.has_position for k in hand.keypoints)   # no depth asked for
    assert harness.spin_until(lambda: harness.diagnostic('hands') == '2', 30.0)
    print(f"hand inference {harness.diagnostic('hand inference ms')} ms, body "
          f"{harness.diagnostic('inference ms')} ms per frame; median errors "
          + ', '.join(f'{median_error(h, truth[h.side]):.3f}' for h in person.hands))
    assert float(harness.diagnostic('hand inference ms')) > 0.0
    assert harness.diagnostic('hand model') == 'hands_full'


def test_hands_are_off_by_default_and_the_message_is_as_before(harness, peer, scene):
    image = scene[0]
    peer([EXECUTABLE, '--ros-args', '-p', 'diagnostics_period:=0.2'])
    msg = harness.answer(1 * S, lambda t: harness.images.publish(image_msg(image, t)))
    (person,) = msg.persons
    assert person.hands == [] and len(person.keypoints) == 17
    assert harness.spin_until(lambda: harness.diagnostic('persons') is not None, 30.0)
    assert harness.diagnostic('hands') is None and harness.diagnostic('hand model') is None


def test_with_depth_hand_keypoints_get_positions_near_the_truth(harness, peer, scene):
    image, depth, k, _, truth = scene
    peer([EXECUTABLE, '--ros-args', '-p', 'hands:=true', '-p', 'use_depth:=true',
          '-p', 'depth_wait:=2.0'])
    info = camera_info(k, image.shape[1], image.shape[0])

    def send(t):
        harness.info.publish(info)
        harness.depth.publish(depth_msg(depth, t))
        harness.images.publish(image_msg(image, t))

    with_positions = lambda m: m.persons and len(m.persons[0].hands) == 2 and all(  # noqa
        k.has_position for h in m.persons[0].hands for k in h.keypoints[:1])
    msg = harness.answer(1 * S, send, with_positions)
    for hand in msg.persons[0].hands:
        known = [k for k in hand.keypoints if k.has_position]
        assert len(known) >= 18, f'{len(known)} of 21 landmarks with a position'
        got = np.array([(k.position.x, k.position.y, k.position.z) for k in known])
        true = truth[hand.side][[k.id for k in known]]
        error = np.linalg.norm(got - true, axis=1)
        print(f'side {hand.side}: {len(known)} positions, 3D error median '
              f'{np.median(error) * 1000:.1f} mm, max {error.max() * 1000:.1f} mm, '
              f'z median {np.median(got[:, 2] - true[:, 2]) * 1000:+.1f} mm')
        # Measured: medians 12.6 and 13.4 mm (the skin about 10 mm in front of the rig's
        # joints); the bound allows about twice that.
        assert np.median(error) < 0.03


def test_a_missing_hand_model_stops_start_up_naming_the_file(tmp_path):
    for name in ('pose_landmark_full.tflite', 'pose_detection.tflite'):
        os.symlink(require_model(name), tmp_path / name)
    run = subprocess.run([EXECUTABLE, '--ros-args', '-p', 'hands:=true'], capture_output=True,
                         text=True, timeout=30,
                         env={**os.environ, 'POSE_ROS_MODELS': str(tmp_path)})
    assert run.returncode == 1
    out = run.stdout + run.stderr
    fatal = [line for line in out.splitlines() if 'hand_landmark_full.tflite' in line]
    assert len(fatal) == 1, out
    assert str(tmp_path) in fatal[0] and 'fetch_model hands_full' in fatal[0], out
