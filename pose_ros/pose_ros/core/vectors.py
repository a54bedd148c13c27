"""The angle between two directions: one definition for the image plane and for 3D.

The gesture features measure joints in the image plane and the kinematics measure them in
3D when depth gives positions; both must call the same angle the same thing, so a joint
reported by one agrees with the other whenever the limb lies in the image plane.
"""

from __future__ import annotations

import math

import numpy as np

# Directions shorter than this (pixels or metres) have no angle: the two points coincide.
MIN_LENGTH = 1e-6


def angle_between(v1: np.ndarray, v2: np.ndarray) -> float | None:
    """Return the angle between ``v1`` and ``v2`` (2D or 3D) in degrees, 0..180.

    None when either is shorter than ``MIN_LENGTH`` or not finite: a direction that does
    not exist must not read as 0 or 180. Computed as atan2(|v1 x v2|, v1 . v2), which stays
    accurate near 0 and 180 degrees (straight limbs), where acos of the cosine does not.
    """
    a, b = np.asarray(v1, dtype=np.float64), np.asarray(v2, dtype=np.float64)
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if not (math.isfinite(na) and math.isfinite(nb)) or na <= MIN_LENGTH or nb <= MIN_LENGTH:
        return None
    a, b = a / na, b / nb
    if a.shape[-1] == 2:
        cross = abs(float(a[0] * b[1] - a[1] * b[0]))
    else:
        cross = float(np.linalg.norm(np.cross(a, b)))
    return math.degrees(math.atan2(cross, float(np.dot(a, b))))
