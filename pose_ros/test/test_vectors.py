"""The one angle definition shared by the gesture features and the kinematics."""

import math

import numpy as np
import pytest

from pose_ros.core.vectors import angle_between


@pytest.mark.parametrize('v1, v2, expected', [
    ((1, 0), (0, 1), 90.0), ((1, 0), (-1, 0), 180.0), ((2, 0), (3, 3), 45.0),
    ((1, 0, 0), (0, 0, 5), 90.0), ((1, 1, 0), (1, 0, 0), 45.0), ((0, 0, 1), (0, 0, 2), 0.0),
    ((1, 0, 0), (-1, 0, 1e-7), 180.0 - math.degrees(1e-7)),
])
def test_angles_between_known_directions(v1, v2, expected):
    assert angle_between(np.array(v1, float), np.array(v2, float)) == pytest.approx(
        expected, abs=1e-9)


def test_a_nearly_straight_limb_keeps_its_small_bend():
    # acos of the cosine loses a 1e-5 degree bend entirely; atan2 keeps it.
    bend = math.radians(1e-5)
    got = angle_between(np.array([1.0, 0.0]), np.array([-math.cos(bend), math.sin(bend)]))
    assert 180.0 - got == pytest.approx(1e-5, rel=1e-3)


@pytest.mark.parametrize('v1, v2', [((0, 0), (1, 0)), ((1, 0, 0), (0, 0, 0)),
                                    ((np.nan, 0, 1), (1, 0, 0)), ((np.inf, 0), (1, 0))])
def test_no_direction_has_no_angle(v1, v2):
    assert angle_between(np.array(v1, float), np.array(v2, float)) is None
