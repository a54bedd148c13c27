"""One Euro filtering of keypoints, so gestures see steady joints without lag on fast moves.

The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) is a low-pass filter whose
cut-off rises with the signal's speed: at rest jitter is removed by a low cut-off,
and when a limb moves the cut-off opens up so the output keeps up with it:

    alpha(fc, dt) = 1 / (1 + tau / dt),  tau = 1 / (2 pi fc)
    dx_hat  = lowpass(dx, alpha(d_cutoff))        dx = (x - x_hat_prev) / dt
    fc      = min_cutoff + beta * |dx_hat|
    x_hat   = lowpass(x, alpha(fc))

Cut-offs are in Hz; ``beta`` multiplies a speed, so its unit is "per unit of x per
second". ``KeypointSmoother`` measures speed in person-box diagonals per second, so
one ``beta`` works whether a person is 100 or 1000 pixels tall.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from pose_ros.core.checks import check_positive
from pose_ros.core.keypoints import Pose


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff, dtype=np.float64))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter applied element-wise to an array of any fixed shape.

    Each element has its own state and may be reset alone (see ``reset`` and the
    ``mask`` argument), so a joint that vanishes does not drag its old position
    into its next appearance.

    Time handling: ``dt == 0`` (the same stamp twice) returns the previous output
    unchanged and leaves the state alone; ``dt < 0`` (time went backwards, e.g. a
    bag looping or sim time restarting) resets the filter and starts again from
    ``x``.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0,
                 d_cutoff: float = 1.0) -> None:
        self.min_cutoff = check_positive('min_cutoff', min_cutoff)
        self.beta = check_positive('beta', beta, allow_zero=True)
        self.d_cutoff = check_positive('d_cutoff', d_cutoff)
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._ready: np.ndarray | None = None
        self._out: np.ndarray | None = None
        self._t: float | None = None

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Forget all state, or only the elements where ``mask`` is true."""
        if mask is None or self._ready is None:
            self._x = self._dx = self._ready = self._out = None
            self._t = None
            return
        self._ready &= ~np.broadcast_to(np.asarray(mask, dtype=bool), self._ready.shape)

    def __call__(self, x: np.ndarray, t: float, speed_scale: float | np.ndarray = 1.0,
                 mask: np.ndarray | None = None) -> np.ndarray:
        """Filter one sample taken at time ``t`` seconds.

        ``speed_scale`` divides the speed before it opens the cut-off (pass the
        size of the thing moving to make ``beta`` scale-free). Elements where
        ``mask`` is false are returned unfiltered and their state is reset.
        """
        x = np.asarray(x, dtype=np.float64)
        t = float(t)
        if self._x is not None and self._x.shape != x.shape:
            raise ValueError(
                f'OneEuroFilter was fed shape {self._x.shape}, now got {x.shape}; '
                f'call reset() before changing shape')
        valid = (np.ones(x.shape, dtype=bool) if mask is None
                 else np.broadcast_to(np.asarray(mask, dtype=bool), x.shape))
        valid = valid & np.isfinite(x)
        if self._t is not None:
            dt = t - self._t
            if dt == 0.0:
                return self._out.copy()
            if dt < 0.0:
                self.reset()
        if self._x is None:
            self._x = np.where(valid, x, 0.0)
            self._dx = np.zeros_like(x)
            self._ready = valid.copy()
            self._out = x.copy()
            self._t = t
            return x.copy()

        dt = t - self._t
        going = valid & self._ready
        dx = np.where(going, (x - self._x) / dt, 0.0)
        a_d = _alpha(self.d_cutoff, dt)
        dx_hat = np.where(going, self._dx + a_d * (dx - self._dx), 0.0)
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat) / speed_scale
        x_hat = self._x + _alpha(cutoff, dt) * (x - self._x)
        out = np.where(going, x_hat, x)
        self._x = np.where(valid, out, 0.0)
        self._dx = dx_hat
        self._ready = valid.copy()
        self._out = out
        self._t = t
        return out.copy()


def pose_scale(pose: Pose) -> float:
    """Return the person's box diagonal in pixels, the unit speeds are measured in."""
    x0, y0, x1, y1 = pose.box
    if not (x1 > x0 and y1 > y0):
        x0, y0, x1, y1 = pose.box_from_keypoints()
    return max(math.hypot(x1 - x0, y1 - y0), 1.0)


class KeypointSmoother:
    """Smooth the x, y of each tracked person's keypoints with One Euro filters.

    Speeds are measured in box diagonals per second (``pose_scale``), so ``beta``
    is per (box diagonal / s): with ``beta=0.05`` a joint crossing one body height
    per second raises the cut-off by only 0.05 Hz. The default ``beta`` is chosen
    for gesture control at 15-30 fps: a wave of about one diagonal per second opens
    the cut-off from 1 Hz to about 5 Hz.

    People are told apart by ``track_id``. Untracked poses (``track_id == -1``):
    when exactly one is given it is smoothed as the single person a single-pose
    model reports; when several are given they cannot be told apart, so they pass
    through unsmoothed and the untracked state is dropped. Keypoints scoring below
    ``min_score`` pass through unsmoothed and their filter is reset, so a joint that
    comes back does not slew from where it was last seen. A track missing from an
    update loses its state. Scores, boxes and ids are passed through unchanged.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 4.0, d_cutoff: float = 1.0,
                 min_score: float = 0.1) -> None:
        check_positive('min_cutoff', min_cutoff)
        check_positive('beta', beta, allow_zero=True)
        check_positive('d_cutoff', d_cutoff)
        self.min_cutoff = float(min_cutoff)
        self.beta = float(beta)
        self.d_cutoff = float(d_cutoff)
        self.min_score = float(min_score)
        self._filters: dict[int, OneEuroFilter] = {}

    def reset(self) -> None:
        """Forget every person, e.g. after a camera switch or a pause."""
        self._filters.clear()

    def update(self, poses: list[Pose], timestamp_s: float) -> list[Pose]:
        """Return smoothed copies of ``poses``; the inputs are not modified."""
        untracked = sum(1 for p in poses if p.track_id < 0)
        seen: set[int] = set()
        out: list[Pose] = []
        for pose in poses:
            key = pose.track_id if pose.track_id >= 0 else -1
            if key == -1 and untracked != 1:
                out.append(dataclasses.replace(pose, keypoints=pose.keypoints.copy()))
                continue
            if key in seen:  # Duplicate id in one frame: smoothing would mix two bodies.
                out.append(dataclasses.replace(pose, keypoints=pose.keypoints.copy()))
                continue
            seen.add(key)
            filt = self._filters.get(key)
            if filt is None:
                filt = OneEuroFilter(self.min_cutoff, self.beta, self.d_cutoff)
                self._filters[key] = filt
            valid = (pose.keypoints[:, 2] >= self.min_score)[:, None]
            xy = filt(pose.keypoints[:, :2], timestamp_s, speed_scale=pose_scale(pose),
                      mask=valid)
            kp = pose.keypoints.copy()
            kp[:, :2] = xy
            out.append(dataclasses.replace(pose, keypoints=kp))
        for key in list(self._filters):
            if key not in seen:
                del self._filters[key]
        return out
