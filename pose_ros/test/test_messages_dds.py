"""The interfaces are real: a PersonArray crosses a process boundary over DDS intact."""

from conftest import python_peer_args, spin_until
from msg_samples import sample_person_array
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor

from pose_ros_msgs.msg import Gesture, Hand, Keypoint, Person, PersonArray

PUBLISHER = """
import time
import rclpy
from msg_samples import sample_person_array
from pose_ros_msgs.msg import PersonArray
rclpy.init()
node = rclpy.create_node('person_array_publisher')
pub = node.create_publisher(PersonArray, '/test/persons', 10)
msg = sample_person_array()
end = time.monotonic() + 120
while time.monotonic() < end:
    pub.publish(msg)
    rclpy.spin_once(node, timeout_sec=0.1)
"""


def test_person_array_arrives_intact_from_another_process(rclpy_context, peer):
    peer(python_peer_args(PUBLISHER))
    node = rclpy.create_node('person_array_listener', context=rclpy_context)
    executor = SingleThreadedExecutor(context=rclpy_context)
    executor.add_node(node)
    received = []
    node.create_subscription(PersonArray, '/test/persons', received.append, 10)
    assert spin_until(node, executor, lambda: received, timeout=60.0), \
        'no PersonArray arrived from the publishing process within 60 s'
    got, sent = received[0], sample_person_array()

    assert (got.header.stamp.sec, got.header.stamp.nanosec) == \
        (sent.header.stamp.sec, sent.header.stamp.nanosec)
    assert got.header.frame_id == 'camera_optical_frame'
    assert (got.image_width, got.image_height, got.model) == (640, 480, 'blazepose_full')
    assert len(got.persons) == 2
    for g, s in zip(got.persons, sent.persons):
        assert (g.id, g.score, g.x_min, g.y_min, g.x_max, g.y_max) == \
            (s.id, s.score, s.x_min, s.y_min, s.x_max, s.y_max)
        assert len(g.keypoints) == Keypoint.NUM_KEYPOINTS == 17
        for i, (gk, sk) in enumerate(zip(g.keypoints, s.keypoints)):
            assert gk.id == i
            assert (gk.x, gk.y, gk.score, gk.has_position) == \
                (sk.x, sk.y, sk.score, sk.has_position)
            assert (gk.position.x, gk.position.y, gk.position.z) == \
                (sk.position.x, sk.position.y, sk.position.z)
        assert len(g.hands) == len(s.hands)
        for gh, sh in zip(g.hands, s.hands):
            assert (gh.side, gh.score, gh.handedness_score) == \
                (sh.side, sh.score, sh.handedness_score)
            assert [(k.id, k.x, k.y, k.score, k.has_position, k.position.z)
                    for k in gh.keypoints] == \
                [(k.id, k.x, k.y, k.score, k.has_position, k.position.z) for k in sh.keypoints]
    assert got.persons[1].keypoints[0].has_position
    assert got.persons[0].hands == [] and got.persons[1].hands[0].side == Hand.RIGHT
    assert got.persons[1].hands[0].keypoints[Hand.INDEX_TIP].has_position
    assert got.persons[1].keypoints[0].position.z == pytest.approx(1.5)
    executor.shutdown()
    node.destroy_node()


def test_message_defaults_mean_unknown_not_zero():
    # A person or gesture nobody tracked must not claim to be person 0.
    assert Person().id == -1
    assert Gesture().person_id == -1
    assert Keypoint().has_position is False
    assert (Gesture.STARTED, Gesture.HELD, Gesture.ENDED) == (0, 1, 2)
