"""RViz skeleton markers without ROS: limbs, joints, colours, the controller, deletes."""

import numpy as np
import pytest

from pose_ros.core.keypoints import NUM_KEYPOINTS, SKELETON, Keypoint
from pose_ros.viz import (
    Body,
    MarkerKey,
    MarkerStyle,
    Shape,
    SkeletonMarkers,
    person_colour,
    person_markers,
)
from pose_ros.viz.markers import NO_GESTURE_TEXT, PALETTE


def body(person_id: int, joints=None, shift: float = 0.0) -> Body:
    """Make a person 2 m away, joint k at (k / 10 + shift, k / 20, 2); only ``joints``."""
    positions = np.array([(k / 10 + shift, k / 20, 2.0) for k in range(NUM_KEYPOINTS)])
    valid = np.zeros(NUM_KEYPOINTS, dtype=bool)
    valid[[int(k) for k in (Keypoint if joints is None else joints)]] = True
    return Body(person_id, positions, valid)


def by_shape(markers, shape):
    return [m for m in markers if m.shape is shape]


def point(k: Keypoint, shift: float = 0.0):
    return (int(k) / 10 + shift, int(k) / 20, 2.0)


def test_lines_join_exactly_the_limbs_whose_two_joints_have_positions():
    arm = [Keypoint.LEFT_SHOULDER, Keypoint.LEFT_ELBOW, Keypoint.LEFT_WRIST, Keypoint.RIGHT_HIP]
    (lines,) = by_shape(person_markers(body(3, arm), 3), Shape.LINES)
    pairs = {frozenset(lines.points[i:i + 2]) for i in range(0, len(lines.points), 2)}
    assert len(lines.points) % 2 == 0
    assert pairs == {frozenset((point(Keypoint.LEFT_SHOULDER), point(Keypoint.LEFT_ELBOW))),
                     frozenset((point(Keypoint.LEFT_ELBOW), point(Keypoint.LEFT_WRIST)))}
    # The hip alone joins nothing: shoulder-hip needs the right shoulder, hip-hip the left hip.


def test_a_whole_body_draws_every_skeleton_limb_once():
    (lines,) = by_shape(person_markers(body(1), 1), Shape.LINES)
    assert len(lines.points) == 2 * len(SKELETON)
    drawn = [frozenset(lines.points[i:i + 2]) for i in range(0, len(lines.points), 2)]
    assert drawn == [frozenset((point(a), point(b))) for a, b in SKELETON]


def test_spheres_only_at_joints_with_a_position():
    joints = [Keypoint.NOSE, Keypoint.RIGHT_KNEE]
    (spheres,) = by_shape(person_markers(body(2, joints), 2), Shape.SPHERES)
    assert spheres.points == (point(Keypoint.NOSE), point(Keypoint.RIGHT_KNEE))


def test_non_finite_positions_are_not_drawn_even_when_flagged():
    b = body(2, [Keypoint.LEFT_HIP, Keypoint.LEFT_KNEE, Keypoint.LEFT_ANKLE])
    positions = b.positions.copy()
    positions[int(Keypoint.LEFT_KNEE)] = np.nan
    b = Body(2, positions, b.valid)
    markers = person_markers(b, 2)
    assert by_shape(markers, Shape.LINES) == [], 'a limb drawn to a NaN knee'
    (spheres,) = by_shape(markers, Shape.SPHERES)
    assert spheres.points == (point(Keypoint.LEFT_HIP), point(Keypoint.LEFT_ANKLE))


def test_a_person_without_3d_positions_gets_no_markers():
    assert person_markers(body(4, []), 4, controller=True, gesture='forward') == []
    update = SkeletonMarkers().update([body(4, [])], controller_id=4, gesture='forward')
    assert update.empty


def test_colours_are_stable_per_id_and_differ_between_neighbours():
    assert person_colour(5) == person_colour(5)
    assert len({person_colour(i) for i in range(len(PALETTE))}) == len(PALETTE)
    first = SkeletonMarkers().update([body(1), body(2)])
    again = SkeletonMarkers().update([body(2, shift=1.0), body(1, shift=0.5)])
    colour = {(m.key.id, m.shape): m.colour for m in first.markers}
    assert all(colour[(m.key.id, m.shape)] == m.colour for m in again.markers)
    assert colour[(1, Shape.LINES)] != colour[(2, Shape.LINES)]
    assert person_colour(-1) not in PALETTE


def test_the_controller_is_thicker_brighter_and_shows_its_gesture_above_the_head():
    style = MarkerStyle()
    update = SkeletonMarkers(style).update([body(1), body(2)], controller_id=2,
                                           gesture='forward')
    markers = {(m.key.id, m.shape): m for m in update.markers}
    for shape in (Shape.LINES, Shape.SPHERES):
        assert markers[(2, shape)].scale > markers[(1, shape)].scale
        assert markers[(2, shape)].colour[3] > markers[(1, shape)].colour[3]
        assert markers[(2, shape)].colour[:3] == person_colour(2)
    texts = by_shape(update.markers, Shape.TEXT)
    assert [(t.key, t.text) for t in texts] == [(MarkerKey('gesture', 2), 'forward')]
    (x, y, z), = texts[0].points
    face = body(2).positions[[int(Keypoint.NOSE), int(Keypoint.LEFT_EYE), int(Keypoint.RIGHT_EYE),
                              int(Keypoint.LEFT_EAR), int(Keypoint.RIGHT_EAR)]].mean(axis=0)
    # Optical frame: y is down, so above the head is less y.
    assert (x, z) == pytest.approx((face[0], face[2]))
    assert y == pytest.approx(face[1] - style.text_offset)


def test_a_controller_without_a_face_gets_the_text_above_its_highest_joint():
    joints = [Keypoint.LEFT_SHOULDER, Keypoint.LEFT_HIP, Keypoint.LEFT_KNEE]
    (text,) = by_shape(person_markers(body(1, joints), 1, controller=True), Shape.TEXT)
    assert text.text == NO_GESTURE_TEXT
    shoulder = point(Keypoint.LEFT_SHOULDER)
    assert text.points[0] == pytest.approx(
        (shoulder[0], shoulder[1] - MarkerStyle().text_offset, shoulder[2]))


def test_an_untracked_controller_is_not_highlighted_and_untracked_ids_never_collide():
    update = SkeletonMarkers().update([body(-1), body(0), body(-1, shift=2.0)],
                                      controller_id=-1, gesture='forward')
    assert by_shape(update.markers, Shape.TEXT) == []
    ids = sorted({m.key.id for m in update.markers})
    assert ids == [-2, -1, 0]


def test_a_person_who_leaves_has_each_of_their_markers_deleted():
    markers = SkeletonMarkers()
    markers.update([body(1), body(2)], controller_id=2, gesture='forward')
    update = markers.update([body(1)], controller_id=None)
    assert not update.delete_all
    assert set(update.deletes) == {MarkerKey('skeleton', 2), MarkerKey('joints', 2),
                                   MarkerKey('gesture', 2)}
    assert {m.key.id for m in update.markers} == {1}
    assert markers.shown == {MarkerKey('skeleton', 1), MarkerKey('joints', 1)}


def test_the_gesture_text_goes_when_control_ends_and_limbs_go_when_their_joints_do():
    markers = SkeletonMarkers()
    markers.update([body(1)], controller_id=1, gesture='forward')
    update = markers.update([body(1, [Keypoint.NOSE])], controller_id=None)
    assert set(update.deletes) == {MarkerKey('gesture', 1), MarkerKey('skeleton', 1)}
    assert [m.key for m in update.markers] == [MarkerKey('joints', 1)]


def test_nobody_left_is_one_delete_all_and_then_nothing_to_send():
    markers = SkeletonMarkers()
    markers.update([body(1), body(2)])
    update = markers.update([])
    assert update.delete_all and update.deletes == () and update.markers == ()
    assert markers.shown == frozenset()
    assert markers.update([]).empty
    assert markers.clear().empty


def test_clear_deletes_everything_shown_once():
    markers = SkeletonMarkers()
    markers.update([body(1)])
    assert markers.clear().delete_all
    assert markers.clear().empty


def test_after_a_pause_without_subscribers_the_next_update_starts_with_a_delete_all():
    markers = SkeletonMarkers()
    markers.update([body(1), body(2)])
    markers.forget()
    markers.forget()
    update = markers.update([body(3)])
    assert update.delete_all and update.deletes == ()
    assert {m.key.id for m in update.markers} == {3}
    assert not markers.update([body(3)]).delete_all


def test_bad_shapes_and_styles_are_refused():
    with pytest.raises(ValueError, match='shape'):
        Body(1, np.zeros((16, 3)), np.ones(17, bool))
    with pytest.raises(ValueError, match='line_width'):
        MarkerStyle(line_width=0.0)
    with pytest.raises(ValueError, match='alpha'):
        MarkerStyle(alpha=1.5)
