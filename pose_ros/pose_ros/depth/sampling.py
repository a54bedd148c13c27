"""A person's depth at each keypoint, robust to holes, edges, shadows and noise.

At a keypoint's pixel a depth camera often sees something else than the body part: a hole
(0 or NaN: projector shadow beside the body, dark or shiny cloth), the wall between the
fingers or beside an arm, the torso behind a wrist, a mixed "flying" pixel on an edge. So a
small window around each keypoint is read (a 7x7 grid of samples whose spacing grows with the
person's size in the image), its valid depths are sorted and cut into clusters wherever two
neighbours differ by more than the noise allows at that distance, and one cluster is chosen:

* the person's reference depth is the largest cluster of a wider window at the torso centre;
* clusters farther than ``BEHIND_M`` behind it (the wall) or nearer than ``FRONT_M`` in front
  of it (something between person and camera) are not the person;
* too small a cluster (under a fifth of the valid samples, or under 3) is noise or a flying
  pixel;
* shoulders and hips take the cluster nearest the torso depth, and none farther from it than
  ``TORSO_SPREAD_M`` (a hand in front of the hip is not the hip, and a hip hidden behind a
  hand gets no depth rather than the hand's); the limbs and the head the nearest cluster to
  the camera (a wrist in front of the torso is in front of it).

Its median is the surface depth. Hand landmarks (``hand_surface_depths``) are chosen as the
limbs are, against their person's torso depth, in smaller windows. Everything is done for
all keypoints of all persons at once with numpy, so six people cost a fraction of a
millisecond (benchmarks/bench_depth.py).
"""

from __future__ import annotations

import numpy as np

from pose_ros.core.hand import NUM_HAND_KEYPOINTS
from pose_ros.core.keypoints import NUM_KEYPOINTS, Keypoint
from pose_ros.depth.image import DepthImage

K = Keypoint
TORSO_JOINTS = (K.LEFT_SHOULDER, K.RIGHT_SHOULDER, K.LEFT_HIP, K.RIGHT_HIP)
_TORSO_MASK = np.zeros(NUM_KEYPOINTS, bool)
_TORSO_MASK[[int(k) for k in TORSO_JOINTS]] = True
# How far the person reaches behind and in front of their torso surface (m).
BEHIND_M = 0.6
FRONT_M = 1.2
# How far a shoulder's or hip's surface may lie from the torso centre's (m): a torso turned
# 45 degrees puts a shoulder about 0.15 m nearer or farther.
TORSO_SPREAD_M = 0.3
# Depth range of real sensors (m); outside it a value is not a measurement.
MIN_DEPTH_M, MAX_DEPTH_M = 0.1, 20.0
GRID = 7                      # samples a side of each window
MIN_CLUSTER = 3
MIN_CLUSTER_SHARE = 0.2
# Window spacing: this share of the torso's length in pixels, between 1 and MAX_SPACING px.
SPACING_PER_TORSO = 0.012
MAX_SPACING = 2
# The torso-centre window is this much wider.
TORSO_WINDOW_SCALE = 3


def cluster_gap_m(z: np.ndarray) -> np.ndarray:
    """Largest step between neighbouring sorted depths of one surface, at depth ``z`` (m).

    Structured-light and stereo noise grows with the square of the distance (Kinect: about
    0.0012 + 0.0019 (z - 0.4)^2 m, Nguyen et al. 2012), and so does the quantisation step of
    a disparity-based sensor; this is a few sigmas of that plus a margin for the body's own
    curvature inside the window.
    """
    return 0.05 + 0.008 * np.square(z)


def _offsets(spacing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g = np.arange(GRID) - GRID // 2
    dy, dx = np.meshgrid(g, g, indexing='ij')
    return (spacing[:, None] * dx.reshape(1, -1), spacing[:, None] * dy.reshape(1, -1))


def read_windows(depth: DepthImage, pixels: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """Return (N, GRID*GRID) depths in metres around each pixel, NaN where there is none."""
    h, w = depth.data.shape
    ox, oy = _offsets(spacing)
    cx = np.rint(pixels[:, 0]).astype(np.int64)
    cy = np.rint(pixels[:, 1]).astype(np.int64)
    xs = cx[:, None] + ox
    ys = cy[:, None] + oy
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    raw = depth.data[np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)]
    z = raw.astype(np.float32) * np.float32(depth.scale)
    good = inside & np.isfinite(z) & (z >= MIN_DEPTH_M) & (z <= MAX_DEPTH_M)
    return np.where(good, z, np.float32(np.nan))


def clusters(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each row's valid depths into clusters of nearby values.

    Return (median, count, valid) of shapes (N, M), (N, M), (N,): cluster medians in
    ascending depth order (NaN past the last cluster), their sizes, and each row's number of
    valid samples.
    """
    n, m = z.shape
    s = np.sort(z, axis=1)                       # NaN last
    valid = np.isfinite(s)
    n_valid = valid.sum(axis=1)
    gap = np.diff(s, axis=1) > cluster_gap_m(s[:, :-1])
    label = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(gap, axis=1)], axis=1)
    label = np.where(valid, label, m)            # invalid samples into a bin of their own
    flat = (np.arange(n)[:, None] * (m + 1) + label).ravel()
    count = np.bincount(flat, minlength=n * (m + 1)).reshape(n, m + 1)[:, :m]
    start = np.cumsum(count, axis=1) - count
    mid = np.clip(start + (count - 1) // 2, 0, m - 1)
    median = np.take_along_axis(s, mid, axis=1)
    median = np.where(count > 0, median, np.nan)
    return median, count, n_valid


def torso_depth(depth: DepthImage, keypoints: np.ndarray, min_score: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Return each person's torso depth (P,) in metres (NaN when unknown) and torso pixels.

    ``keypoints``: (P, 17, 3) x, y, score. The torso centre is the mean of the shoulders and
    hips that were found; the torso length in pixels (shoulder midpoint to hip midpoint, or
    the shoulder width times 1.3) sizes the windows.
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    found = kp[:, :, 2] >= min_score
    ls, rs, lh, rh = (int(k) for k in TORSO_JOINTS)
    shoulders_ok = found[:, ls] & found[:, rs]
    hips_ok = found[:, lh] & found[:, rh]
    mid_s = (kp[:, ls, :2] + kp[:, rs, :2]) / 2
    mid_h = (kp[:, lh, :2] + kp[:, rh, :2]) / 2
    torso_len = np.where(hips_ok & shoulders_ok, np.linalg.norm(mid_s - mid_h, axis=1),
                         1.3 * np.linalg.norm(kp[:, ls, :2] - kp[:, rs, :2], axis=1))
    torso_len = np.where(shoulders_ok, torso_len, np.nan)
    # Halfway from the shoulders to the hips (the belly, below crossed arms); without hips,
    # below the shoulders by 0.4 of the estimated torso length.
    centre = np.where((hips_ok & shoulders_ok)[:, None], mid_s + (mid_h - mid_s) * 0.5,
                      mid_s + np.array([0.0, 0.4]) * np.nan_to_num(torso_len)[:, None])
    spacing = np.clip(np.nan_to_num(torso_len) * SPACING_PER_TORSO, 1, MAX_SPACING)
    spacing = np.rint(spacing * TORSO_WINDOW_SCALE).astype(np.int64)
    z = read_windows(depth, centre, spacing)
    median, count, _ = clusters(z)
    best = np.argmax(count, axis=1)
    ref = np.take_along_axis(median, best[:, None], axis=1)[:, 0]
    ok = shoulders_ok & (count.max(axis=1) >= MIN_CLUSTER)
    return np.where(ok, ref, np.nan), torso_len


def _choose(median: np.ndarray, count: np.ndarray, n_valid: np.ndarray, ref: np.ndarray,
            torso_joint: np.ndarray) -> np.ndarray:
    """Return each window's surface depth (N,) from its clusters (NaN: none is the person's).

    ``ref`` (N,): the person's torso depth per window; ``torso_joint`` (N,): the window is a
    shoulder's or hip's.
    """
    ref = ref[:, None]
    torso_joint = torso_joint[:, None]
    known = np.isfinite(ref)
    big = (count >= MIN_CLUSTER) & (count >= MIN_CLUSTER_SHARE * n_valid[:, None])
    near_person = (median <= ref + BEHIND_M) & (median >= ref - FRONT_M)
    near_person &= ~torso_joint | (np.abs(median - ref) <= TORSO_SPREAD_M)
    eligible = big & np.where(known, near_person, True)
    # Torso joints: the cluster nearest the torso depth; the others: the nearest one to the
    # camera; without a reference, the largest cluster.
    cost = np.where(torso_joint & known, np.abs(median - ref),
                    np.where(known, median, -count.astype(np.float64)))
    cost = np.where(eligible, cost, np.inf)
    choice = np.argmin(cost, axis=1)
    out = np.take_along_axis(median, choice[:, None], axis=1)[:, 0]
    return np.where(np.isfinite(np.take_along_axis(cost, choice[:, None], axis=1)[:, 0]),
                    out, np.nan)


def _usable(depth: DepthImage, px: np.ndarray, scores: np.ndarray, min_score: float
            ) -> np.ndarray:
    """Return which points (N,) may get a depth: scored enough, finite, inside the image."""
    h, w = depth.data.shape
    inside = (px[:, 0] > -0.5) & (px[:, 0] < w - 0.5) & (px[:, 1] > -0.5) & (px[:, 1] < h - 0.5)
    return (scores >= min_score) & np.isfinite(px).all(axis=1) & inside


def surface_depths(depth: DepthImage, keypoints: np.ndarray, min_score: float,
                   reference: np.ndarray | None = None, torso_px: np.ndarray | None = None
                   ) -> np.ndarray:
    """Return (P, 17) depths in metres of the body surface at each keypoint (NaN: none).

    Keypoints scoring below ``min_score`` or outside the image get NaN. ``reference`` and
    ``torso_px`` are ``torso_depth``'s results (computed here when not given).
    """
    kp = np.asarray(keypoints, dtype=np.float64).reshape(-1, NUM_KEYPOINTS, 3)
    p = kp.shape[0]
    if p == 0:
        return np.zeros((0, NUM_KEYPOINTS))
    if reference is None or torso_px is None:
        reference, torso_px = torso_depth(depth, kp, min_score)
    spacing = np.clip(np.rint(np.nan_to_num(torso_px, nan=0.0) * SPACING_PER_TORSO), 1,
                      MAX_SPACING).astype(np.int64)
    px = kp[:, :, :2].reshape(-1, 2)
    z = read_windows(depth, px, np.repeat(spacing, NUM_KEYPOINTS))
    out = _choose(*clusters(z), np.repeat(reference, NUM_KEYPOINTS), np.tile(_TORSO_MASK, p))
    found = _usable(depth, px, kp[:, :, 2].reshape(-1), min_score)
    return np.where(found, out, np.nan).reshape(p, NUM_KEYPOINTS)


def hand_surface_depths(depth: DepthImage, hands: np.ndarray, min_score: float,
                        reference: np.ndarray) -> np.ndarray:
    """Return (H, 21) depths in metres of the skin at each hand landmark (NaN: none).

    ``hands``: (H, 21, 3) x, y, score; ``reference`` (H,): the torso depth of the person
    each hand belongs to (``torso_depth``; NaN when unknown). Chosen as for the body's limbs:
    the nearest cluster to the camera that can be the person's, so the wall seen between the
    fingers is not taken. The windows have the smallest spacing (1 px, 7x7 px in all): a
    finger is only a few pixels wide.
    """
    kp = np.asarray(hands, dtype=np.float64).reshape(-1, NUM_HAND_KEYPOINTS, 3)
    n = kp.shape[0]
    if n == 0:
        return np.zeros((0, NUM_HAND_KEYPOINTS))
    px = kp[:, :, :2].reshape(-1, 2)
    z = read_windows(depth, np.nan_to_num(px), np.ones(len(px), np.int64))
    out = _choose(*clusters(z), np.repeat(np.asarray(reference, np.float64), NUM_HAND_KEYPOINTS),
                  np.zeros(len(px), bool))
    found = _usable(depth, px, kp[:, :, 2].reshape(-1), min_score)
    return np.where(found, out, np.nan).reshape(n, NUM_HAND_KEYPOINTS)
