"""A PersonArray whose every field has a distinct, checkable value, for the DDS tests."""

from geometry_msgs.msg import Point

from pose_ros_msgs.msg import Keypoint, Person, PersonArray

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
        msg.persons.append(person)
    return msg
