"""MediaPipe Holistic's hand re-crop model: a better hand region inside a rough one.

``hand_recrop.tflite`` (holistic_landmark, hand_recrop_by_roi_cpu graph) takes a 256x256
RGB crop in [0, 1] of a region that should hold a hand (Holistic's comes from the body's
wrist and knuckle points) and returns two points in crop pixels: the new region's centre
and a point whose distance from it is half the new region's side, on the wrist's side of
the centre. Its graph turns them into a square region (AlignmentPointsRectsCalculator, the
rotation taking the second point straight below the first) moved a tenth of its side
toward the fingers. One run costs a fraction of a hand landmark run (a 124 KB model).
"""

from __future__ import annotations

import cv2
import numpy as np

from pose_ros.hands.regions import MIN_SIZE, transformed
from pose_ros.pose.families.blazepose import Roi
from pose_ros.pose.preprocess import crop_rotated, upright_angle
from pose_ros.pose.runtime import Runtime

INPUT_SIZE = 256
# hand_recrop_by_roi_cpu: the region's side is twice the distance between the two points,
# then shifted along its own vertical axis (negative: toward the fingers).
SIDE_PER_DISTANCE = 2.0
RECROP_SHIFT = -0.1


class HandRecropper:
    """Runs hand_recrop on rotated crops of an image."""

    def __init__(self, runtime: Runtime) -> None:
        inputs = [i.shape for i in runtime.inputs]
        outputs = [o.shape for o in runtime.outputs]
        if inputs != [(1, INPUT_SIZE, INPUT_SIZE, 3)] or outputs != [(1, 1, 1, 4)]:
            raise ValueError(f'{runtime.path.name!r} is not the hand re-crop model: expected '
                             f'input (1, {INPUT_SIZE}, {INPUT_SIZE}, 3) and output (1, 1, 1, '
                             f'4), got {inputs} and {outputs}')
        self.runtime = runtime
        self._input = np.empty((INPUT_SIZE, INPUT_SIZE, 3), np.float32)

    def run(self, rgb: np.ndarray, roi: Roi) -> Roi | None:
        """Return the hand region the model finds in ``roi`` (None if it collapses)."""
        crop, affine = crop_rotated(rgb, roi.center, roi.size, roi.angle,
                                    INPUT_SIZE, INPUT_SIZE)
        np.multiply(crop, np.float32(1.0 / 255.0), out=self._input)
        (out,) = self.runtime.run(self._input)
        points = out.reshape(2, 2).astype(np.float64) - 0.5  # crop pixel centres
        centre, scale = cv2.transform(points.reshape(1, 2, 2),
                                      cv2.invertAffineTransform(affine.matrix))[0]
        side = SIDE_PER_DISTANCE * float(np.hypot(*(scale - centre)))
        if not side >= MIN_SIZE:
            return None
        return transformed(centre, side, side, upright_angle(scale, centre), 1.0,
                           RECROP_SHIFT)
