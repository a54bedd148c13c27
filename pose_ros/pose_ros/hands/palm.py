"""Palm detection: hands found in the whole image, for people whose body gives no wrist.

MediaPipe's palm_detection model (palm_detection_cpu graph): a 192x192 letterboxed RGB
input, an SSD head over 2016 fixed-size anchors (strides 8, 16, 16, 16), per anchor a box
(centre offset, width, height, input pixels) and 7 palm keypoints (0: wrist centre,
2: middle finger knuckle, used for the hand's rotation), and a score logit. Overlapping
detections of one palm are suppressed with ``pose.nms`` (MediaPipe averages them instead;
the kept box is the best one here, which the landmark model's refinement absorbs).
"""

from __future__ import annotations

from dataclasses import dataclass
import time

import numpy as np

from pose_ros.core.checks import check_score
from pose_ros.core.geometry import sigmoid
from pose_ros.hands.regions import region_from_palm
from pose_ros.pose.families.blazepose import Roi, ssd_anchor_centers
from pose_ros.pose.nms import nms
from pose_ros.pose.preprocess import letterbox

INPUT_SIZE = 192
ANCHOR_STRIDES = (8, 16, 16, 16)
NUM_PALM_KEYPOINTS = 7
PALM_WRIST, PALM_MIDDLE_MCP = 0, 2
NMS_IOU = 0.3  # MediaPipe's suppression threshold for this detector
MAX_LOGIT = 100.0  # MediaPipe clips the raw scores to +-100 before the sigmoid


@dataclass
class Palm:
    """One detected palm in source pixels: score, box (x_min, y_min, x_max, y_max), points."""

    score: float
    box: np.ndarray        # (4,)
    keypoints: np.ndarray  # (7, 2)

    def region(self) -> Roi | None:
        """Return the hand region the landmark model should look in."""
        return region_from_palm(self.box, self.keypoints[PALM_WRIST],
                                self.keypoints[PALM_MIDDLE_MCP])


class PalmDetector:
    """Runs palm_detection on a whole image."""

    def __init__(self, runtime, min_score: float = 0.5) -> None:
        self._anchors = ssd_anchor_centers(INPUT_SIZE, ANCHOR_STRIDES)
        n = len(self._anchors)
        shapes = [o.shape for o in runtime.outputs]
        inputs = [i.shape for i in runtime.inputs]
        wanted = [(1, n, 4 + 2 * NUM_PALM_KEYPOINTS), (1, n, 1)]
        if inputs != [(1, INPUT_SIZE, INPUT_SIZE, 3)] or not all(s in shapes for s in wanted):
            raise ValueError(f'{runtime.path.name!r} is not a palm detection model: expected '
                             f'input (1, {INPUT_SIZE}, {INPUT_SIZE}, 3) and outputs {wanted}, '
                             f'got inputs {inputs} and outputs {shapes}')
        self.runtime = runtime
        self.min_score = check_score('min_score', min_score)
        self._outputs = [shapes.index(s) for s in wanted]
        self.preprocess_s = 0.0

    def detect(self, rgb: np.ndarray, max_palms: int = 4) -> list[Palm]:
        """Return up to ``max_palms`` palms above ``min_score``, best first."""
        t0 = time.perf_counter()
        image, affine = letterbox(rgb, INPUT_SIZE, INPUT_SIZE)
        tensor = image.astype(np.float32) * np.float32(1.0 / 255.0)
        self.preprocess_s = time.perf_counter() - t0
        raw, logits = self.runtime.run(tensor, outputs=self._outputs)
        scores = sigmoid(np.clip(logits[0, :, 0], -MAX_LOGIT, MAX_LOGIT))
        keep = np.flatnonzero(scores >= self.min_score)
        if keep.size == 0:
            return []
        raw, scores = raw[0, keep], scores[keep]
        centres = self._anchors[keep] * INPUT_SIZE
        cxcy = raw[:, 0:2] + centres
        half = 0.5 * raw[:, 2:4]
        boxes = np.concatenate([cxcy - half, cxcy + half], axis=1)
        points = raw[:, 4:].reshape(-1, NUM_PALM_KEYPOINTS, 2) + centres[:, np.newaxis, :]
        inverse = affine.inverse()
        palms = []
        for i in nms(boxes, scores, NMS_IOU, max_palms):
            # Model outputs are continuous pixel positions (0 = left edge); Affine uses centres.
            corners = inverse.apply(boxes[i].reshape(2, 2) - 0.5).reshape(4)
            palms.append(Palm(float(scores[i]), corners, inverse.apply(points[i] - 0.5)))
        return palms
