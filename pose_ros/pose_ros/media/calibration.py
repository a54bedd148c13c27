"""The camera's calibration, as ROS's camera_calibration writes it, checked before use.

Apart from the frame sources because a calibration belongs to a camera, not to a way of reading
frames: a depth node or a user's own script needs the intrinsics without opening a device.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from typing import Any

import yaml


class CalibrationError(ValueError):
    """The calibration file cannot be used; the message names the file and the bad key."""


@dataclass(frozen=True)
class CameraCalibration:
    """A camera_calibration_parsers YAML file (as ROS's camera_calibration writes it)."""

    path: str
    camera_name: str
    image_width: int
    image_height: int
    distortion_model: str
    camera_matrix: tuple[float, ...]  # K, 3x3 row-major
    distortion_coefficients: tuple[float, ...]  # D
    rectification_matrix: tuple[float, ...]  # R, 3x3
    projection_matrix: tuple[float, ...]  # P, 3x4


# key -> (rows, cols) it must have; None for any count (the distortion model decides).
_MATRICES: dict[str, tuple[int, int] | None] = {
    'camera_matrix': (3, 3),
    'distortion_coefficients': None,
    'rectification_matrix': (3, 3),
    'projection_matrix': (3, 4),
}


def load_camera_info(path: str) -> CameraCalibration:
    """Read and check a calibration file; a CalibrationError names the file and the bad key."""
    path = os.path.expanduser(path)
    try:
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise CalibrationError(
            f'cannot read camera_info_file {path}: {exc.strerror or exc}') from exc
    except yaml.YAMLError as exc:
        raise CalibrationError(f'camera_info_file {path} is not valid YAML: {exc}') from exc
    if not isinstance(data, dict):
        raise CalibrationError(f'camera_info_file {path} must be a mapping of calibration keys '
                          '(as written by ROS camera_calibration), got '
                          f'{type(data).__name__}')

    def need(key: str) -> Any:
        if key not in data:
            raise CalibrationError(f'camera_info_file {path} has no {key!r}; a calibration file '
                              '(as written by ROS camera_calibration) needs image_width, '
                              'image_height, camera_name, camera_matrix, distortion_model, '
                              'distortion_coefficients, rectification_matrix and '
                              'projection_matrix')
        return data[key]

    def size(key: str) -> int:
        value = need(key)
        if type(value) is not int or value <= 0:
            raise CalibrationError(f'camera_info_file {path}: {key} must be a positive integer, '
                              f'got {value!r}')
        return value

    def matrix(key: str) -> tuple[float, ...]:
        value = need(key)
        if not isinstance(value, dict) or not all(k in value for k in ('rows', 'cols', 'data')):
            raise CalibrationError(f'camera_info_file {path}: {key} must have rows, cols and data')
        rows, cols, values = value['rows'], value['cols'], value['data']
        if not isinstance(values, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise CalibrationError(
                f'camera_info_file {path}: {key}.data must be a list of numbers')
        if type(rows) is not int or type(cols) is not int or rows * cols != len(values):
            raise CalibrationError(f'camera_info_file {path}: {key} says {rows}x{cols} but has '
                              f'{len(values)} values')
        shape = _MATRICES[key]
        if shape is not None and (rows, cols) != shape:
            raise CalibrationError(
                f'camera_info_file {path}: {key} must be {shape[0]}x{shape[1]}, '
                f'got {rows}x{cols}')
        return tuple(float(v) for v in values)

    name = need('camera_name')
    model = need('distortion_model')
    if not isinstance(model, str) or not model:
        raise CalibrationError(f'camera_info_file {path}: distortion_model must be a name such as '
                          f'plumb_bob, got {model!r}')
    return CameraCalibration(
        path=path, camera_name=str(name), image_width=size('image_width'),
        image_height=size('image_height'), distortion_model=model,
        camera_matrix=matrix('camera_matrix'),
        distortion_coefficients=matrix('distortion_coefficients'),
        rectification_matrix=matrix('rectification_matrix'),
        projection_matrix=matrix('projection_matrix'))
