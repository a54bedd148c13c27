"""Hands in the RViz markers: their 3D landmarks and bones, in namespaces of their own."""

import numpy as np
import pytest
from std_msgs.msg import Header
from visualization_msgs.msg import Marker

from pose_ros.core.hand import HAND_SKELETON, Handedness, HandLandmark, HandPose
from pose_ros.core.keypoints import NUM_KEYPOINTS, Pose
from pose_ros.ros.markers import poses_to_bodies, update_to_msg
from pose_ros.viz import Body, MarkerKey, Shape, SkeletonMarkers, person_markers


def hand_positions(shift: float) -> np.ndarray:
    """Return landmark i at (shift + i / 100, -i / 200, 1.5): every point distinct."""
    i = np.arange(21)
    return np.stack([shift + i / 100, -i / 200, np.full(21, 1.5)], axis=1)


def with_hands(person_id: int, *hands: np.ndarray, body_known: bool = True) -> Body:
    positions = np.array([(k / 10, k / 20, 2.0) for k in range(NUM_KEYPOINTS)])
    return Body(person_id, positions, np.full(NUM_KEYPOINTS, body_known), hands)


def by_shape(markers, shape):
    return [m for m in markers if m.shape is shape]


def test_both_hands_landmarks_and_bones_are_drawn_finer_than_the_body():
    left, right = hand_positions(0.0), hand_positions(1.0)
    right[HandLandmark.INDEX_TIP] = np.nan       # one landmark without a position
    markers = person_markers(with_hands(2, left, right), 2)
    (points,) = by_shape(markers, Shape.HAND_SPHERES)
    (bones,) = by_shape(markers, Shape.HAND_LINES)
    assert set(points.points) == {tuple(p) for p in left} | {
        tuple(p) for i, p in enumerate(right) if i != HandLandmark.INDEX_TIP}
    assert len(points.points) == 41
    # Every bone of the left hand; the right one without the bone ending at its index tip.
    pairs = [frozenset(bones.points[i:i + 2]) for i in range(0, len(bones.points), 2)]
    expected = [frozenset((tuple(h[a]), tuple(h[b]))) for h in (left, right)
                for a, b in HAND_SKELETON if np.isfinite(h[[a, b]]).all()]
    assert pairs == expected and len(pairs) == 2 * len(HAND_SKELETON) - 1
    (joints,) = by_shape(markers, Shape.SPHERES)
    assert points.scale < joints.scale and points.colour == joints.colour
    assert {m.key for m in (points, bones)} == {MarkerKey('hand_joints', 2),
                                                MarkerKey('hand_bones', 2)}


def test_hands_without_positions_add_nothing_and_hands_alone_still_show():
    assert by_shape(person_markers(with_hands(1, np.full((21, 3), np.nan)), 1),
                    Shape.HAND_SPHERES) == []
    alone = person_markers(with_hands(1, hand_positions(0.0), body_known=False), 1,
                           controller=True)
    assert {m.shape for m in alone} == {Shape.HAND_SPHERES, Shape.HAND_LINES}
    with pytest.raises(ValueError, match=r'Body.hands needs arrays of shape \(21, 3\)'):
        with_hands(1, np.zeros((17, 3)))


def test_a_hand_that_goes_has_its_markers_deleted():
    markers = SkeletonMarkers()
    markers.update([with_hands(4, hand_positions(0.0))])
    update = markers.update([with_hands(4)])
    assert set(update.deletes) == {MarkerKey('hand_joints', 4), MarkerKey('hand_bones', 4)}


def test_poses_hands_become_line_and_sphere_list_markers():
    hand = HandPose(Handedness.RIGHT, np.zeros((21, 3)), 0.9, 0.9, hand_positions(0.5))
    unlifted = HandPose(Handedness.LEFT, np.zeros((21, 3)), 0.9, 0.9)
    (body,) = poses_to_bodies([Pose(track_id=6, hands=(unlifted, hand))])
    assert len(body.hands) == 1 and body.has_positions
    msg = update_to_msg(SkeletonMarkers().update([body]), Header(frame_id='camera'))
    kinds = {m.ns: m for m in msg.markers}
    assert set(kinds) == {'hand_joints', 'hand_bones'}      # the body has no 3D joints
    assert kinds['hand_joints'].type == Marker.SPHERE_LIST
    assert kinds['hand_joints'].scale.x == kinds['hand_joints'].scale.z > 0
    assert kinds['hand_bones'].type == Marker.LINE_LIST
    assert len(kinds['hand_joints'].points) == 21
    assert kinds['hand_joints'].points[3].x == pytest.approx(0.53)
