"""Depth images as the drivers publish them, read without cv_bridge: raw units kept.

RealSense's ``aligned_depth_to_color`` and OAK-D publish ``16UC1`` (millimetres, 0 where the
sensor has no depth); others ``32FC1`` (metres, NaN or 0 for none). The frame is kept in its
own units and only the few pixels around keypoints are converted, so a 640x480 frame costs
no full-image conversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Encoding -> (numpy dtype, metres per unit).
DEPTH_ENCODINGS: dict[str, tuple[str, float]] = {
    '16UC1': ('u2', 0.001),
    'mono16': ('u2', 0.001),
    '32FC1': ('f4', 1.0),
}


class DepthFormatError(ValueError):
    """A depth image whose encoding, size or data cannot be used."""


@dataclass(frozen=True)
class DepthImage:
    """(H, W) depth in raw units: ``data * scale`` is metres; 0 or NaN is no depth."""

    data: np.ndarray
    scale: float

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @classmethod
    def from_metres(cls, metres: np.ndarray) -> DepthImage:
        return cls(np.asarray(metres, dtype=np.float32), 1.0)

    @classmethod
    def from_millimetres(cls, mm: np.ndarray) -> DepthImage:
        return cls(np.asarray(mm, dtype=np.uint16), 0.001)


def depth_from_fields(encoding: str, width: int, height: int, step: int, data: Any,
                      is_bigendian: int = 0) -> DepthImage:
    """View sensor_msgs/Image fields as a DepthImage (no copy when the buffer allows)."""
    if encoding not in DEPTH_ENCODINGS:
        raise DepthFormatError(
            f'depth encoding {encoding!r} is not supported; use 16UC1 (millimetres) or '
            '32FC1 (metres), as the depth drivers publish')
    kind, scale = DEPTH_ENCODINGS[encoding]
    width, height, step = int(width), int(height), int(step)
    if width <= 0 or height <= 0:
        raise DepthFormatError(f'depth image has size {width}x{height}')
    itemsize = 2 if kind == 'u2' else 4
    if step < width * itemsize or step % itemsize:
        raise DepthFormatError(
            f'{encoding} depth image of width {width} has step {step}; it needs at least '
            f'{width * itemsize}, a multiple of {itemsize}')
    buf = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) \
        else np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    if buf.size < step * height:
        raise DepthFormatError(
            f'{encoding} depth image {width}x{height} (step {step}) needs {step * height} '
            f'bytes, got {buf.size}')
    dtype = np.dtype(('>' if is_bigendian else '<') + kind)
    rows = buf[:step * height].view(dtype).reshape(height, step // itemsize)
    return DepthImage(rows[:, :width], scale)
