"""Kinematics and 3D positions survive the trip into messages and back, and over DDS."""

import math

from conftest import python_peer_args, spin_until
from msg_samples import sample_header, sample_kinematics
import numpy as np
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor

from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.kinematics import Joint, PersonKinematics, Space
from pose_ros.ros.messages import (
    kinematics_to_msg,
    msg_to_kinematics,
    msg_to_poses,
    poses_to_msg,
)
from pose_ros_msgs.msg import JointAngle, KinematicsArray
from pose_ros_msgs.msg import PersonKinematics as PersonMsg


def assert_same(got: list[PersonKinematics], sent: list[PersonKinematics]) -> None:
    assert [g.track_id for g in got] == [s.track_id for s in sent]
    for g, s in zip(got, sent):
        # float32 on the wire: every sample value is exact in float32.
        np.testing.assert_array_equal(g.angles, s.angles)
        np.testing.assert_array_equal(g.velocities, s.velocities)
        np.testing.assert_array_equal(g.spaces, s.spaces)


def test_the_message_constants_are_the_librarys():
    assert [getattr(JointAngle, j.name) for j in Joint] == [int(j) for j in Joint]
    assert JointAngle.NUM_JOINTS == len(Joint)
    assert (JointAngle.UNKNOWN, JointAngle.IMAGE, JointAngle.CAMERA) == \
        (Space.UNKNOWN, Space.IMAGE, Space.CAMERA)
    assert PersonMsg().person_id == -1     # nobody tracked is not person 0
    assert KinematicsArray.get_fields_and_field_types() == {
        'header': 'std_msgs/Header', 'persons': 'sequence<pose_ros_msgs/PersonKinematics>'}


def test_kinematics_round_trip_keeps_every_value_and_the_header():
    msg = kinematics_to_msg(sample_kinematics(), sample_header())
    assert msg.header.frame_id == 'camera_color_optical_frame'
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (1_700_000_321, 654_321_000)
    first = msg.persons[0]
    assert first.person_id == 7
    assert [j.joint for j in first.joints] == list(range(8))
    assert first.joints[Joint.LEFT_HIP].space == JointAngle.UNKNOWN
    assert math.isnan(first.joints[Joint.LEFT_HIP].angle)
    assert first.joints[Joint.LEFT_SHOULDER].velocity == -40.0
    assert_same(msg_to_kinematics(msg), sample_kinematics())


def test_joints_from_other_publishers_are_placed_by_id_and_unknown_ones_ignored():
    msg = PersonMsg(person_id=3, joints=[
        JointAngle(joint=JointAngle.RIGHT_KNEE, angle=120.0, velocity=5.0,
                   space=JointAngle.CAMERA),
        JointAngle(joint=42, angle=1.0, velocity=1.0, space=JointAngle.IMAGE),
        JointAngle(joint=JointAngle.LEFT_ELBOW, angle=1.0, velocity=1.0, space=9)])
    (got,) = msg_to_kinematics(KinematicsArray(persons=[msg]))
    assert got.track_id == 3
    assert got.angle(Joint.RIGHT_KNEE) == 120.0 and got.space(Joint.RIGHT_KNEE) is Space.CAMERA
    assert got.velocity(Joint.RIGHT_KNEE) == 5.0
    others = [j for j in Joint if j is not Joint.RIGHT_KNEE]
    assert np.isnan(got.angles[others]).all() and (got.spaces[others] == Space.UNKNOWN).all()


def test_pose_positions_round_trip_through_keypoint_position():
    kp = np.tile(np.array([[100.0, 200.0, 0.9]], np.float32), (17, 1))
    positions = np.full((17, 3), np.nan)
    positions[Keypoint.LEFT_ELBOW] = (0.25, -0.5, 2.75)
    positions[Keypoint.RIGHT_KNEE] = (-0.125, 0.75, 3.0)
    with_depth = Pose(kp, 0.8, (1, 2, 3, 4), 5, positions)
    msg = poses_to_msg([with_depth, Pose(kp, 0.7)], sample_header(), 640, 480, 'test')
    elbow = msg.persons[0].keypoints[Keypoint.LEFT_ELBOW]
    assert elbow.has_position and (elbow.position.x, elbow.position.z) == (0.25, 2.75)
    assert not msg.persons[0].keypoints[Keypoint.NOSE].has_position
    assert not any(k.has_position for k in msg.persons[1].keypoints)
    back, plain = msg_to_poses(msg)
    np.testing.assert_array_equal(back.positions, positions)   # NaN where unknown
    assert plain.positions is None                              # no depth, as before


PUBLISHER = """
import time
import rclpy
from msg_samples import sample_header, sample_kinematics
from pose_ros.ros.messages import kinematics_to_msg
from pose_ros_msgs.msg import KinematicsArray
rclpy.init()
node = rclpy.create_node('kinematics_publisher')
pub = node.create_publisher(KinematicsArray, '/test/kinematics', 10)
msg = kinematics_to_msg(sample_kinematics(), sample_header())
end = time.monotonic() + 120
while time.monotonic() < end:
    pub.publish(msg)
    rclpy.spin_once(node, timeout_sec=0.1)
"""


def test_kinematics_cross_a_process_boundary_nan_included(rclpy_context, peer):
    publisher = peer(python_peer_args(PUBLISHER))
    node = rclpy.create_node('kinematics_listener', context=rclpy_context)
    executor = SingleThreadedExecutor(context=rclpy_context)
    executor.add_node(node)
    received = []
    node.create_subscription(KinematicsArray, '/test/kinematics', received.append, 10)
    try:
        if not spin_until(node, executor, lambda: received, timeout=60.0):
            pytest.fail('no KinematicsArray arrived from the publishing process within 60 s; '
                        f'it said: {publisher.stop()}')
        got = received[0]
        assert got.header.frame_id == 'camera_color_optical_frame'
        assert (got.header.stamp.sec, got.header.stamp.nanosec) == \
            (1_700_000_321, 654_321_000)
        assert_same(msg_to_kinematics(got), sample_kinematics())
    finally:
        executor.shutdown()
        node.destroy_node()


@pytest.mark.parametrize('field', ['angle', 'velocity'])
def test_nan_is_a_valid_value_of_the_float_fields(field):
    # Unknown is NaN on the wire: the generated setters must accept it.
    j = JointAngle(**{field: float('nan')})
    assert math.isnan(getattr(j, field))
