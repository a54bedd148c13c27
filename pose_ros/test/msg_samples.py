"""Messages whose every field has a distinct, checkable value, for the DDS tests."""

from geometry_msgs.msg import Point
import numpy as np
from std_msgs.msg import Header

from pose_ros.kinematics import PersonKinematics, Space
from pose_ros_msgs.msg import Hand, Keypoint, Person, PersonArray

STAMP = (1_700_000_123, 456_789_012)


def sample_person_array() -> PersonArray:
    msg = PersonArray()
    msg.header.stamp.sec, msg.header.stamp.nanosec = STAMP
    msg.header.frame_id = 'camera_optical_frame'
    msg.image_width = 640
    msg.image_height = 480
    msg.model = 'blazepose_full'
    for p in range(2):
        person = Person(id=7 + p, score=0.5 + 0.25 * p,
                        x_min=10.5 + p, y_min=20.25, x_max=300.0, y_max=470.75)
        for i in range(Keypoint.NUM_KEYPOINTS):
            kp = Keypoint(id=i, x=1.5 * i + p, y=2.25 * i, score=i / 16.0)
            if i == Keypoint.NOSE and p == 1:
                kp.position = Point(x=0.1, y=-0.2, z=1.5)
                kp.has_position = True
            person.keypoints.append(kp)
        if p == 1:  # the second person shows a right hand, one landmark with a position
            hand = Hand(side=Hand.RIGHT, score=0.9375, handedness_score=0.8125)
            for i in range(Hand.NUM_KEYPOINTS):
                hand.keypoints.append(Keypoint(id=i, x=200.5 + i, y=100.25 - i, score=0.9375))
            hand.keypoints[Hand.INDEX_TIP].position = Point(x=0.25, y=-0.5, z=1.25)
            hand.keypoints[Hand.INDEX_TIP].has_position = True
            person.hands.append(hand)
        msg.persons.append(person)
    return msg


def sample_kinematics() -> list[PersonKinematics]:
    """Two persons; every value distinct, some unknown, every space used."""
    first = PersonKinematics(
        7, np.array([12.5, 90.25, 178.0, 33.0, np.nan, 5.5, 170.0, 179.5]),
        np.array([-40.0, np.nan, 0.0, 12.75, np.nan, 1.5, np.nan, -3.25]),
        np.array([2, 2, 1, 1, 0, 2, 1, 2], np.uint8))
    untracked = PersonKinematics(-1, np.full(8, 45.0), np.full(8, np.nan),
                                 np.full(8, Space.IMAGE, np.uint8))
    return [first, untracked]


def sample_header() -> Header:
    h = Header(frame_id='camera_color_optical_frame')
    h.stamp.sec, h.stamp.nanosec = 1_700_000_321, 654_321_000
    return h
