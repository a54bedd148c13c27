"""Hands in the messages: HandPose to Hand and back, and a Person without hands as before."""

import numpy as np
import pytest

from pose_ros.core.hand import (
    HAND_SKELETON,
    NUM_HAND_KEYPOINTS,
    Handedness,
    HandLandmark,
    HandPose,
)
from pose_ros.core.keypoints import Pose
from pose_ros.ros.messages import msg_to_hand, person_to_pose, pose_to_person
from pose_ros_msgs.msg import Hand, Keypoint, Person


def sample_hand(side: Handedness, with_positions: bool) -> HandPose:
    """Every value distinct and exact in float32; some landmarks without a position."""
    i = np.arange(NUM_HAND_KEYPOINTS, dtype=np.float32)
    kp = np.stack([100.5 + 2.0 * i + 50 * side, 200.25 - 1.5 * i, np.full(21, 0.875)], axis=1)
    positions = None
    if with_positions:
        positions = np.stack([0.25 + 0.0625 * i, -0.5 + 0.03125 * i, 1.5 + 0.0078125 * i],
                             axis=1).astype(np.float64)
        positions[[3, 17]] = np.nan
    return HandPose(side, kp, 0.9375, 0.75 - 0.125 * side, positions)


def sample_pose(hands) -> Pose:
    kp = np.stack([np.arange(17) * 3.0, np.arange(17) * 2.0, np.full(17, 0.5)], axis=1)
    return Pose(kp, 0.8, (1.0, 2.0, 300.0, 400.0), 4, hands=hands)


def test_the_message_constants_are_the_librarys():
    assert Hand.NUM_KEYPOINTS == NUM_HAND_KEYPOINTS == 21
    for lm in HandLandmark:
        assert getattr(Hand, lm.name) == int(lm)
    assert (Hand.LEFT, Hand.RIGHT) == (Handedness.LEFT, Handedness.RIGHT)
    # Appended: every field a Person had before keeps its place and type.
    assert list(Person.get_fields_and_field_types()) == [
        'id', 'score', 'x_min', 'y_min', 'x_max', 'y_max', 'keypoints', 'hands']
    assert Person().hands == []


def test_hand_skeleton_joins_each_finger_to_the_palm():
    # 21 landmarks, one tree: 20 finger bones plus the palm's outline (one cycle).
    assert len(HAND_SKELETON) == len(set(HAND_SKELETON)) == 21
    touched = {int(p) for bone in HAND_SKELETON for p in bone}
    assert touched == set(range(NUM_HAND_KEYPOINTS))
    for tip in (HandLandmark.THUMB_TIP, HandLandmark.INDEX_TIP, HandLandmark.PINKY_TIP):
        assert sum(tip in bone for bone in HAND_SKELETON) == 1


@pytest.mark.parametrize('with_positions', [False, True])
def test_hands_round_trip_through_a_person(with_positions):
    # Given right first: the message lists them left first.
    sent = (sample_hand(Handedness.RIGHT, with_positions),
            sample_hand(Handedness.LEFT, with_positions))
    person = pose_to_person(sample_pose(sent))
    assert [h.side for h in person.hands] == [Hand.LEFT, Hand.RIGHT]
    for msg in person.hands:
        assert [k.id for k in msg.keypoints] == list(range(21))
        assert sum(k.has_position for k in msg.keypoints) == (19 if with_positions else 0)
    got = person_to_pose(person)
    assert len(got.hands) == 2
    for s in sent:
        g = got.hand(s.side)
        assert (g.score, g.handedness_score) == (s.score, s.handedness_score)
        np.testing.assert_array_equal(g.keypoints, s.keypoints)
        if with_positions:
            np.testing.assert_array_equal(g.positions, s.positions)  # NaN where none
        else:
            assert g.positions is None


def test_a_person_without_hands_converts_as_before():
    pose = sample_pose(())
    person = pose_to_person(pose)
    assert person.hands == []
    assert [k.id for k in person.keypoints] == list(range(17))
    back = person_to_pose(person)
    assert back.hands == () and back.positions is None
    np.testing.assert_array_equal(back.keypoints, pose.keypoints)
    assert (back.track_id, back.score, back.box) == (4, pytest.approx(0.8), pose.box)


def test_hands_from_other_publishers_are_placed_by_id_and_doubtful_ones_dropped():
    shuffled = Hand(side=Hand.RIGHT, score=0.5, handedness_score=0.25, keypoints=[
        Keypoint(id=Hand.INDEX_TIP, x=10.0, y=20.0, score=0.5),
        Keypoint(id=Hand.WRIST, x=1.0, y=2.0, score=0.5),
        Keypoint(id=99, x=5.0, y=5.0, score=1.0)])
    hand = msg_to_hand(shuffled)
    assert hand.side is Handedness.RIGHT
    assert tuple(hand.keypoints[HandLandmark.INDEX_TIP]) == (10.0, 20.0, 0.5)
    assert tuple(hand.keypoints[HandLandmark.WRIST]) == (1.0, 2.0, 0.5)
    assert hand.keypoints[HandLandmark.THUMB_TIP, 2] == 0.0  # missing: score 0
    assert msg_to_hand(Hand(side=7)) is None
    # A second right hand, and one of a side we do not know, are not trusted.
    person = Person(hands=[shuffled, Hand(side=Hand.RIGHT, score=0.9), Hand(side=5)])
    hands = person_to_pose(person).hands
    assert len(hands) == 1 and hands[0].score == 0.5
