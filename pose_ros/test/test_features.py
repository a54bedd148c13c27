"""Features must mean the same for any person, distance and camera tilt, and never guess."""

import math

import numpy as np
import pytest
from synthetic_people import ADULT, BODIES, GESTURE_STANCES, Stance, View, render

from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.gestures.features import POINT_NAMES, FeatureError, compute_features, parse_feature

K = Keypoint


def _upright(**points) -> Pose:
    """Make a person facing the camera: torso 100 px, shoulders at y=100, hips at y=200."""
    kp = np.zeros((17, 3), np.float32)
    base = {
        K.LEFT_SHOULDER: (340, 100), K.RIGHT_SHOULDER: (260, 100),
        K.LEFT_HIP: (330, 200), K.RIGHT_HIP: (270, 200), K.NOSE: (300, 60),
    }
    base.update({K[name.upper()]: xy for name, xy in points.items()})
    for k, (x, y) in base.items():
        kp[int(k)] = (x, y, 0.9)
    return Pose(kp, 0.9, (0, 0, 640, 480))


def test_sign_conventions_for_a_person_facing_the_camera():
    # Person's left arm out to THEIR left = image right; right arm straight up.
    fs = compute_features(_upright(left_wrist=(440, 100), right_wrist=(260, 0),
                                   left_elbow=(390, 100), right_elbow=(260, 50)), 0.3)
    assert fs['direction(left_shoulder, left_wrist)'] == pytest.approx(90.0)
    assert fs['elevation(left_shoulder, left_wrist)'] == pytest.approx(90.0)
    assert fs['direction(right_shoulder, right_wrist)'] == pytest.approx(0.0, abs=1e-6)
    assert fs['elevation(right_shoulder, right_wrist)'] == pytest.approx(180.0)
    # Right shoulder -> left shoulder points to the person's left.
    assert fs['direction(right_shoulder, left_shoulder)'] == pytest.approx(90.0)
    assert fs['left(right_shoulder, left_shoulder)'] == pytest.approx(0.8)
    # Offsets in body lengths (torso = 100 px): the right wrist is 1 torso above its shoulder.
    assert fs['up(right_shoulder, right_wrist)'] == pytest.approx(1.0)
    assert fs['up(nose, mid_hip)'] == pytest.approx(-1.4)
    assert fs['distance(left_shoulder, left_wrist)'] == pytest.approx(1.0)
    assert fs['angle(left_shoulder, left_elbow, left_wrist)'] == pytest.approx(180.0)


def test_hanging_arm_has_zero_elevation_and_direction_near_180():
    fs = compute_features(_upright(right_wrist=(262, 200), left_wrist=(338, 200)), 0.3)
    assert fs['elevation(right_shoulder, right_wrist)'] < 2.0
    assert abs(fs['direction(left_shoulder, left_wrist)']) > 178.0


@pytest.mark.parametrize('gesture', sorted(GESTURE_STANCES))
def test_features_do_not_change_with_distance_roll_or_position(gesture):
    stance = GESTURE_STANCES[gesture]
    ref = compute_features(render(ADULT, stance, View(), None), 0.3)
    names = ['angle(left_shoulder, left_elbow, left_wrist)',
             'elevation(right_shoulder, right_wrist)', 'direction(left_elbow, left_wrist)',
             'up(nose, left_wrist)',
             'left(right_wrist, left_wrist)', 'distance(mid_shoulder, right_wrist)']
    for view in (View(0.3, 25, 0, 100, 400), View(2.0, -25, 0, 500, 50), View(1.0, 90, 0)):
        fs = compute_features(render(ADULT, stance, view, None), 0.3)
        for name in names:
            a, b = ref[name], fs[name]
            if 'direction' in name:  # compare angles modulo 360
                b = a + ((b - a + 180) % 360 - 180)
            assert b == pytest.approx(a, abs=1e-3), (name, view)


def test_joint_angles_do_not_depend_on_body_proportions():
    stance = GESTURE_STANCES['forward']
    values = [compute_features(render(body, stance, View(), None), 0.3)
              for body in BODIES.values()]
    for name in ('angle(left_shoulder, left_elbow, left_wrist)',
                 'elevation(left_shoulder, left_elbow)', 'elevation(right_elbow, right_wrist)'):
        got = [v[name] for v in values]
        assert max(got) - min(got) < 0.5, (name, got)


def test_body_tilt_is_measured_against_the_torso_not_the_image():
    # The whole upper body leans 30 degrees; an arm raised 90 degrees from the torso
    # stays at 90 although it is 60 or 120 degrees from image vertical.
    stance = Stance(left_arm=GESTURE_STANCES['turn_right'].left_arm, lean=30)
    fs = compute_features(render(ADULT, stance, View(), None), 0.3)
    assert fs['elevation(left_shoulder, left_wrist)'] == pytest.approx(91.0, abs=1.5)
    pose = render(ADULT, stance, View(), None)
    sx, sy, _ = pose.point(K.LEFT_SHOULDER)
    wx, wy, _ = pose.point(K.LEFT_WRIST)
    image_angle = math.degrees(math.atan2(sx - wx, wy - sy))  # from image-down, unsigned-ish
    assert abs(abs(image_angle) - 90) > 20


def test_low_score_keypoint_makes_features_unknown_not_zero():
    pose = _upright(left_wrist=(440, 100), left_elbow=(390, 100))
    pose.keypoints[int(K.LEFT_WRIST), 2] = 0.1
    fs = compute_features(pose, 0.3)
    for name in ('angle(left_shoulder, left_elbow, left_wrist)', 'up(nose, left_wrist)',
                 'elevation(left_shoulder, left_wrist)', 'distance(left_wrist, nose)'):
        assert fs[name] is None
    assert fs['elevation(left_shoulder, left_elbow)'] == pytest.approx(90.0)
    # The same pose with a lower minimum score uses the keypoint.
    assert compute_features(pose, 0.05)['elevation(left_shoulder, left_wrist)'] == \
        pytest.approx(90.0)


def test_without_shoulders_the_frame_is_unknown_but_joint_angles_are_not():
    pose = _upright(left_wrist=(440, 100), left_elbow=(390, 100))
    pose.keypoints[int(K.RIGHT_SHOULDER), 2] = 0.0
    fs = compute_features(pose, 0.3)
    assert not fs.frame_known
    assert fs['up(left_shoulder, left_wrist)'] is None
    assert fs['elevation(left_shoulder, left_wrist)'] is None
    assert fs['angle(left_shoulder, left_elbow, left_wrist)'] == pytest.approx(180.0)


def test_hidden_hips_fall_back_to_the_shoulder_line():
    stance = GESTURE_STANCES['turn_left']
    for roll in (-25.0, 0.0, 25.0):
        pose = render(ADULT, stance, View(1.0, roll), None)
        full = compute_features(pose, 0.3)
        pose.keypoints[[int(K.LEFT_HIP), int(K.RIGHT_HIP)], 2] = 0.0
        fallback = compute_features(pose, 0.3)
        assert fallback.frame_known
        assert fallback['elevation(right_shoulder, right_wrist)'] == pytest.approx(
            full['elevation(right_shoulder, right_wrist)'], abs=3.0)
        # Body length from the shoulder width is within 10 % of the torso length.
        assert fallback.body_length == pytest.approx(full.body_length, rel=0.1)
        assert fallback['up(mid_hip, nose)'] is None


def test_degenerate_geometry_is_unknown():
    pose = _upright(left_elbow=(340, 100), left_wrist=(380, 100))  # elbow on the shoulder
    assert compute_features(pose, 0.3)['angle(left_shoulder, left_elbow, left_wrist)'] is None


@pytest.mark.parametrize('text, fragment', [
    ('angel(left_shoulder, left_elbow, left_wrist)', 'valid features: angle, direction'),
    ('angle(left_shoulder, left_elbo, left_wrist)', 'valid keypoints: nose, left_eye'),
    ('angle(left_shoulder, left_elbow)', 'takes 3 keypoints, got 2'),
    ('up(nose, nose)', 'same keypoint twice'),
    ('up nose', 'not of the form'),
])
def test_bad_feature_strings_say_what_is_valid(text, fragment):
    with pytest.raises(FeatureError, match=fragment):
        parse_feature(text)


def test_feature_names_are_normalised():
    spec = parse_feature(' Angle( LEFT_shoulder,left_elbow ,  left_wrist ) ')
    assert spec.name == 'angle(left_shoulder, left_elbow, left_wrist)'
    assert spec.unit == 'degrees'
    assert parse_feature('up(mid_hip, nose)').keypoints == {K.LEFT_HIP, K.RIGHT_HIP, K.NOSE}
    assert 'mid_shoulder' in POINT_NAMES and 'right_ankle' in POINT_NAMES


def test_min_score_out_of_range_is_rejected():
    with pytest.raises(ValueError, match='min_score'):
        compute_features(_upright(), 1.5)


# -- speed: held still, or moving ----------------------------------------------------

def _shifted(pose: Pose, dx: float, dy: float) -> Pose:
    kp = pose.keypoints.copy()
    kp[:, 0] += dx
    kp[:, 1] += dy
    return Pose(kp, pose.score, pose.box)


def test_speed_is_body_lengths_per_second_of_one_point_relative_to_another():
    before = compute_features(_upright(left_wrist=(440, 100)), 0.3)
    # The wrist drops 50 px (half a torso length) in 0.25 s: 2 body lengths per second.
    after = compute_features(_upright(left_wrist=(440, 150)), 0.3, before, 0.25)
    assert after['speed(left_shoulder, left_wrist)'] == pytest.approx(2.0)
    assert after['speed(right_shoulder, right_wrist)'] is None  # right wrist never seen
    assert after['speed(left_shoulder, nose)'] == pytest.approx(0.0)


def test_walking_or_a_camera_closer_is_not_speed():
    """Measured in each frame's own torso frame: only the arm moving relative to the body."""
    pose = _upright(left_wrist=(440, 100))
    before = compute_features(pose, 0.3)
    walked = compute_features(_shifted(pose, 120.0, 15.0), 0.3, before, 0.2)
    assert walked['speed(left_shoulder, left_wrist)'] == pytest.approx(0.0, abs=1e-9)
    near = render(ADULT, GESTURE_STANCES['turn_left'], View(1.0), None)
    far = render(ADULT, GESTURE_STANCES['turn_left'], View(0.5), None)
    closer = compute_features(near, 0.3, compute_features(far, 0.3), 0.2)
    assert closer['speed(right_shoulder, right_wrist)'] == pytest.approx(0.0, abs=1e-4)


def test_speed_is_unknown_without_a_past():
    fs = compute_features(_upright(left_wrist=(440, 100)), 0.3)
    assert fs['speed(left_shoulder, left_wrist)'] is None
    same_time = compute_features(_upright(left_wrist=(440, 100)), 0.3, fs, 0.0)
    assert same_time['speed(left_shoulder, left_wrist)'] is None


def test_history_looks_back_the_speed_window_and_no_further_than_the_gap():
    from pose_ros.gestures.features import SPEED_MAX_GAP_S, SPEED_WINDOW_S, FeatureHistory

    history = FeatureHistory()
    speed = 'speed(left_shoulder, left_wrist)'
    # 30 frames/s, the wrist going down 100 px (one torso length) a second.
    values = []
    for i in range(12):
        t = i / 30
        fs = history.measure(_upright(left_wrist=(440, 100 + 100 * t)), t, [0.3])[0.3]
        values.append(fs[speed])
    first = int(math.ceil(SPEED_WINDOW_S * 30 - 1e-6))
    assert all(v is None for v in values[:first])
    assert values[first:] == pytest.approx([1.0] * (12 - first))
    # A frame after a longer gap than SPEED_MAX_GAP_S has no past to compare with.
    late = 11 / 30 + SPEED_MAX_GAP_S + 0.05
    assert history.measure(_upright(left_wrist=(440, 300)), late, [0.3])[0.3][speed] is None
    # Time going back (a replayed bag) forgets the past rather than mixing two.
    assert history.measure(_upright(left_wrist=(440, 100)), 0.5, [0.3])[0.3][speed] is None


def test_history_keeps_no_chain_of_pasts():
    from pose_ros.gestures.features import FeatureHistory

    history = FeatureHistory()
    sets = [history.measure(_upright(left_wrist=(440, 100)), i / 30, [0.3])[0.3]
            for i in range(60)]
    assert all(fs.past is None for fs in sets[:-1])
    assert sets[-1].past is not None and sets[-1].past.past is None
    assert len(history._frames) <= 32  # one second at 30 frames/s


# -- 3D features -------------------------------------------------------------------------
def _with_positions(pose: Pose, positions: dict) -> Pose:
    """Give ``pose`` 3D positions (metres, optical frame: x right, y down, z forward)."""
    xyz = np.full((17, 3), np.nan)
    for name, p in positions.items():
        xyz[int(K[name.upper()])] = p
    return Pose(pose.keypoints, pose.score, pose.box, positions=xyz)


# A person 3 m in front of the camera: torso 0.5 m, shoulders 0.4 m apart.
_BODY_3D = {
    'left_shoulder': (0.2, -0.5, 3.0), 'right_shoulder': (-0.2, -0.5, 3.0),
    'left_hip': (0.15, 0.0, 3.0), 'right_hip': (-0.15, 0.0, 3.0),
}


def test_arm_reaching_at_the_camera_is_raised_and_toward_in_3d_but_not_in_the_image():
    # The left arm points straight at the camera: in the image the wrist sits on the
    # shoulder, so the 2D features cannot see it; in 3D it is 0.5 m (1 torso) closer.
    image = _upright(left_elbow=(340, 100), left_wrist=(341, 101))
    pose = _with_positions(image, {**_BODY_3D, 'left_elbow': (0.2, -0.5, 2.75),
                                   'left_wrist': (0.2, -0.5, 2.5)})
    fs = compute_features(pose, 0.3)
    # Measured along the line of sight to the torso centre, 5 deg below the optical axis.
    sight = math.cos(math.atan(0.25 / 3.0))
    assert fs['toward(left_shoulder, left_wrist)'] == pytest.approx(sight, abs=1e-6)
    assert fs['toward(left_wrist, left_shoulder)'] == pytest.approx(-sight, abs=1e-6)
    assert fs['elevation3d(left_shoulder, left_wrist)'] == pytest.approx(90.0)
    assert fs['angle3d(left_shoulder, left_elbow, left_wrist)'] == pytest.approx(180.0)
    assert fs['distance3d(left_shoulder, left_wrist)'] == pytest.approx(1.0)
    assert fs['distance(left_shoulder, left_wrist)'] < 0.02
    # The 2D features are computed from pixels as before: positions do not change them.
    assert fs['elevation(left_shoulder, left_elbow)'] == compute_features(
        image, 0.3)['elevation(left_shoulder, left_elbow)']


def test_3d_features_agree_with_2d_ones_for_limbs_across_the_line_of_sight():
    # Left arm straight out to the person's left, right forearm bent up, all at 3 m.
    image = _upright(left_elbow=(390, 100), left_wrist=(440, 100),
                     right_elbow=(210, 100), right_wrist=(210, 50))
    pose = _with_positions(image, {**_BODY_3D, 'left_elbow': (0.45, -0.5, 3.0),
                                   'left_wrist': (0.7, -0.5, 3.0),
                                   'right_elbow': (-0.45, -0.5, 3.0),
                                   'right_wrist': (-0.45, -0.75, 3.0)})
    fs = compute_features(pose, 0.3)
    assert fs['elevation3d(left_shoulder, left_wrist)'] == pytest.approx(
        fs['elevation(left_shoulder, left_wrist)'], abs=1.0)
    assert fs['angle3d(right_shoulder, right_elbow, right_wrist)'] == pytest.approx(90.0)
    assert fs['angle(right_shoulder, right_elbow, right_wrist)'] == pytest.approx(90.0)
    assert fs['toward(left_shoulder, left_wrist)'] == pytest.approx(0.0, abs=1e-6)


def test_3d_features_are_unknown_without_positions_or_with_a_low_score():
    image = _upright(left_elbow=(390, 100), left_wrist=(440, 100))
    no_depth = compute_features(image, 0.3)
    for name in ('toward(left_shoulder, left_wrist)', 'elevation3d(left_shoulder, left_wrist)',
                 'angle3d(left_shoulder, left_elbow, left_wrist)',
                 'distance3d(mid_shoulder, left_wrist)'):
        assert no_depth[name] is None
    # A wrist with a position but a low score is as unknown in 3D as in 2D.
    kp = image.keypoints.copy()
    kp[int(K.LEFT_WRIST), 2] = 0.1
    low = Pose(kp, 0.9, image.box)
    pose = _with_positions(low, {**_BODY_3D, 'left_elbow': (0.45, -0.5, 3.0),
                                 'left_wrist': (0.7, -0.5, 3.0)})
    fs = compute_features(pose, 0.3)
    assert fs['toward(left_shoulder, left_wrist)'] is None
    assert fs['toward(left_shoulder, left_elbow)'] == pytest.approx(0.0, abs=1e-6)
    # Without hip positions there is no 3D torso: elevation3d, toward and distance3d are
    # unknown, while angle3d needs only its own three points.
    hipless = {k: v for k, v in _BODY_3D.items() if 'hip' not in k}
    fs = compute_features(_with_positions(image, {**hipless, 'left_elbow': (0.45, -0.5, 3.0),
                                                  'left_wrist': (0.7, -0.5, 3.0)}), 0.3)
    assert fs['elevation3d(left_shoulder, left_wrist)'] is None
    assert fs['toward(left_shoulder, left_wrist)'] is None
    assert fs['angle3d(left_shoulder, left_elbow, left_wrist)'] == pytest.approx(180.0)


def test_3d_features_do_not_depend_on_distance_or_body_size():
    def measure(scale: float, depth: float) -> dict:
        pts = {**_BODY_3D, 'left_elbow': (0.2, -0.3, 2.8), 'left_wrist': (0.2, -0.55, 2.7)}
        moved = {k: (x * scale, y * scale, depth + (z - 3.0) * scale)
                 for k, (x, y, z) in pts.items()}
        fs = compute_features(_with_positions(_upright(left_elbow=(340, 140),
                                                       left_wrist=(340, 90)), moved), 0.3)
        return {n: fs[n] for n in ('toward(left_shoulder, left_wrist)',
                                   'elevation3d(left_shoulder, left_elbow)',
                                   'angle3d(left_shoulder, left_elbow, left_wrist)',
                                   'distance3d(left_shoulder, left_wrist)')}
    ref = measure(1.0, 3.0)
    for scale, depth in ((0.7, 1.5), (1.2, 5.5)):
        got = measure(scale, depth)
        for name, value in ref.items():
            # toward follows the line of sight, which turns a little as the person comes near.
            assert got[name] == pytest.approx(value, abs=0.02 if 'toward' in name else 0.5)


def test_3d_feature_names_parse_with_their_arity_and_unit():
    assert parse_feature('Angle3D(left_shoulder, left_elbow, left_wrist)').unit == 'degrees'
    assert parse_feature('toward(mid_shoulder, right_wrist)').unit == 'body'
    with pytest.raises(FeatureError, match='takes 3 keypoints'):
        parse_feature('angle3d(left_shoulder, left_elbow)')
    with pytest.raises(FeatureError, match='unknown feature'):
        parse_feature('speed3d(left_shoulder, left_elbow)')
