"""What the decoder tests share: a stand-in for the TFLite runtime and the source-frame geometry.

A plain module like synthetic_people: the tests import it as ``from fake_runtime import ...``
(pytest puts this directory on sys.path).
"""

import numpy as np

from pose_ros.core.keypoints import NUM_KEYPOINTS
from pose_ros.pose.runtime import TensorInfo, dequantize, quantize

# (dtype, scale, zero point) of an output quantized over [0, 1], as the int8 exports do it.
UNIT_QUANT = {
    'float': (np.float32, 0.0, 0),
    'uint8': (np.uint8, 1 / 255, 0),
    'int8': (np.int8, 1 / 255, -128),
}


def tensor(name, index, shape, dtype=np.float32, scale=0.0, zero_point=0):
    return TensorInfo(name, index, tuple(shape), np.dtype(dtype), scale, zero_point)


class FakeRuntime:
    """Gives the adapter what Runtime.run would: outputs stored in their tensor's dtype.

    Quantized outputs are quantized here and dequantized on every run, exactly the
    path the real runtime takes.
    """

    last_invoke_s = 0.0042

    def __init__(self, inputs, outputs, values):
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.stored = [quantize(v, i) if i.quantized else np.asarray(v, np.float32)
                       for v, i in zip(values, self.outputs, strict=True)]
        self.fed = []

    def run(self, *inputs):
        (x,) = inputs
        if x.shape != self.inputs[0].shape:
            raise ValueError(f'fed {x.shape}, model takes {self.inputs[0].shape}')
        self.fed.append(x)
        return [dequantize(q, i) for q, i in zip(self.stored, self.outputs, strict=True)]


def logit(p, eps=0.0):
    """Inverse of the sigmoid; with ``eps`` > 0, ``p`` is first clipped to [eps, 1 - eps]."""
    if eps:
        p = np.clip(p, eps, 1 - eps)
    return np.log(p / (1 - p))


class SourceFrame:
    """A width x height source image and its letterbox into a model input.

    ``in_w`` and ``in_h`` are the model input size ``to_input`` uses when given none.
    """

    def __init__(self, width, height, in_w=None, in_h=None):
        self.width, self.height = width, height
        self.in_w, self.in_h = in_w, in_h

    def to_input(self, points, in_w=None, in_h=None):
        """Map source pixel centres into the centred, aspect-keeping letterbox of in_w x in_h.

        Returns the mapped points and the source->input scale.
        """
        in_w = self.in_w if in_w is None else in_w
        in_h = self.in_h if in_h is None else in_h
        if in_w is None or in_h is None:
            raise TypeError('to_input needs the model input size: in_w and in_h')
        s = min(in_w / self.width, in_h / self.height)
        new_w, new_h = round(self.width * s), round(self.height * s)
        sx, sy = new_w / self.width, new_h / self.height
        left, top = (in_w - new_w) // 2, (in_h - new_h) // 2
        x = (points[:, 0] + 0.5) * sx - 0.5 + left
        y = (points[:, 1] + 0.5) * sy - 0.5 + top
        return np.stack([x, y], axis=1), min(sx, sy)

    def image(self, seed=0):
        """Random RGB pixels of the source size."""
        return np.random.default_rng(seed).integers(
            0, 256, (self.height, self.width, 3), dtype=np.uint8)

    def ground_truth(self, rng, margin, score_range, n=NUM_KEYPOINTS, score_dtype=None):
        """Return n keypoints at least ``margin`` px inside the frame, scores in score_range."""
        xy = np.stack([rng.uniform(margin, self.width - margin, n),
                       rng.uniform(margin, self.height - margin, n)], axis=1)
        scores = rng.uniform(*score_range, n)
        return xy, (scores if score_dtype is None else scores.astype(score_dtype))
