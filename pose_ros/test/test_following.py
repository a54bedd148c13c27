"""Which pose continues which followed person: on its own, then as the teleop uses it."""

import numpy as np
import pytest
from teleop_sim import DEFAULT, LIMITS, RATE, Sim, engaged_sim, person

from pose_ros.control import Command, Teleop, TeleopOptions
from pose_ros.control.following import ANCHORS, FollowedPerson, Follower, body_size
from pose_ros.core.geometry import BOX_KEYPOINT_SCORE
from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.gestures.features import SHOULDER_TO_TORSO


def moved(pose: Pose, dx: float = 0.0, track_id: int | None = None) -> Pose:
    """``pose`` shifted right by ``dx`` pixels, box and all, optionally with another id."""
    kp = pose.keypoints.copy()
    kp[:, 0] += dx
    x0, y0, x1, y1 = pose.box
    return Pose(kp, pose.score, (x0 + dx, y0, x1 + dx, y1),
                pose.track_id if track_id is None else track_id)


def without_anchors(pose: Pose) -> Pose:
    kp = pose.keypoints.copy()
    kp[ANCHORS, 2] = 0.0
    return Pose(kp, pose.score, pose.box, pose.track_id)


def test_the_track_id_continues_a_tracked_person_wherever_they_are():
    followed = FollowedPerson(person(track_id=5, cx=200), 0.0)
    poses = [person(track_id=9, cx=200), person(track_id=5, cx=500)]
    assert Follower().continuation(followed, poses) == 1
    assert Follower().continuation(followed, poses, taken={1}) is None


def test_a_tracked_person_is_never_continued_by_another_track_id():
    followed = FollowedPerson(person(track_id=5, cx=200), 0.0)
    assert Follower().continuation(followed, [person(track_id=9, cx=200)]) is None
    # The tracker lost them: an untracked pose in their place continues them, id kept.
    untracked = person(track_id=-1, cx=200)
    assert Follower().continuation(followed, [untracked]) == 0
    followed.see(untracked, 0.1)
    assert followed.track_id == 5 and followed.last_seen_s == 0.1


def test_an_untracked_person_is_continued_by_the_nearest_head_and_torso():
    followed = FollowedPerson(person(cx=200), 0.0)
    assert followed.size > 50.0  # the torso, in pixels
    poses = [person(cx=500), person(cx=230), person(cx=215)]
    assert followed.shift(poses[2]) == pytest.approx(15.0 / followed.size, rel=1e-4)
    assert Follower().continuation(followed, poses) == 2


def test_gesturing_arms_do_not_move_a_person():
    followed = FollowedPerson(person(cx=200), 0.0)
    assert followed.shift(person('turn_left', cx=200)) == pytest.approx(0.0, abs=1e-4)
    assert Follower().continuation(followed, [person('engage', cx=200)]) == 0


def test_more_than_max_shift_body_lengths_away_is_someone_else():
    followed = FollowedPerson(person(cx=200), 0.0)
    away = moved(person(cx=200), 0.6 * followed.size)
    assert followed.shift(away) == pytest.approx(0.6, rel=1e-4)
    assert Follower(max_shift=0.5).continuation(followed, [away]) is None
    assert Follower(max_shift=0.7).continuation(followed, [away]) == 0


def test_with_head_and_torso_hidden_the_box_overlap_decides():
    followed = FollowedPerson(person(cx=200), 0.0)
    hidden = without_anchors(person(cx=200))
    assert followed.shift(hidden) is None
    assert Follower().continuation(followed, [hidden]) == 0
    width = person().box[2] - person().box[0]
    # Moved by 60 % of its width: the boxes overlap by a quarter, less than min_iou 0.3.
    apart = moved(hidden, 0.6 * width)
    assert Follower(min_iou=0.3).continuation(followed, [apart]) is None
    assert Follower(min_iou=0.2).continuation(followed, [apart]) == 0
    # A pose whose head and torso can be compared wins over any overlap.
    assert Follower().continuation(followed, [hidden, person(cx=210)]) == 1


def test_a_missed_head_or_torso_keypoint_keeps_its_last_position():
    followed = FollowedPerson(person(cx=200), 0.0)
    nose = followed.anchors[0].copy()
    no_nose = moved(person(cx=200), 5.0)
    no_nose.keypoints[int(Keypoint.NOSE), 2] = 0.0
    followed.see(no_nose, 0.1)
    assert followed.anchors[0] == pytest.approx(nose)
    assert followed.anchors[1][0] == pytest.approx(person(cx=200).keypoints[ANCHORS[1], 0] + 5)
    assert Follower().continuation(followed, [no_nose]) == 0


def test_each_pose_continues_one_person_the_longest_followed_first():
    older = FollowedPerson(person(cx=200), 0.0)
    duplicate = FollowedPerson(person(cx=205), 0.5)  # a detection glitch spawned it
    poses = [person(cx=204)]
    assert Follower().assign([older, duplicate], poses) == [0, None]
    assert Follower().assign([duplicate, older], poses) == [0, None]
    assert Follower().assign([older, duplicate], []) == [None, None]


def test_body_size_is_the_torso_else_the_shoulders_else_a_third_of_the_box():
    anchors = np.array([[50, 0], [40, 20], [60, 20], [42, 60], [58, 60]], float)
    assert body_size(anchors, (0, 0, 100, 300)) == pytest.approx(40.0)
    no_hips = anchors.copy()
    no_hips[3:] = np.nan
    assert body_size(no_hips, (0, 0, 100, 300)) == pytest.approx(20 * SHOULDER_TO_TORSO)
    assert body_size(np.full((5, 2), np.nan), (0, 0, 100, 300)) == pytest.approx(100.0)
    assert body_size(np.full((5, 2), np.nan), (0, 0, 1, 1)) == 1.0


def test_a_pose_without_a_box_is_boxed_by_its_confident_keypoints():
    pose = person(cx=200)
    kp = pose.keypoints.copy()
    kp[int(Keypoint.LEFT_ANKLE)] = (600.0, 470.0, BOX_KEYPOINT_SCORE / 2)  # a guess, far off
    followed = FollowedPerson(Pose(kp, pose.score, (0.0, 0.0, 0.0, 0.0)), 0.0)
    confident = kp[kp[:, 2] > BOX_KEYPOINT_SCORE]
    assert followed.box == pytest.approx((confident[:, 0].min(), confident[:, 1].min(),
                                          confident[:, 0].max(), confident[:, 1].max()))
    assert followed.box[2] < 600.0


@pytest.mark.parametrize('kwargs, name', [({'max_shift': -1.0}, 'max_shift'),
                                          ({'max_shift': float('nan')}, 'max_shift'),
                                          ({'min_iou': 1.5}, 'min_iou')])
def test_bad_rules_are_refused_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Follower(**kwargs)


# -- as the teleop follows its controller --------------------------------------------------

def test_a_second_person_is_ignored_while_the_first_controls():
    sim = Sim(Teleop(DEFAULT, TeleopOptions(limits=LIMITS)))
    sim.run(1.3, [person('engage', 1, 180), person('forward', 2, 470)])
    assert sim.teleop.engaged and sim.teleop.state.controller_id == 1
    for gesture in ('forward', 'turn_left', 'back', 'stop', 'engage'):
        steps = sim.run(1.5, [person(gesture, 2, 470), person(None, 1, 180)])
        assert all(s.engaged and s.command == Command() for s in steps), gesture
    steps = sim.run(2.0, [person('turn_right', 2, 470), person('forward', 1, 180)])
    assert steps[-1].command == Command(0.3, 0.0, 0.0)
    # After the controller releases, the other person must engage from scratch.
    sim.run(0.5, [person('stop', 1, 180), person('engage', 2, 470)])
    assert not sim.teleop.engaged
    steps = sim.run(0.8, [person(None, 1, 180), person('engage', 2, 470)])
    assert not any(s.engaged for s in steps)
    sim.run(0.5, [person(None, 1, 180), person('engage', 2, 470)])
    assert sim.teleop.engaged and sim.teleop.state.controller_id == 2


def test_control_follows_the_track_id_when_people_swap_places():
    sim = engaged_sim(track_id=5, cx=200)

    def crossing(t):
        # The two walk past each other: controller 5 goes right, the other left.
        w = min(1.0, max(0.0, (t - start) / 2.0))
        return [person('forward', 9, 440 - 240 * w), person('turn_left', 5, 200 + 240 * w)]
    start = sim.t
    steps = sim.run(3.0, crossing)
    assert all(s.engaged for s in steps)
    assert all(s.command.linear_x == 0.0 for s in steps)
    assert steps[-1].command.angular_z > 0.2


def test_control_follows_an_untracked_person_by_head_and_torso():
    sim = engaged_sim(track_id=-1, cx=200)
    start = sim.t

    def walking(t):
        x = 200 + 30 * (t - start)   # the controller drifts right slowly
        people = [person('turn_right', -1, 500), person('forward', -1, x)]
        return people if int((t - start) * RATE) % 2 else people[::-1]
    steps = sim.run(3.0, walking)
    assert all(s.engaged for s in steps)
    assert steps[-1].command.linear_x == pytest.approx(0.3)
    assert all(s.command.angular_z == 0.0 for s in steps)
    # If the controller vanishes, the other person does not inherit control.
    steps = sim.run(1.0, [person('forward', -1, 500)])
    assert not steps[-1].engaged
    assert all(s.command is None or s.command.is_zero
               for s in steps if not s.engaged)


def test_control_follows_an_untracked_person_with_head_and_torso_hidden_by_box_overlap():
    sim = engaged_sim(track_id=-1, cx=200)
    start = sim.t

    def hidden(t):
        # No gesture can be judged without the shoulders, but the wrists are usable: the
        # controller is still seen, and must not be taken for the other person.
        x = 200 + 10 * (t - start)
        return [without_anchors(person('forward', -1, x)),
                without_anchors(person('turn_right', -1, 520))]
    steps = sim.run(2.0, hidden)
    assert all(s.engaged for s in steps)
    assert all(s.command == Command() for s in steps)
    steps = sim.run(1.5, [person('turn_right', -1, 520), person('forward', -1, 220)])
    assert all(s.engaged for s in steps)
    assert steps[-1].command == Command(0.3, 0.0, 0.0)
