"""Greedy non-maximum suppression for detector-style pose models.

Anchor-based models such as YOLO-pose report every person many times, once per
anchor that saw them; without suppression the gesture node would see crowds.
"""

from __future__ import annotations

import numpy as np

from pose_ros.core.geometry import box_iou


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float,
        max_keep: int | None = None) -> np.ndarray:
    """Keep the best-scoring box of every overlapping group; return kept indices, best first.

    A box is dropped when its IoU with an already kept, higher-scoring box is strictly
    greater than ``iou_threshold``. Ties in score keep the lower index first, so the
    result does not depend on the sort's stability.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f'nms boxes must have shape (N, 4) as x_min, y_min, x_max, y_max; '
                         f'got {boxes.shape}')
    if scores.shape != (boxes.shape[0],):
        raise ValueError(f'nms scores must have shape ({boxes.shape[0]},) to match the boxes; '
                         f'got {scores.shape}')
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f'nms iou_threshold must be within [0, 1], got {iou_threshold}')
    if max_keep is not None and max_keep < 0:
        raise ValueError(f'nms max_keep must be >= 0 or None, got {max_keep}')
    order = np.lexsort((np.arange(len(scores)), -scores))
    keep: list[int] = []
    limit = len(order) if max_keep is None else max_keep
    while order.size and len(keep) < limit:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        order = rest[box_iou(boxes[best], boxes[rest]) <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)
