"""Joint angles and angular velocities on stick figures whose angles are known exactly.

The figures (test/synthetic_people.py) are posed by limb directions, so each joint's true
angle follows in closed form from the directions alone; they are seen by a pinhole camera
(focal 500 px, 3 m away), with 3D positions in the camera frame as depth would give them.
"""

import math

import numpy as np
import pytest
from synthetic_people import ADULT, Limb, Stance, arm, skeleton

from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.gestures.features import FeatureSet
from pose_ros.kinematics import (
    JOINT_FEATURES,
    Joint,
    KinematicsTracker,
    Space,
    joint_angles,
)

K = Keypoint
J = Joint
FOCAL, DISTANCE, CAMERA_HEIGHT = 500.0, 3.0, 1.0


def direction(seg, side):
    """Segment direction in the body frame (synthetic_people's convention)."""
    r, f = math.radians(seg[0]), math.radians(seg[1])
    return np.array([side * math.sin(r) * math.cos(f), -math.cos(r) * math.cos(f),
                     math.sin(f)])


def true_angles(stance: Stance) -> np.ndarray:
    """Each joint's angle from the limb directions (upright torso: down is -Y)."""
    out = np.zeros(8)
    for side, a, l_, sh, el, hp, kn in (
            (1.0, stance.left_arm, stance.left_leg, J.LEFT_SHOULDER, J.LEFT_ELBOW,
             J.LEFT_HIP, J.LEFT_KNEE),
            (-1.0, stance.right_arm, stance.right_leg, J.RIGHT_SHOULDER, J.RIGHT_ELBOW,
             J.RIGHT_HIP, J.RIGHT_KNEE)):
        for limb, root, middle in ((a, sh, el), (l_, hp, kn)):
            up, low = direction(limb.upper, side), direction(limb.lower, side)
            out[root] = math.degrees(math.acos(np.clip(-up[1], -1, 1)))
            out[middle] = 180.0 - math.degrees(math.acos(np.clip(up @ low, -1, 1)))
    return out


def seen(stance: Stance, yaw: float = 0.0, score: float = 0.9) -> Pose:
    """Show the figure turned ``yaw`` degrees (90: its right side to the camera), with depth."""
    pts = skeleton(ADULT, stance)
    a = math.radians(yaw)
    rot = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    body = pts @ rot.T
    # Camera: x right (the person's left when facing it), y down, z away from the camera.
    cam = np.stack([body[:, 0], CAMERA_HEIGHT - body[:, 1], DISTANCE - body[:, 2]], axis=1)
    px = FOCAL * cam[:, :2] / cam[:, 2:] + [320.0, 240.0]
    kp = np.hstack([px, np.full((17, 1), score)]).astype(np.float32)
    return Pose(kp, score, track_id=1, positions=cam)


def without_depth(pose: Pose) -> Pose:
    return Pose(pose.keypoints, pose.score, pose.box, pose.track_id)


STANCES = {
    'rest': Stance(),
    'goal_post': Stance(left_arm=arm(90, 0, 178, 0), right_arm=arm(90, 0, 178, 0)),
    'reach_forward': Stance(left_arm=arm(0, 90, 0, 90), right_arm=arm(30, 60, 100, 20)),
    'crossed': Stance(left_arm=arm(-10, 45, -80, 20), right_arm=arm(-10, 45, -75, 25)),
    'sitting': Stance(left_leg=Limb((5, 85), (3, 5)), right_leg=Limb((5, 85), (3, 5))),
    'kick': Stance(left_leg=Limb((20, 30), (10, -40)), right_arm=arm(150, 35, 254, -27)),
}


@pytest.mark.parametrize('yaw', [0.0, 35.0, 90.0, 180.0])
@pytest.mark.parametrize('name', list(STANCES))
def test_3d_angles_are_the_bodys_own_whichever_way_it_faces(name, yaw):
    k = joint_angles(seen(STANCES[name], yaw))
    np.testing.assert_allclose(k.angles, true_angles(STANCES[name]), atol=1e-6)
    assert (k.spaces == Space.CAMERA).all()
    assert np.isnan(k.velocities).all()    # one frame has no velocity


def test_known_angles_in_degrees_by_their_anatomical_meaning():
    # Goal post: upper arms level out sideways, forearms straight up; legs straight down.
    k = joint_angles(seen(Stance(left_arm=arm(90, 0, 180, 0), right_arm=arm(0, 90, 0, 90),
                                 left_leg=Limb((0, 90), (0, 0)), right_leg=Limb((0, 0),
                                                                               (0, 0)))))
    assert k.angle(J.LEFT_SHOULDER) == pytest.approx(90.0)    # level, to the side
    assert k.angle(J.LEFT_ELBOW) == pytest.approx(90.0)       # bent at a right angle
    assert k.angle(J.RIGHT_SHOULDER) == pytest.approx(90.0)   # level, to the front
    assert k.angle(J.RIGHT_ELBOW) == pytest.approx(180.0)     # straight
    assert k.angle(J.LEFT_HIP) == pytest.approx(90.0)         # thigh level: sitting
    assert k.angle(J.LEFT_KNEE) == pytest.approx(90.0)        # shin down
    assert k.angle(J.RIGHT_HIP) == pytest.approx(0.0, abs=1e-6)     # standing straight
    assert k.angle(J.RIGHT_KNEE) == pytest.approx(180.0)


def test_image_plane_angles_are_exact_for_limbs_across_the_line_of_sight():
    # Every segment in the frontal plane, facing the camera: the plane is parallel to the
    # image, so the perspective projection keeps its angles exactly.
    stance = Stance(left_arm=arm(90, 0, 150, 0), right_arm=arm(40, 0, -20, 0),
                    left_leg=Limb((25, 0), (5, 0)), right_leg=Limb((3, 0), (-30, 0)))
    pose = without_depth(seen(stance))
    k = joint_angles(pose)
    assert (k.spaces == Space.IMAGE).all()
    np.testing.assert_allclose(k.angles, true_angles(stance), atol=1e-3)
    # ...and they are the gesture features' own values: one definition of each.
    features = FeatureSet(pose, 0.3)
    assert [features[JOINT_FEATURES[j]] for j in Joint] == k.angles.tolist()


def test_a_person_turned_sideways_is_right_in_3d_and_wrong_in_the_image():
    # Left arm held out to the side, forearm up, seen from the person's right: the upper arm
    # points away from the camera, so its image is a foreshortened stub.
    stance = Stance(left_arm=arm(90, 0, 180, 0))
    pose = seen(stance, yaw=90.0)
    in_3d, in_image = joint_angles(pose), joint_angles(without_depth(pose))
    truth = true_angles(stance)
    assert in_3d.angle(J.LEFT_SHOULDER) == pytest.approx(90.0)
    assert in_3d.angle(J.LEFT_ELBOW) == pytest.approx(90.0)
    np.testing.assert_allclose(in_3d.angles, truth, atol=1e-6)
    assert abs(in_image.angle(J.LEFT_SHOULDER) - truth[J.LEFT_SHOULDER]) > 30.0
    assert abs(in_image.angle(J.LEFT_ELBOW) - truth[J.LEFT_ELBOW]) > 30.0
    assert in_image.space(J.LEFT_SHOULDER) is Space.IMAGE


def test_each_angle_uses_3d_only_when_every_joint_it_needs_has_a_position():
    pose = seen(STANCES['kick'])
    pose.positions[K.LEFT_WRIST] = np.nan
    pose.positions[K.LEFT_HIP] = np.nan
    k = joint_angles(pose)
    image = {J.LEFT_ELBOW, J.LEFT_HIP, J.LEFT_KNEE,
             # the torso's down axis needs both hips
             J.LEFT_SHOULDER, J.RIGHT_SHOULDER, J.RIGHT_HIP}
    for j in Joint:
        assert k.space(j) is (Space.IMAGE if j in image else Space.CAMERA), j.name
    assert np.isfinite(k.angles).all()
    np.testing.assert_allclose(k.angles[[J.RIGHT_ELBOW, J.RIGHT_KNEE]],
                               true_angles(STANCES['kick'])[[J.RIGHT_ELBOW, J.RIGHT_KNEE]],
                               atol=1e-6)


def test_unknown_joints_are_nan_never_zero():
    pose = seen(STANCES['goal_post'])
    pose.keypoints[K.LEFT_WRIST, 2] = 0.1              # not found
    pose.keypoints[K.RIGHT_KNEE] = np.nan              # junk from a model
    pose.positions[K.RIGHT_ELBOW] = np.nan             # no depth there; pixels still known
    k = joint_angles(pose, min_score=0.3)
    for j in (J.LEFT_ELBOW, J.RIGHT_HIP, J.RIGHT_KNEE):
        assert math.isnan(k.angle(j)) and k.space(j) is Space.UNKNOWN, j.name
    assert k.space(J.RIGHT_ELBOW) is Space.IMAGE
    assert k.space(J.LEFT_SHOULDER) is Space.CAMERA
    # Nobody found at all: nothing known.
    nobody = joint_angles(Pose())
    assert np.isnan(nobody.angles).all() and (nobody.spaces == Space.UNKNOWN).all()


def test_a_position_of_a_low_scoring_keypoint_is_not_trusted():
    pose = seen(STANCES['goal_post'])
    pose.keypoints[K.LEFT_ELBOW, 2] = 0.2
    k = joint_angles(pose, min_score=0.3)
    assert k.space(J.LEFT_ELBOW) is Space.UNKNOWN
    assert k.space(J.LEFT_SHOULDER) is Space.UNKNOWN
    assert joint_angles(pose, min_score=0.1).space(J.LEFT_ELBOW) is Space.CAMERA


def test_pose_positions_are_checked_and_optional():
    assert Pose().positions is None
    with pytest.raises(ValueError, match=r'positions must have shape \(17, 3\)'):
        Pose(positions=np.zeros((17, 2)))


# -- velocities ----------------------------------------------------------------------------

FPS = 30.0


def bending(t: float) -> Stance:
    """Left elbow straightening from 90 at 60 deg/s; right arm rising at 90 deg/s."""
    return Stance(left_arm=arm(90, 0, 180 - 60 * t, 0), right_arm=arm(10 + 90 * t, 0, 10 + 90 * t,
                                                                      0))


@pytest.mark.parametrize('depth', [True, False], ids=['3d', 'image'])
def test_a_joint_moving_at_a_known_rate_has_that_angular_velocity(depth):
    tracker = KinematicsTracker()
    out = []
    for i in range(31):
        pose = seen(bending(i / FPS))
        out.append(tracker.update([pose if depth else without_depth(pose)], i / FPS)[0])
    # Until the window (0.1 s, three frames) has been seen, there is no velocity.
    for k in out[:3]:
        assert np.isnan(k.velocities).all()
    for k in out[3:]:
        assert k.velocity(J.LEFT_ELBOW) == pytest.approx(60.0, abs=1e-3)
        assert k.velocity(J.RIGHT_SHOULDER) == pytest.approx(90.0, abs=1e-3)
        assert k.velocity(J.RIGHT_ELBOW) == pytest.approx(0.0, abs=1e-3)   # straight, moving
        assert k.velocity(J.LEFT_KNEE) == pytest.approx(0.0, abs=1e-6)
    assert out[-1].angle(J.LEFT_ELBOW) == pytest.approx(150.0, abs=1e-3)


def test_the_window_sets_how_far_back_the_comparison_looks():
    tracker = KinematicsTracker(window_s=0.0)          # consecutive frames
    first = tracker.update([seen(bending(0.0))], 0.0)[0]
    second = tracker.update([seen(bending(1 / FPS))], 1 / FPS)[0]
    assert np.isnan(first.velocities).all()
    assert second.velocity(J.LEFT_ELBOW) == pytest.approx(60.0, abs=1e-3)


def test_a_joint_unknown_in_either_frame_has_no_velocity_and_the_others_keep_theirs():
    tracker = KinematicsTracker(window_s=0.0)
    tracker.update([seen(bending(0.0))], 0.0)
    missing = seen(bending(1 / FPS))
    missing.keypoints[K.LEFT_WRIST, 2] = 0.0
    k = tracker.update([missing], 1 / FPS)[0]
    assert math.isnan(k.velocity(J.LEFT_ELBOW))
    assert k.velocity(J.RIGHT_SHOULDER) == pytest.approx(90.0, abs=1e-3)
    # Back the next frame, but compared with the frame it was missing from: still unknown.
    k = tracker.update([seen(bending(2 / FPS))], 2 / FPS)[0]
    assert math.isnan(k.velocity(J.LEFT_ELBOW))
    k = tracker.update([seen(bending(3 / FPS))], 3 / FPS)[0]
    assert k.velocity(J.LEFT_ELBOW) == pytest.approx(60.0, abs=1e-3)


def test_no_velocity_across_a_switch_between_3d_and_the_image_plane():
    tracker = KinematicsTracker(window_s=0.0)
    tracker.update([seen(bending(0.0), yaw=60.0)], 0.0)
    k = tracker.update([without_depth(seen(bending(1 / FPS), yaw=60.0))], 1 / FPS)[0]
    assert np.isnan(k.velocities).all()
    assert (k.spaces == Space.IMAGE).all()


def test_after_a_long_gap_the_past_is_forgotten():
    tracker = KinematicsTracker(window_s=0.1, max_gap_s=0.5)
    tracker.update([seen(bending(0.0))], 0.0)
    k = tracker.update([seen(bending(0.8))], 0.8)[0]
    assert np.isnan(k.velocities).all()
    # A shorter gap (a few missed frames) is spanned: the mean rate over it.
    k = tracker.update([seen(bending(1.2))], 1.2)[0]
    assert k.velocity(J.LEFT_ELBOW) == pytest.approx(60.0, abs=1e-3)


def test_time_going_back_forgets_instead_of_giving_a_rate():
    tracker = KinematicsTracker()
    for i in range(10):
        tracker.update([seen(bending(i / FPS))], 100.0 + i / FPS)
    k = tracker.update([seen(bending(0.0))], 100.0)[0]          # the bag starts again
    assert np.isnan(k.velocities).all()
    for i in range(1, 4):
        k = tracker.update([seen(bending(i / FPS))], 100.0 + i / FPS)[0]
    assert k.velocity(J.LEFT_ELBOW) == pytest.approx(60.0, abs=1e-3)


def test_the_same_stamp_twice_divides_by_nothing():
    tracker = KinematicsTracker(window_s=0.0)
    tracker.update([seen(bending(0.0))], 0.0)
    a = tracker.update([seen(bending(0.5))], 0.5)[0]
    b = tracker.update([seen(bending(0.5))], 0.5)[0]
    assert a.velocity(J.LEFT_ELBOW) == pytest.approx(60.0, abs=1e-3)
    assert b.velocity(J.LEFT_ELBOW) == pytest.approx(60.0, abs=1e-3)  # still against t=0
    assert np.isfinite(b.velocities).all()


def with_id(pose: Pose, track_id: int) -> Pose:
    return Pose(pose.keypoints, pose.score, pose.box, track_id, pose.positions)


def test_lost_persons_are_forgotten_and_the_number_remembered_is_bounded():
    tracker = KinematicsTracker(max_gap_s=0.5, max_tracks=3)
    tracker.update([with_id(seen(Stance()), 1), with_id(seen(Stance()), 2)], 0.0)
    assert tracker.track_ids == [1, 2]
    tracker.update([with_id(seen(Stance()), 1)], 0.4)
    assert tracker.track_ids == [2, 1]                  # 2 not seen for 0.4 s: kept
    tracker.update([with_id(seen(Stance()), 1)], 0.6)
    assert tracker.track_ids == [1]                     # 2 not seen for 0.6 s: forgotten
    for i, t in enumerate((0.7, 0.8, 0.9, 1.0)):
        tracker.update([with_id(seen(Stance()), 10 + i)], t)
    assert tracker.track_ids == [11, 12, 13]            # the least recently seen went first
    # More persons in one frame than can be remembered: the last ones get no velocity.
    many = [with_id(seen(bending(0.0)), 20 + i) for i in range(5)]
    tracker.update(many, 1.1)
    out = tracker.update([with_id(seen(bending(0.2)), 20 + i) for i in range(5)], 1.3)
    assert len(tracker.track_ids) == 3
    assert [math.isnan(k.velocity(J.LEFT_ELBOW)) for k in out] == [False] * 3 + [True] * 2
    assert all(np.isfinite(k.angles).all() for k in out)


def test_untracked_and_duplicate_ids_get_angles_but_no_velocity():
    tracker = KinematicsTracker(window_s=0.0)
    for t in (0.0, 0.1):
        out = tracker.update([with_id(seen(bending(t)), -1), with_id(seen(bending(t)), 4),
                              with_id(seen(bending(t)), 4)], t)
    assert all(np.isnan(k.velocities).all() for k in out)
    assert all(np.isfinite(k.angles).all() for k in out)
    assert [k.track_id for k in out] == [-1, 4, 4]
    assert tracker.track_ids == []


@pytest.mark.parametrize('kwargs, words', [
    ({'min_score': 1.5}, 'min_score must be within'),
    ({'window_s': -0.1}, 'window_s must be a finite number >= 0'),
    ({'max_gap_s': 0.0}, 'max_gap_s must be a finite number > 0'),
    ({'window_s': 0.5, 'max_gap_s': 0.2}, 'must be at least window_s'),
    ({'max_tracks': 0}, 'max_tracks must be an integer >= 1'),
])
def test_bad_settings_are_refused_saying_what_is_allowed(kwargs, words):
    with pytest.raises(ValueError, match=words):
        KinematicsTracker(**kwargs)


def test_a_stamp_that_is_not_a_time_is_refused():
    with pytest.raises(ValueError, match='stamp_s must be a finite'):
        KinematicsTracker().update([], float('nan'))
