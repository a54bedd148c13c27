"""The estimator's hands given to their persons: one per side, the body's side, none lost."""

import numpy as np

from pose_ros.core.hand import Handedness
from pose_ros.core.keypoints import Pose
from pose_ros.hands import Hand, HandSource
from pose_ros.hands.persons import attach_hands
from pose_ros.pose.families.blazepose import Roi


def found(person: int, side: Handedness, score: float, source=HandSource.ARM) -> Hand:
    kp = np.full((21, 3), score, np.float32)
    kp[:, 0] = 100 * person + 10 * side
    return Hand(kp, score, side, 0.5 + 0.25 * side, Roi((0.0, 0.0), 50.0, 0.0), person,
                source)


def test_each_person_gets_their_hands_left_first_and_strays_are_left_out():
    poses = [Pose(track_id=3), Pose(track_id=4), Pose(track_id=5)]
    hands = [found(1, Handedness.RIGHT, 0.9), found(0, Handedness.LEFT, 0.8),
             found(1, Handedness.LEFT, 0.7), found(-1, Handedness.RIGHT, 0.95, HandSource.PALM),
             found(1, Handedness.RIGHT, 0.6, HandSource.PALM)]
    out = attach_hands(poses, hands)
    assert [p.track_id for p in out] == [3, 4, 5]
    assert [h.side for h in out[0].hands] == [Handedness.LEFT]
    assert [h.side for h in out[1].hands] == [Handedness.LEFT, Handedness.RIGHT]
    assert out[2].hands == () and out[2] is poses[2]
    right = out[1].hand(Handedness.RIGHT)
    # The first claim on a side is kept, with the model's agreement as handedness_score.
    assert right.score == np.float32(0.9) and right.handedness_score == 0.75
    np.testing.assert_array_equal(right.keypoints, hands[0].keypoints)
    assert right.positions is None
    assert poses[1].hands == ()   # the given poses are not changed
