"""Hand features on hands of known shape: joint angles, directions for the person, unknowns."""

import math

from hand_shapes import (
    AWAY,
    DOWN,
    PERSON_LEFT,
    PERSON_RIGHT,
    SHAPES,
    TO_CAMERA,
    UP,
    HandView,
    Shape,
    hand_local,
    person,
)
import numpy as np
import pytest

from pose_ros.core.hand import Handedness, HandLandmark, HandPose
from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.gestures.features import (
    MIN_POINTING_LENGTH,
    FeatureError,
    compute_features,
    parse_feature,
)
from pose_ros.gestures.hand_shape import KNUCKLE_WIDTH
from pose_ros.gestures.language import parse_gestures

LEFT, RIGHT = Handedness.LEFT, Handedness.RIGHT
NAME = {LEFT: 'left_hand', RIGHT: 'right_hand'}
FINGERS = ('index', 'middle', 'ring', 'pinky')
# The hand's side toward the person's own midline / away from it.
INWARD = {RIGHT: PERSON_LEFT, LEFT: PERSON_RIGHT}
OUTWARD = {RIGHT: PERSON_RIGHT, LEFT: PERSON_LEFT}


def _features(*views, **kw):
    return compute_features(person(*views, **kw), 0.3)


def _views(side):
    """Fingers up with the palm toward, away from and across the camera."""
    return [(UP, TO_CAMERA), (UP, AWAY), (UP, INWARD[side]), (UP, OUTWARD[side])]


# -- curl -----------------------------------------------------------------------------------

@pytest.mark.parametrize('side', list(Handedness))
@pytest.mark.parametrize('name', ['open_palm', 'fist', 'pointing'])
def test_curl_is_the_mean_joint_bend_when_the_fingers_bend_across_the_image(side, name):
    # Palm facing sideways: the fingers bend in a plane facing the camera, so the image
    # shows their true angles (up to perspective).
    shape = SHAPES[name]
    fs = _features(HandView(side, shape, UP, INWARD[side]))
    for finger in FINGERS:
        assert fs[f'curl({NAME[side]}, {finger})'] == pytest.approx(shape.curl(finger), abs=2.5)


@pytest.mark.parametrize('side', list(Handedness))
@pytest.mark.parametrize('roll', [0.0, 35.0, -60.0])
def test_index_extended_others_curled_reads_so_from_every_side(side, roll):
    for fingers, palm in _views(side):
        fs = _features(HandView(side, SHAPES['pointing'], fingers, palm), roll=roll)
        assert fs[f'curl({NAME[side]}, index)'] < 5.0, (fingers, palm)
        for finger in ('middle', 'ring', 'pinky'):
            # Foreshortened when the fingers bend toward or away from the camera (80 true).
            assert 55.0 < fs[f'curl({NAME[side]}, {finger})'] < 90.0, (finger, palm)
        fist = _features(HandView(side, SHAPES['fist'], fingers, palm), roll=roll)
        assert all(fist[f'curl({NAME[side]}, {f})'] > 55.0 for f in FINGERS)
        palm_open = _features(HandView(side, SHAPES['open_palm'], fingers, palm), roll=roll)
        assert all(palm_open[f'curl({NAME[side]}, {f})'] < 1.0 for f in FINGERS + ('thumb',))


def test_the_thumb_is_measured_at_its_own_mcp_and_ip():
    # Bent only at the thumb's MCP and IP (60 and 40): the mean is 50 when the thumb bends
    # across the image; the fingers are untouched.
    shape = Shape(thumb=(60.0, 40.0), thumb_spread=45.0, thumb_across=90.0)
    fs = _features(HandView(RIGHT, shape, UP, TO_CAMERA))
    assert fs['curl(right_hand, thumb)'] == pytest.approx(50.0, abs=2.0)
    assert fs['curl(right_hand, index)'] == pytest.approx(0.0, abs=1e-3)
    straight = _features(HandView(RIGHT, SHAPES['thumbs_up'], PERSON_LEFT, AWAY))
    assert straight['curl(right_hand, thumb)'] < 5.0


# -- where the thumb and the index point -----------------------------------------------------

def _thumbs_views(side):
    """Return pairs of views: a thumb up, and the same hand turned over (thumb down).

    Held across the chest with the back of the hand to the camera, and knuckles-on with the
    palm toward the person's midline.
    """
    return [((INWARD[side], AWAY), (OUTWARD[side], AWAY)),
            ((TO_CAMERA, INWARD[side]), (TO_CAMERA, OUTWARD[side]))]


@pytest.mark.parametrize('side', list(Handedness))
def test_thumbs_up_points_up_for_the_person_whatever_the_camera_roll(side):
    thumb = f'pointing({NAME[side]}, thumb)'
    for (fingers, palm), (down_fingers, down_palm) in _thumbs_views(side):
        ref = _features(HandView(side, SHAPES['thumbs_up'], fingers, palm))
        assert abs(ref[thumb]) < 25.0
        for roll in (30.0, -45.0, 90.0):
            pose = person(HandView(side, SHAPES['thumbs_up'], fingers, palm), roll=roll)
            kp = pose.hand(side).keypoints
            tip = kp[HandLandmark.THUMB_TIP, :2] - kp[HandLandmark.THUMB_MCP, :2]
            image_angle = math.degrees(math.atan2(tip[0], -tip[1]))  # from image up
            assert abs(image_angle - ref[thumb]) > 20.0  # the image sees it tilted ...
            assert compute_features(pose, 0.3)[thumb] == pytest.approx(ref[thumb], abs=1e-3)
        # ... and the hand turned over is a thumbs down.
        down = _features(HandView(side, SHAPES['thumbs_up'], down_fingers, down_palm))
        assert abs(down[thumb]) > 155.0


@pytest.mark.parametrize('side', list(Handedness))
def test_pointing_is_the_index_direction_in_the_torso_frame(side):
    index = f'pointing({NAME[side]}, index)'
    out, to_left = OUTWARD[side], 1.0 if side is LEFT else -1.0
    # Index out to the person's own side, palm down: +-90 (the knuckle spread tilts it).
    fs = _features(HandView(side, SHAPES['pointing'], out, DOWN))
    assert fs[index] == pytest.approx(90.0 * to_left, abs=20.0)
    assert np.sign(fs[index]) == to_left
    assert abs(_features(HandView(side, SHAPES['pointing'], UP, TO_CAMERA))[index]) < 20.0
    # At the camera the finger has no direction in the image: unknown, not a guess.
    at_camera = _features(HandView(side, SHAPES['pointing'], TO_CAMERA, DOWN))
    assert at_camera[index] is None
    assert at_camera[f'curl({NAME[side]}, index)'] is not None


def test_pointing_needs_the_torso_frame_and_a_visible_finger():
    pose = person(HandView(RIGHT, SHAPES['pointing'], PERSON_RIGHT, DOWN))
    pose.keypoints[[int(Keypoint.LEFT_SHOULDER), int(Keypoint.RIGHT_SHOULDER)], 2] = 0.0
    fs = compute_features(pose, 0.3)
    assert fs['pointing(right_hand, index)'] is None
    assert fs['curl(right_hand, index)'] == pytest.approx(0.0, abs=1e-3)
    assert 0.2 < MIN_POINTING_LENGTH < 0.5


# -- palm ------------------------------------------------------------------------------------

@pytest.mark.parametrize('side', list(Handedness))
@pytest.mark.parametrize('depth', [False, True])
@pytest.mark.parametrize('name', ['open_palm', 'fist', 'pointing'])
def test_palm_toward_or_away_from_the_camera_for_either_hand(side, depth, name):
    palm = f'palm({NAME[side]})'
    for roll in (0.0, 40.0):
        toward = _features(HandView(side, SHAPES[name], UP, TO_CAMERA), roll=roll,
                           positions=depth)
        away = _features(HandView(side, SHAPES[name], UP, AWAY), roll=roll, positions=depth)
        edge = _features(HandView(side, SHAPES[name], UP, INWARD[side]), roll=roll,
                         positions=depth)
        assert toward[palm] < 25.0 and away[palm] > 155.0
        assert 60.0 < edge[palm] < 120.0
    # The fingers pointing down or sideways change nothing: only which side faces us does.
    for fingers in (DOWN, OUTWARD[side]):
        assert _features(HandView(side, SHAPES[name], fingers, TO_CAMERA),
                         positions=depth)[palm] < 25.0


def test_which_hand_it_is_decides_the_sign():
    # The same 21 points called the other hand: the palm is then its back.
    pose = person(HandView(RIGHT, SHAPES['open_palm'], UP, TO_CAMERA), positions=True)
    hand = pose.hand(RIGHT)
    for positions in (None, hand.positions):
        right = Pose(pose.keypoints, hands=[HandPose(RIGHT, hand.keypoints, 0.9, 0.9, positions)])
        left = Pose(pose.keypoints, hands=[HandPose(LEFT, hand.keypoints, 0.9, 0.9, positions)])
        a = compute_features(right, 0.3)['palm(right_hand)']
        b = compute_features(left, 0.3)['palm(left_hand)']
        assert a < 25.0 and b == pytest.approx(180.0 - a, abs=1e-3)


@pytest.mark.parametrize('side', list(Handedness))
@pytest.mark.parametrize('twist', [-60.0, -30.0, 0.0, 30.0, 60.0, 90.0, 120.0, 150.0, 180.0])
def test_palm_is_measured_in_3d_when_the_hand_has_positions_and_estimated_without(side, twist):
    # The hand turned about its long axis by ``twist`` from palm-to-camera: the 3D value is
    # the angle to the line of sight (the hand is 13 degrees off the camera's axis); the
    # image estimate follows it, less closely near 0 and 180 where the arc cosine is steep.
    t = math.radians(twist)
    inward = 1.0 if side is RIGHT else -1.0
    palm_dir = (inward * math.sin(t), 0.0, -math.cos(t))
    pose = person(HandView(side, SHAPES['open_palm'], UP, palm_dir), positions=True)
    hand = pose.hand(side)
    palm = f'palm({NAME[side]})'
    centre = hand.positions[[HandLandmark.WRIST, HandLandmark.INDEX_MCP,
                             HandLandmark.PINKY_MCP]].mean(axis=0)
    expected = math.degrees(math.acos(np.dot(palm_dir, -centre / np.linalg.norm(centre))))
    in_3d = compute_features(pose, 0.3)[palm]
    assert in_3d == pytest.approx(expected, abs=0.5)
    image_only = compute_features(Pose(pose.keypoints, hands=[HandPose(
        side, hand.keypoints, 0.9, 0.9)]), 0.3)[palm]
    assert image_only == pytest.approx(in_3d, abs=5.0 if 40 < in_3d < 140 else 15.0)


def test_positions_win_over_the_image_and_a_missing_one_falls_back_to_it():
    pose = person(HandView(RIGHT, SHAPES['open_palm'], UP, TO_CAMERA))
    image = pose.hand(RIGHT).keypoints
    away = person(HandView(RIGHT, SHAPES['open_palm'], UP, AWAY), positions=True)
    mixed = HandPose(RIGHT, image, 0.9, 0.9, away.hand(RIGHT).positions)
    assert compute_features(Pose(pose.keypoints, hands=[mixed]), 0.3)['palm(right_hand)'] > 150
    gap = away.hand(RIGHT).positions.copy()
    gap[HandLandmark.PINKY_MCP] = np.nan
    fallback = HandPose(RIGHT, image, 0.9, 0.9, gap)
    assert compute_features(Pose(pose.keypoints, hands=[fallback]), 0.3)['palm(right_hand)'] \
        == pytest.approx(compute_features(pose, 0.3)['palm(right_hand)'])
    assert compute_features(pose, 0.3)['palm(right_hand)'] < 25.0


# -- pinch -----------------------------------------------------------------------------------

@pytest.mark.parametrize('side', list(Handedness))
def test_pinch_is_thumb_tip_to_index_tip_in_hand_lengths(side):
    pinch = f'pinch({NAME[side]})'
    # A flat hand square to the camera is an exact scaled copy of its own frame.
    local = hand_local(SHAPES['open_palm'], side)
    size = max(1.0, np.linalg.norm(local[HandLandmark.INDEX_MCP] - local[HandLandmark.PINKY_MCP])
               / KNUCKLE_WIDTH)
    expected = np.linalg.norm(local[HandLandmark.THUMB_TIP] - local[HandLandmark.INDEX_TIP]) / size
    for roll in (0.0, 70.0):
        fs = _features(HandView(side, SHAPES['open_palm'], UP, TO_CAMERA), roll=roll)
        assert fs[pinch] == pytest.approx(expected, rel=0.02)
    assert expected > 0.8
    for fingers, palm in _views(side):
        assert _features(HandView(side, SHAPES['pinch'], fingers, palm))[pinch] < 0.1


def test_hand_length_survives_fingers_pointing_at_the_camera():
    # Knuckles toward the camera: the palm's length in the image nearly vanishes, its width
    # does not, so a thumb held out still measures about a hand length from the index.
    side_on = _features(HandView(RIGHT, SHAPES['thumbs_up'], PERSON_LEFT, AWAY))
    knuckles_on = _features(HandView(RIGHT, SHAPES['thumbs_up'], TO_CAMERA, PERSON_LEFT))
    assert side_on['pinch(right_hand)'] > 0.6 and knuckles_on['pinch(right_hand)'] > 0.6


# -- unknown, never a guess ------------------------------------------------------------------

ALL_HAND = [f'curl({{h}}, {f})' for f in FINGERS + ('thumb',)] + [
    'pointing({h}, index)', 'pointing({h}, thumb)', 'palm({h})', 'pinch({h})']


def test_hand_features_are_unknown_without_the_hand_or_below_the_minimum_score():
    only_right = _features(HandView(RIGHT, SHAPES['open_palm']))
    no_hands = compute_features(person(), 0.3)
    for template in ALL_HAND:
        assert only_right[template.format(h='left_hand')] is None
        assert only_right[template.format(h='right_hand')] is not None
        assert no_hands[template.format(h='right_hand')] is None
    low = person(HandView(RIGHT, SHAPES['open_palm'], score=0.2))
    for template in ALL_HAND:
        assert compute_features(low, 0.3)[template.format(h='right_hand')] is None
        assert compute_features(low, 0.1)[template.format(h='right_hand')] is not None
    # The body's features do not depend on the hands.
    assert no_hands['up(mid_shoulder, right_wrist)'] == only_right['up(mid_shoulder, right_wrist)']


def test_one_missing_landmark_makes_only_the_features_that_need_it_unknown():
    pose = person(HandView(RIGHT, SHAPES['open_palm']))
    pose.hand(RIGHT).keypoints[HandLandmark.PINKY_TIP] = (np.nan, np.nan, 0.9)
    fs = compute_features(pose, 0.3)
    assert fs['curl(right_hand, pinky)'] is None
    assert fs['curl(right_hand, ring)'] == pytest.approx(0.0, abs=1e-3)
    assert fs['palm(right_hand)'] is not None and fs['pinch(right_hand)'] is not None


# -- the feature strings ---------------------------------------------------------------------

def test_hand_feature_names_parse_normalised_with_units_and_landmarks():
    spec = parse_feature(' Curl( Right_Hand ,INDEX ) ')
    assert spec.name == 'curl(right_hand, index)' and spec.unit == 'degrees'
    assert spec.side is RIGHT and spec.keypoints == frozenset()
    assert spec.hand_landmarks == (HandLandmark.WRIST, HandLandmark.INDEX_MCP,
                                   HandLandmark.INDEX_PIP, HandLandmark.INDEX_DIP,
                                   HandLandmark.INDEX_TIP)
    thumb = parse_feature('curl(left_hand, thumb)').hand_landmarks
    assert thumb == (HandLandmark.THUMB_CMC, HandLandmark.THUMB_MCP, HandLandmark.THUMB_IP,
                     HandLandmark.THUMB_TIP)
    assert parse_feature('pinch(left_hand)').unit == 'hand'
    assert parse_feature('palm(left_hand)').unit == 'degrees'
    assert parse_feature('pointing(left_hand, thumb)').hand_points >= {
        (LEFT, HandLandmark.THUMB_MCP), (LEFT, HandLandmark.THUMB_TIP)}


@pytest.mark.parametrize('text, fragment', [
    ('curl(lefthand, index)', 'unknown hand .*valid hands: left_hand, right_hand'),
    ('curl(left_hand, pointer)', 'valid fingers: thumb, index, middle, ring, pinky'),
    ('curl(left_hand)', "'curl' takes a hand and a finger, e.g. curl.left_hand, index."),
    ('pinch(left_hand, index)', "'pinch' takes a hand, e.g. pinch.left_hand.; got 2"),
    ('palm(index)', 'unknown hand'),
    ('up(nose, left_hand)', 'valid keypoints: nose.*measured by the hand features'),
    ('angle(left_shoulder, left_elbow, index)', 'hand features .curl, pointing, palm, pinch'),
])
def test_bad_hand_feature_strings_say_what_is_valid(text, fragment):
    with pytest.raises(FeatureError, match=fragment):
        parse_feature(text)


# -- in the language -------------------------------------------------------------------------

HAND_FILE = """\
engage: ok
disengage: other
defaults:
  hysteresis: {degrees: 10, hand: 0.1}
gestures:
  ok:
    hold: 0.0
    when:
      all:
        - {feature: 'pinch(right_hand)', below: 0.2}
        - not: {feature: 'curl(right_hand, middle)', above: 40}
        - {feature: 'up(mid_shoulder, right_wrist)', above: -0.6}
  other:
    when: {feature: 'up(nose, left_wrist)', above: 5}
"""


def _pinched(gap: float, middle: float = 0.0) -> Pose:
    shape = Shape((30.0, 45.0, 25.0), (middle,) * 3, thumb_spread=40.0, pinch_gap=0.0)
    pose = person(HandView(RIGHT, shape, UP, PERSON_LEFT))
    # Move the thumb tip ``gap`` hand lengths (image) from the index tip, across the image.
    kp = pose.hand(RIGHT).keypoints
    length = np.linalg.norm(kp[HandLandmark.MIDDLE_MCP, :2] - kp[HandLandmark.WRIST, :2])
    kp[HandLandmark.THUMB_TIP, :2] = kp[HandLandmark.INDEX_TIP, :2] + (gap * length, 0.0)
    return pose


def test_hand_conditions_combine_with_body_ones_and_relax_by_their_units():
    gesture = parse_gestures(HAND_FILE).get('ok')
    pinch, not_curled, raised = gesture.condition.children
    assert (pinch.margin, not_curled.child.margin, raised.margin) == (0.1, 10, 0.0)
    assert compute_features(_pinched(0.25), 0.3)['pinch(right_hand)'] == pytest.approx(0.25)
    assert gesture.evaluate(compute_features(_pinched(0.1), 0.3), latched=False) is True
    # 0.25 hand lengths: not a pinch to start, but a held one holds until 0.3.
    assert gesture.evaluate(compute_features(_pinched(0.25), 0.3), latched=False) is False
    assert gesture.evaluate(compute_features(_pinched(0.25), 0.3), latched=True) is True
    assert gesture.evaluate(compute_features(_pinched(0.35), 0.3), latched=True) is False
    # not: {above: 40} is "at most 40", relaxed as a whole: held, it holds up to 50.
    assert compute_features(_pinched(0.1, 45.0), 0.3)['curl(right_hand, middle)'] == \
        pytest.approx(45.0, abs=2.0)
    assert gesture.evaluate(compute_features(_pinched(0.1, 45.0), 0.3), latched=False) is False
    assert gesture.evaluate(compute_features(_pinched(0.1, 45.0), 0.3), latched=True) is True
    assert gesture.evaluate(compute_features(_pinched(0.1, 55.0), 0.3), latched=True) is False
    # No hand: unknown, neither true nor false.
    assert gesture.evaluate(compute_features(person(), 0.3), latched=False) is None
    assert gesture.hand_points >= {(RIGHT, HandLandmark.THUMB_TIP)}


def test_confidence_counts_the_hand_landmarks_a_gesture_reads():
    from pose_ros.gestures.matcher import GestureMatcher

    text = HAND_FILE.replace("        - {feature: 'up(mid_shoulder, right_wrist)', above: -0.6}\n",
                             '')
    matcher = GestureMatcher(parse_gestures(text).get('ok'))
    pose = _pinched(0.1)
    pose.hand(RIGHT).keypoints[:, 2] = 0.6
    event = matcher.update(compute_features(pose, 0.3), 0.0)
    assert matcher.gesture.keypoints == frozenset()
    assert event.confidence == pytest.approx(0.6)  # the hand's, not the pose's 0.9
