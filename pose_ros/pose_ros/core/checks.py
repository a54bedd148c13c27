"""Checks on the numbers users give (options, parameters, constructor arguments).

One definition each, so that ``PoseEstimatorOptions``, the model adapters and the filters
refuse a bad value with the same words: the name of the value and what is allowed.
"""

from __future__ import annotations

import math
from numbers import Integral, Real


def check_int(name: str, value: object, minimum: int) -> int:
    """Return ``value`` as an int, or raise ValueError unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f'{name} must be an integer >= {minimum}, got {value!r}')
    return int(value)


def check_score(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise ValueError unless it is a number within [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= value <= 1.0:
        raise ValueError(f'{name} must be within [0, 1], got {value!r}')
    return float(value)


def check_positive(name: str, value: object, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise ValueError unless it is finite and > 0 (or >= 0)."""
    ok = (not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value)
          and (value >= 0.0 if allow_zero else value > 0.0))
    if not ok:
        allowed = '>= 0' if allow_zero else '> 0'
        raise ValueError(f'{name} must be a finite number {allowed}, got {value!r}')
    return float(value)
