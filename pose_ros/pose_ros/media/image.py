"""sensor_msgs/Image <-> numpy without cv_bridge.

cv_bridge is not on PyPI, so the pose node cannot rely on it being importable
(pip-only installs, CI). These helpers read the message fields directly with
``np.frombuffer`` so a 1080p frame costs one colour conversion and nothing more.

Only 8-bit encodings are handled; ``is_bigendian`` has no meaning for single-byte
channels and is accepted so a message can be passed through field by field.
"""

from __future__ import annotations

import array
from typing import Any

import cv2
import numpy as np

# Encoding -> (bytes per pixel, cv2 conversion to RGB or None when already RGB).
# ROS's 'yuv422' is UYVY byte order; 'yuv422_yuy2' and the V4L2 name 'yuyv' are YUYV.
_ENCODINGS: dict[str, tuple[int, int | None]] = {
    'rgb8': (3, None),
    'bgr8': (3, cv2.COLOR_BGR2RGB),
    'mono8': (1, cv2.COLOR_GRAY2RGB),
    'rgba8': (4, cv2.COLOR_RGBA2RGB),
    'bgra8': (4, cv2.COLOR_BGRA2RGB),
    'yuv422': (2, cv2.COLOR_YUV2RGB_UYVY),
    'yuv422_yuy2': (2, cv2.COLOR_YUV2RGB_YUY2),
    'yuyv': (2, cv2.COLOR_YUV2RGB_YUYV),
}

SUPPORTED_ENCODINGS: tuple[str, ...] = tuple(_ENCODINGS)

# Encodings rgb_to_image_data can produce for publishing.
PUBLISH_ENCODINGS: tuple[str, ...] = ('rgb8', 'bgr8')

_YUV422 = ('yuv422', 'yuv422_yuy2', 'yuyv')


class ImageFormatError(ValueError):
    """An Image message whose encoding, geometry or data cannot be converted."""


def _as_bytes_array(data: Any) -> np.ndarray:
    """View ``data`` as a flat uint8 array without copying where the buffer allows it."""
    if isinstance(data, np.ndarray):
        flat = np.ascontiguousarray(data).reshape(-1)
        return flat.view(np.uint8)
    if isinstance(data, (bytes, bytearray, memoryview, array.array)):
        return np.frombuffer(data, dtype=np.uint8)
    if isinstance(data, (list, tuple)):
        # Some message implementations hand out lists; correct but slow.
        return np.asarray(data, dtype=np.uint8)
    raise ImageFormatError(
        f'Image data must be bytes, bytearray, memoryview, array.array or numpy array, '
        f'got {type(data).__name__}')


def image_to_rgb(encoding: str, width: int, height: int, step: int, data: Any,
                 is_bigendian: int = 0) -> np.ndarray:
    """Convert raw Image fields to an (H, W, 3) uint8 RGB array that owns its memory.

    The result never aliases ``data``, so callers may draw on it while the message
    buffer is reused by the middleware. Data longer than ``step * height`` is
    accepted and the excess ignored; shorter data is an error.
    """
    del is_bigendian  # Single-byte channels: byte order does not apply.
    enc = encoding.lower() if isinstance(encoding, str) else encoding
    if enc not in _ENCODINGS:
        raise ImageFormatError(
            f'unsupported image encoding {encoding!r}; supported: '
            f'{", ".join(SUPPORTED_ENCODINGS)}')
    channels, code = _ENCODINGS[enc]
    width, height, step = int(width), int(height), int(step)
    if width <= 0 or height <= 0:
        raise ImageFormatError(
            f'{enc} image has size {width}x{height}; width and height must be positive')
    if enc in _YUV422 and width % 2:
        raise ImageFormatError(
            f'{enc} image has odd width {width}; YUV 4:2:2 packs two pixels per '
            f'4 bytes, so width must be even')
    row_bytes = width * channels
    if step < row_bytes:
        raise ImageFormatError(
            f'{enc} image {width}x{height} has step {step}, smaller than one row of '
            f'{row_bytes} bytes ({width} px * {channels} bytes)')
    buf = _as_bytes_array(data)
    needed = step * height
    if buf.size < needed:
        raise ImageFormatError(
            f'{enc} image {width}x{height} with step {step} needs {needed} bytes of data, '
            f'got {buf.size} (truncated message?)')
    rows = buf[:needed].reshape(height, step)
    if step != row_bytes:
        rows = rows[:, :row_bytes]
    pixels = rows.reshape(height, width, channels)
    if code is None:
        return np.array(pixels, dtype=np.uint8, order='C', copy=True)
    if channels == 1:
        pixels = pixels[:, :, 0]
    return np.ascontiguousarray(cv2.cvtColor(pixels, code))


def image_msg_to_rgb(msg: Any) -> np.ndarray:
    """Convert anything shaped like sensor_msgs/Image; duck-typed so tests need no ROS."""
    fields = {}
    for name in ('encoding', 'width', 'height', 'step', 'data'):
        if not hasattr(msg, name):
            raise ImageFormatError(
                f'image message {type(msg).__name__} has no field {name!r}; expected a '
                f'sensor_msgs/Image (encoding, width, height, step, data)')
        fields[name] = getattr(msg, name)
    return image_to_rgb(is_bigendian=getattr(msg, 'is_bigendian', 0), **fields)


def rgb_to_image_data(rgb: np.ndarray, encoding: str = 'rgb8') -> tuple[str, int, bytes]:
    """Return (encoding, step, data) ready to assign to an Image message.

    ``data`` is ``bytes`` on purpose: rclpy copies an assigned array or memoryview
    element by element (tens of ms per frame), while bytes are taken in one copy.
    """
    if encoding not in PUBLISH_ENCODINGS:
        raise ImageFormatError(
            f'cannot publish encoding {encoding!r}; allowed: {", ".join(PUBLISH_ENCODINGS)}')
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ImageFormatError(
            f'rgb_to_image_data expects an (H, W, 3) uint8 RGB array, got shape '
            f'{arr.shape} dtype {arr.dtype}')
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageFormatError(f'rgb_to_image_data got an empty image of shape {arr.shape}')
    if encoding == 'bgr8':
        arr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    step = arr.shape[1] * 3
    return encoding, step, np.ascontiguousarray(arr).tobytes()
