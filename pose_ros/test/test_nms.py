"""Greedy NMS on hand-built boxes whose overlaps are known in closed form."""

import numpy as np
import pytest

from pose_ros.pose.nms import nms


def reference_nms(boxes, scores, iou_threshold):
    """Textbook greedy NMS, one box at a time, to compare the vectorized version against."""
    def iou(a, b):
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = iw * ih
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return inter / union

    remaining = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    kept = []
    while remaining:
        best = remaining.pop(0)
        kept.append(best)
        remaining = [i for i in remaining if iou(boxes[best], boxes[i]) <= iou_threshold]
    return kept


def test_duplicate_of_best_box_is_suppressed_and_distant_box_kept():
    boxes = np.array([[1.0, 1.0, 11.0, 11.0],
                      [20.0, 20.0, 30.0, 30.0],
                      [0.0, 0.0, 10.0, 10.0]])
    scores = np.array([0.8, 0.7, 0.9])
    # IoU(box 2, box 0) = 81 / 119 ~ 0.68.
    assert nms(boxes, scores, 0.5).tolist() == [2, 1]
    assert nms(boxes, scores, 0.7).tolist() == [2, 0, 1]


def test_suppressed_box_does_not_suppress_others():
    # A overlaps B, B overlaps C, A does not overlap C: greedy keeps A and C.
    boxes = np.array([[0.0, 0.0, 10.0, 10.0],
                      [0.0, 5.0, 10.0, 15.0],
                      [0.0, 10.0, 10.0, 20.0]])
    scores = np.array([0.9, 0.8, 0.7])
    assert nms(boxes, scores, 0.3).tolist() == [0, 2]


def test_iou_equal_to_threshold_is_kept():
    boxes = np.array([[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0]])
    threshold = 50 / 150
    assert nms(boxes, np.array([0.9, 0.8]), threshold).tolist() == [0, 1]
    assert nms(boxes, np.array([0.9, 0.8]), threshold - 1e-6).tolist() == [0]


def test_equal_scores_keep_lower_index_first():
    boxes = np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0], [50.0, 50.0, 60.0, 60.0]])
    scores = np.array([0.5, 0.5, 0.5])
    assert nms(boxes, scores, 0.5).tolist() == [0, 2]


def test_max_keep_stops_after_the_best():
    boxes = np.array([[i * 20.0, 0.0, i * 20.0 + 10.0, 10.0] for i in range(5)])
    scores = np.array([0.1, 0.5, 0.3, 0.9, 0.7])
    assert nms(boxes, scores, 0.5, max_keep=3).tolist() == [3, 4, 1]


def test_empty_input_keeps_nothing():
    kept = nms(np.zeros((0, 4)), np.zeros(0), 0.5)
    assert kept.shape == (0,)


@pytest.mark.parametrize('seed', range(5))
def test_matches_textbook_greedy_on_random_clusters(seed):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 100, size=(4, 2))[rng.integers(0, 4, size=40)]
    centres += rng.normal(0, 3, size=centres.shape)
    sizes = rng.uniform(5, 20, size=(40, 2))
    boxes = np.hstack([centres - sizes / 2, centres + sizes / 2])
    scores = rng.uniform(0, 1, size=40)
    for threshold in (0.3, 0.5, 0.7):
        assert nms(boxes, scores, threshold).tolist() == reference_nms(boxes, scores, threshold)


@pytest.mark.parametrize('boxes, scores, threshold, message', [
    (np.zeros((3, 5)), np.zeros(3), 0.5, 'boxes must have shape'),
    (np.zeros((3, 4)), np.zeros(2), 0.5, 'scores must have shape'),
    (np.zeros((3, 4)), np.zeros(3), 1.5, 'iou_threshold'),
])
def test_bad_arguments_name_the_problem(boxes, scores, threshold, message):
    with pytest.raises(ValueError, match=message):
        nms(boxes, scores, threshold)
