"""One Euro filter and per-person keypoint smoothing."""

import math

import numpy as np
import pytest

from pose_ros.core.keypoints import Pose
from pose_ros.pose.smoothing import KeypointSmoother, OneEuroFilter, pose_scale

FPS = 30.0


def _run(filt, signal, speed_scale=1.0):
    return np.array([filt(np.array([v]), i / FPS, speed_scale=speed_scale)[0]
                     for i, v in enumerate(signal)])


def test_first_sample_passes_through():
    f = OneEuroFilter(1.0, 0.0)
    x = np.array([[3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(f(x, 0.0), x)


def test_matches_the_paper_recurrence_for_beta_zero():
    # With beta = 0 the filter is a first-order low-pass with alpha = 1 / (1 + tau / dt).
    f = OneEuroFilter(min_cutoff=2.0, beta=0.0)
    f(np.array([0.0]), 0.0)
    dt = 0.05
    tau = 1.0 / (2 * math.pi * 2.0)
    alpha = 1.0 / (1.0 + tau / dt)
    assert f(np.array([10.0]), dt)[0] == pytest.approx(alpha * 10.0)


def test_noise_on_constant_signal_is_reduced():
    rng = np.random.default_rng(1)
    noisy = 50.0 + rng.normal(0.0, 2.0, 300)
    out = _run(OneEuroFilter(1.0, 0.0), noisy)
    assert out[30:].var() < 0.25 * noisy[30:].var()
    assert abs(out[30:].mean() - 50.0) < 0.5


def test_speed_raises_cutoff_so_steps_are_followed():
    step = np.where(np.arange(120) >= 30, 100.0, 0.0)
    slow = _run(OneEuroFilter(1.0, 0.0), step)
    fast = _run(OneEuroFilter(1.0, 1.0), step)
    frames_slow = int(np.argmax(np.abs(slow[30:] - 100) < 5))
    frames_fast = int(np.argmax(np.abs(fast[30:] - 100) < 5))
    assert frames_fast < frames_slow
    assert frames_fast <= 6, f'step took {frames_fast} frames to settle'
    # A low-pass never overshoots a step.
    assert fast.max() <= 100.0 + 1e-9


def test_same_timestamp_returns_previous_output():
    f = OneEuroFilter(1.0, 0.0)
    f(np.array([0.0]), 0.0)
    first = f(np.array([10.0]), 0.1)
    again = f(np.array([99.0]), 0.1)
    np.testing.assert_array_equal(again, first)
    # State untouched: the next real sample continues from ``first``.
    nxt = f(np.array([10.0]), 0.2)
    assert first[0] < nxt[0] < 10.0


def test_time_going_backwards_resets():
    f = OneEuroFilter(1.0, 0.0)
    f(np.array([0.0]), 5.0)
    f(np.array([0.0]), 5.1)
    np.testing.assert_array_equal(f(np.array([42.0]), 1.0), [42.0])


def test_masked_elements_pass_through_and_restart_fresh():
    f = OneEuroFilter(1.0, 0.0)
    f(np.array([0.0, 0.0]), 0.0)
    f(np.array([0.0, 0.0]), 0.1)
    out = f(np.array([500.0, 500.0]), 0.2, mask=np.array([True, False]))
    assert out[0] < 500.0
    assert out[1] == 500.0
    # The masked element restarts from its new value instead of slewing from 0.
    out = f(np.array([500.0, 800.0]), 0.3)
    assert out[1] == 800.0


def test_shape_change_is_an_error():
    f = OneEuroFilter()
    f(np.zeros(3), 0.0)
    with pytest.raises(ValueError, match='reset'):
        f(np.zeros(4), 0.1)


@pytest.mark.parametrize('kwargs', [{'min_cutoff': 0.0}, {'beta': -1.0}, {'d_cutoff': math.nan}])
def test_bad_parameters_are_rejected(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        OneEuroFilter(**kwargs)


def _pose(xy, score=0.9, track_id=0, box=(0.0, 0.0, 300.0, 400.0)) -> Pose:
    kp = np.zeros((17, 3), np.float32)
    kp[:, 0], kp[:, 1] = xy
    kp[:, 2] = score
    return Pose(keypoints=kp, score=0.9, box=box, track_id=track_id)


def test_pose_scale_is_box_diagonal_or_keypoint_box():
    assert pose_scale(_pose((0, 0))) == pytest.approx(500.0)
    kp = np.zeros((17, 3), np.float32)
    kp[0], kp[1] = (10, 10, 1), (40, 50, 1)
    assert pose_scale(Pose(keypoints=kp)) == pytest.approx(50.0)
    assert pose_scale(Pose()) == 1.0


def test_smoother_reduces_jitter_per_track():
    rng = np.random.default_rng(3)
    sm = KeypointSmoother()
    raw, smooth = [], []
    for i in range(120):
        xy = (100 + rng.normal(0, 3), 200 + rng.normal(0, 3))
        out = sm.update([_pose(xy)], i / FPS)
        raw.append(xy[0])
        smooth.append(out[0].keypoints[0, 0])
    assert np.var(smooth[20:]) < 0.5 * np.var(raw[20:])


def test_smoother_keeps_up_with_a_fast_move():
    sm = KeypointSmoother()
    for i in range(30):
        sm.update([_pose((100, 100))], i / FPS)
    # A wrist sweeps 1.5 box diagonals per second for half a second.
    for i in range(30, 45):
        x = 100 + (i - 29) * 750 / FPS
        out = sm.update([_pose((x, 100))], i / FPS)
    lag = x - out[0].keypoints[0, 0]
    assert 0 < lag < 40, f'lag {lag:.1f} px'


def test_scores_boxes_ids_pass_through_and_input_untouched():
    sm = KeypointSmoother()
    p = _pose((10, 10), score=0.8, track_id=4)
    sm.update([p], 0.0)
    q = _pose((20, 20), score=0.7, track_id=4)
    out = sm.update([q], 0.1)[0]
    assert out.track_id == 4 and out.box == q.box and out.score == q.score
    np.testing.assert_array_equal(out.keypoints[:, 2], q.keypoints[:, 2])
    assert q.keypoints[0, 0] == 20.0, 'input was modified'
    assert 10.0 < out.keypoints[0, 0] < 20.0


def test_low_score_keypoint_not_fed_and_restarts_without_slew():
    sm = KeypointSmoother(min_score=0.2)
    for i in range(10):
        sm.update([_pose((100, 100))], i / FPS)
    kp = _pose((100, 100)).keypoints
    kp[9] = (900, 900, 0.05)  # wrist lost, model guesses far away
    out = sm.update([Pose(keypoints=kp, box=(0, 0, 300, 400), track_id=0)], 10 / FPS)[0]
    np.testing.assert_array_equal(out.keypoints[9], kp[9])
    kp[9] = (250, 250, 0.9)  # wrist found again somewhere else
    out = sm.update([Pose(keypoints=kp, box=(0, 0, 300, 400), track_id=0)], 11 / FPS)[0]
    assert tuple(out.keypoints[9, :2]) == (250.0, 250.0)
    assert out.keypoints[0, 0] == pytest.approx(100.0)


def test_lost_track_restarts_without_slew():
    sm = KeypointSmoother()
    for i in range(10):
        sm.update([_pose((100, 100), track_id=1)], i / FPS)
    sm.update([_pose((400, 400), track_id=2)], 10 / FPS)  # track 1 absent: dropped
    out = sm.update([_pose((600, 600), track_id=1)], 11 / FPS)[0]
    assert out.keypoints[0, 0] == 600.0


def test_tracks_are_smoothed_independently():
    sm = KeypointSmoother()
    sm.update([_pose((0, 0), track_id=1), _pose((1000, 0), track_id=2)], 0.0)
    out = sm.update([_pose((10, 0), track_id=1), _pose((1010, 0), track_id=2)], 0.1)
    assert 0 < out[0].keypoints[0, 0] < 10
    assert 1000 < out[1].keypoints[0, 0] < 1010


def test_single_untracked_person_is_smoothed():
    sm = KeypointSmoother()
    sm.update([_pose((0, 0), track_id=-1)], 0.0)
    out = sm.update([_pose((10, 0), track_id=-1)], 0.1)[0]
    assert 0 < out.keypoints[0, 0] < 10


def test_several_untracked_people_pass_through():
    sm = KeypointSmoother()
    sm.update([_pose((0, 0), track_id=-1)], 0.0)
    out = sm.update([_pose((10, 0), track_id=-1), _pose((50, 0), track_id=-1)], 0.1)
    assert [p.keypoints[0, 0] for p in out] == [10.0, 50.0]


def test_reset_and_repeated_timestamp():
    sm = KeypointSmoother()
    sm.update([_pose((0, 0))], 0.0)
    a = sm.update([_pose((10, 0))], 0.1)[0].keypoints[0, 0]
    b = sm.update([_pose((30, 0))], 0.1)[0].keypoints[0, 0]
    assert a == b
    sm.reset()
    assert sm.update([_pose((30, 0))], 0.2)[0].keypoints[0, 0] == 30.0
