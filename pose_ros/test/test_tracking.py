"""IoU tracking: identities survive motion and brief misses, and are never reused."""

import numpy as np
import pytest

from pose_ros.core.keypoints import Pose
from pose_ros.pose.tracking import IouTracker


def _person(x0, y0, w, h) -> Pose:
    return Pose(score=0.9, box=(float(x0), float(y0), float(x0 + w), float(y0 + h)))


def test_ids_are_assigned_in_order_and_inputs_untouched():
    tracker = IouTracker()
    poses = [_person(0, 0, 50, 100), _person(200, 0, 50, 100)]
    out = tracker.update(poses)
    assert [p.track_id for p in out] == [0, 1]
    assert [p.track_id for p in poses] == [-1, -1]


def test_two_people_crossing_slowly_keep_ids():
    tracker = IouTracker(iou_threshold=0.3, max_missed=5)
    # A near person (tall) walks right, a far person (short) walks left; they cross.
    first = tracker.update([_person(0, 20, 80, 200), _person(300, 60, 60, 130)])
    id_a, id_b = first[0].track_id, first[1].track_id
    for step in range(1, 60):
        a = _person(0 + 5 * step, 20, 80, 200)
        b = _person(300 - 5 * step, 60, 60, 130)
        # Detector output order is arbitrary; alternate it.
        frame = [a, b] if step % 2 else [b, a]
        out = tracker.update(frame)
        got = {round(p.box[3] - p.box[1]): p.track_id for p in out}
        assert got == {200: id_a, 130: id_b}, f'swap at step {step}'


def test_new_person_gets_new_id():
    tracker = IouTracker()
    tracker.update([_person(0, 0, 50, 100)])
    out = tracker.update([_person(2, 0, 50, 100), _person(300, 0, 50, 100)])
    assert [p.track_id for p in out] == [0, 1]


def test_track_survives_max_missed_frames():
    tracker = IouTracker(max_missed=3)
    tracker.update([_person(0, 0, 50, 100)])
    for _ in range(3):
        assert tracker.update([]) == []
    assert tracker.update([_person(1, 0, 50, 100)])[0].track_id == 0


def test_person_gone_longer_than_max_missed_gets_new_id():
    tracker = IouTracker(max_missed=3)
    tracker.update([_person(0, 0, 50, 100)])
    for _ in range(4):
        tracker.update([])
    assert tracker.active_ids == []
    assert tracker.update([_person(0, 0, 50, 100)])[0].track_id == 1


def test_ids_not_reused_after_reset():
    tracker = IouTracker()
    tracker.update([_person(0, 0, 50, 100), _person(100, 0, 50, 100)])
    tracker.reset()
    assert [p.track_id for p in tracker.update([_person(0, 0, 50, 100)])] == [2]


def test_keypoint_box_used_when_box_empty():
    kp = np.zeros((17, 3), np.float32)
    kp[0] = (10, 10, 0.9)
    kp[15] = (40, 120, 0.9)
    tracker = IouTracker()
    first = tracker.update([Pose(keypoints=kp)])
    kp2 = kp.copy()
    kp2[:, 0] += 3
    second = tracker.update([Pose(keypoints=kp2)])
    assert first[0].track_id == second[0].track_id == 0


def test_low_overlap_is_not_matched():
    tracker = IouTracker(iou_threshold=0.5)
    tracker.update([_person(0, 0, 100, 100)])
    # IoU of these two boxes is 1/3, under the threshold: a different person.
    assert tracker.update([_person(50, 0, 100, 100)])[0].track_id == 1


def test_empty_frames():
    tracker = IouTracker()
    assert tracker.update([]) == []
    assert tracker.update([_person(0, 0, 10, 10)])[0].track_id == 0


@pytest.mark.parametrize('kwargs', [{'iou_threshold': 0.0}, {'iou_threshold': 1.5},
                                    {'max_missed': -1}, {'max_missed': 1.5}])
def test_bad_parameters_are_rejected(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        IouTracker(**kwargs)
