"""pose_node publishes joint angles and velocities on pose/kinematics, over real DDS."""

import math

from conftest import executable, stamp_ns
import pytest
from test_pose_node import Harness as PoseNodeHarness
from test_pose_node import astronaut_640x480, image_msg

from pose_ros.kinematics import Joint, Space, joint_angles
from pose_ros.ros.messages import person_to_pose
from pose_ros_msgs.msg import KinematicsArray

EXECUTABLE = executable('pose_node')
S = 1_000_000_000


class Harness(PoseNodeHarness):
    """pose_node's own test harness, also collecting pose/kinematics."""

    def __init__(self, context):
        super().__init__(context)
        self.kinematics: list[KinematicsArray] = self.collect(
            KinematicsArray, '/pose/kinematics', 100)

    def kinematics_of(self, stamp: int, frame, timeout: float = 60.0) -> KinematicsArray:
        """Publish the frame stamped ``stamp`` until its keypoints, then its kinematics, arrive."""
        self.publish_until_answered(image_msg(frame, stamp), timeout)
        found = lambda: [m for m in self.kinematics if stamp_ns(m) == stamp]  # noqa: E731
        assert self.spin_until(found, timeout), f'no kinematics for the frame stamped {stamp}'
        return found()[0]


@pytest.fixture
def harness(rclpy_context):
    h = Harness(rclpy_context)
    yield h
    h.close()


def test_kinematics_follow_the_keypoints_with_their_header(harness, peer):
    peer([EXECUTABLE])
    assert harness.spin_until(lambda: harness.images.get_subscription_count() > 0, 60.0)
    frame = astronaut_640x480()
    first = harness.kinematics_of(10 * S, frame)
    assert first.header.frame_id == 'test_camera'
    keypoints = [m for m in harness.keypoints if stamp_ns(m) == 10 * S][0]
    assert [p.person_id for p in first.persons] == [p.id for p in keypoints.persons]
    assert len(first.persons) == 1
    person = first.persons[0]
    # The angles are those of the keypoints published for the same frame (default
    # kinematics_min_score 0.3), in the image plane without depth; unknown ones are NaN.
    expected = joint_angles(person_to_pose(keypoints.persons[0]), 0.3)
    assert len(person.joints) == len(Joint)
    for a in person.joints:
        assert a.space == int(expected.space(Joint(a.joint)))
        assert a.space in (int(Space.IMAGE), int(Space.UNKNOWN))
        if a.space == int(Space.UNKNOWN):
            assert math.isnan(a.angle) and math.isnan(a.velocity)
        else:
            assert a.angle == pytest.approx(expected.angle(Joint(a.joint)), abs=1e-3)
    shoulder = {a.joint: a for a in person.joints}[int(Joint.LEFT_SHOULDER)]
    assert shoulder.space == int(Space.IMAGE) and 0.0 <= shoulder.angle <= 180.0
    # The same still photo, 0.5 s apart: once the model tracks her (its first frames still
    # refine the landmarks), the tracked person's angles do not move.
    for i in range(1, 4):
        later = harness.kinematics_of(10 * S + i * S // 2, frame)
    assert person.person_id != -1, 'pose_node tracks her: velocities need a track id'
    assert later.persons[0].person_id == person.person_id
    # Her shoulders are clearly seen (the knees of a photo cut at the waist are guesses).
    for joint in (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER):
        a = {a.joint: a for a in later.persons[0].joints}[int(joint)]
        assert a.space == int(Space.IMAGE) and abs(a.velocity) < 5.0, (joint, a)


def test_kinematics_can_be_turned_off(harness, peer):
    node = peer([EXECUTABLE, '--ros-args', '-p', 'publish_kinematics:=false'])
    assert harness.spin_until(lambda: harness.images.get_subscription_count() > 0, 60.0)
    msg = image_msg(astronaut_640x480(), 20 * S)
    harness.publish_until_answered(msg)
    # Its keypoints publisher is seen, so a kinematics publisher would be too by now.
    assert harness.node.count_publishers('/pose/keypoints') == 1
    assert harness.node.count_publishers('/pose/kinematics') == 0
    assert harness.kinematics == []
    assert 'Traceback' not in node.stop()
