"""The hand landmark model on one region: 21 keypoints in image pixels, presence, handedness.

MediaPipe's hand_landmark model (hand_landmark_cpu graph) takes a 224x224 RGB crop in
[0, 1] with the hand upright and returns 21 landmarks in crop pixels (x, y, relative
depth), a hand presence probability and a handedness probability.

Handedness: MediaPipe documents its handedness as assuming a mirrored (selfie) image;
its graph reads this one-value output as the score of the first label of
handedness.txt, "Left". In an unmirrored camera image, as robot cameras give, a hand
MediaPipe would label "Left" is the person's own right hand. So ``right_score`` here is the
output unchanged, read as the probability that this is the person's own right hand; no
image is flipped. Checked on rendered people (test_hands): the hand at the body's right
wrist scores 0.97, the one at its left wrist 0.08.
"""

from __future__ import annotations

from dataclasses import dataclass
import time

import cv2
import numpy as np

# Handedness and HandLandmark are defined in core (messages and gestures use them too).
from pose_ros.core.hand import NUM_HAND_KEYPOINTS, Handedness, HandLandmark  # noqa: F401
from pose_ros.pose.families.blazepose import Roi
from pose_ros.pose.preprocess import crop_rotated
from pose_ros.pose.runtime import Runtime

INPUT_SIZE = 224
NUM_HAND_LANDMARKS = NUM_HAND_KEYPOINTS
# Output tensors of hand_landmark_{full,lite}.tflite, by name (two have shape (1, 63) and
# two (1, 1), so shapes alone cannot tell them apart).
SCREEN_OUTPUT = 'Identity'       # (1, 63): x, y in crop pixels, z relative, per landmark
PRESENCE_OUTPUT = 'Identity_1'   # (1, 1): probability that a hand is in the crop
HANDEDNESS_OUTPUT = 'Identity_2'  # (1, 1): MediaPipe's 'Left' score (mirror convention)


@dataclass
class HandLandmarks:
    """One run of the landmark model, in source-image pixels.

    ``keypoints`` (21, 3) float32: x, y, score. The model gives no per-landmark confidence,
    so each score is the hand's presence. ``depth`` (21,): the model's relative depth of
    each landmark, crop pixels scaled to source pixels (smaller is nearer the camera).
    """

    keypoints: np.ndarray
    depth: np.ndarray
    presence: float
    right_score: float

    @property
    def handedness(self) -> Handedness:
        """Return the person's own hand the model sees (its score decides at 0.5)."""
        return Handedness.RIGHT if self.right_score >= 0.5 else Handedness.LEFT


class HandLandmarker:
    """Runs hand_landmark on rotated crops of an image."""

    def __init__(self, runtime: Runtime) -> None:
        inputs = [i.shape for i in runtime.inputs]
        if inputs != [(1, INPUT_SIZE, INPUT_SIZE, 3)]:
            raise ValueError(f'{runtime.path.name!r} is not a hand landmark model: expected one '
                             f'input (1, {INPUT_SIZE}, {INPUT_SIZE}, 3), got {inputs}')
        names = {o.name: o for o in runtime.outputs}
        expected = {SCREEN_OUTPUT: (1, 3 * NUM_HAND_LANDMARKS), PRESENCE_OUTPUT: (1, 1),
                    HANDEDNESS_OUTPUT: (1, 1)}
        for name, shape in expected.items():
            if name not in names or names[name].shape != shape:
                raise ValueError(f'{runtime.path.name!r} is not a hand landmark model: expected '
                                 f'output {name!r} of shape {shape}; it has '
                                 f'{[(o.name, o.shape) for o in runtime.outputs]}')
        self.runtime = runtime
        self._outputs = [runtime.outputs.index(names[n]) for n in expected]
        self._input = np.empty((INPUT_SIZE, INPUT_SIZE, 3), np.float32)
        self.preprocess_s = 0.0

    def run(self, rgb: np.ndarray, roi: Roi) -> HandLandmarks:
        """Return the hand in ``roi`` of an RGB uint8 image, whatever its presence score."""
        t0 = time.perf_counter()
        crop, affine = crop_rotated(rgb, roi.center, roi.size, roi.angle,
                                    INPUT_SIZE, INPUT_SIZE)
        np.multiply(crop, np.float32(1.0 / 255.0), out=self._input)
        self.preprocess_s = time.perf_counter() - t0
        screen, presence, handedness = self.runtime.run(self._input, outputs=self._outputs)
        lm = screen.reshape(NUM_HAND_LANDMARKS, 3)
        # Crop pixels (continuous, 0 = left edge) -> pixel centres -> source image.
        xy = cv2.transform((lm[:, :2] - 0.5).reshape(1, -1, 2).astype(np.float64),
                           cv2.invertAffineTransform(affine.matrix))[0]
        p = float(presence.reshape(-1)[0])
        keypoints = np.empty((NUM_HAND_LANDMARKS, 3), np.float32)
        keypoints[:, :2] = xy
        keypoints[:, 2] = p
        depth = (lm[:, 2] * (roi.size / INPUT_SIZE)).astype(np.float32)
        return HandLandmarks(keypoints, depth, p, float(handedness.reshape(-1)[0]))
