"""Camera calibration files: read when right, refused with the file and key when not."""

import pytest

from pose_ros.media.calibration import CalibrationError, load_camera_info

CALIBRATION = """\
image_width: 640
image_height: 480
camera_name: narrow_stereo
camera_matrix:
  rows: 3
  cols: 3
  data: [430.2, 0, 319.5, 0, 431.0, 239.5, 0, 0, 1]
distortion_model: plumb_bob
distortion_coefficients:
  rows: 1
  cols: 5
  data: [-0.3, 0.1, 0.001, -0.002, 0]
rectification_matrix:
  rows: 3
  cols: 3
  data: [1, 0, 0, 0, 1, 0, 0, 0, 1]
projection_matrix:
  rows: 3
  cols: 4
  data: [400.1, 0, 320.2, 0, 0, 401.3, 240.4, 0, 0, 0, 1, 0]
"""
KEYS = ['image_width', 'image_height', 'camera_name', 'camera_matrix', 'distortion_model',
        'distortion_coefficients', 'rectification_matrix', 'projection_matrix']


def test_a_calibration_file_is_read(tmp_path):
    path = tmp_path / 'cam.yaml'
    path.write_text(CALIBRATION)
    cal = load_camera_info(str(path))
    assert (cal.image_width, cal.image_height) == (640, 480)
    assert cal.camera_name == 'narrow_stereo' and cal.distortion_model == 'plumb_bob'
    assert cal.camera_matrix == (430.2, 0, 319.5, 0, 431.0, 239.5, 0, 0, 1)
    assert len(cal.distortion_coefficients) == 5 and cal.distortion_coefficients[0] == -0.3
    assert len(cal.rectification_matrix) == 9 and len(cal.projection_matrix) == 12
    assert all(isinstance(v, float) for v in cal.projection_matrix)


@pytest.mark.parametrize('key', KEYS)
def test_each_missing_calibration_key_is_named(tmp_path, key):
    lines = CALIBRATION.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(key + ':'))
    end = start + 1
    while end < len(lines) and lines[end].startswith(' '):
        end += 1
    path = tmp_path / 'cam.yaml'
    path.write_text('\n'.join(lines[:start] + lines[end:]) + '\n')
    with pytest.raises(CalibrationError) as err:
        load_camera_info(str(path))
    assert str(path) in str(err.value) and repr(key) in str(err.value), str(err.value)


@pytest.mark.parametrize('old, new, expected', [
    ('  rows: 3\n  cols: 4', '  rows: 4\n  cols: 3', 'projection_matrix must be 3x4'),
    ('data: [1, 0, 0, 0, 1, 0, 0, 0, 1]', 'data: [1, 0, 0]', 'rectification_matrix says 3x3'),
    ('image_width: 640', 'image_width: wide', 'image_width must be a positive integer'),
    ('data: [430.2,', 'data: [x,', 'camera_matrix.data must be a list of numbers'),
])
def test_bad_calibration_values_are_named(tmp_path, old, new, expected):
    path = tmp_path / 'cam.yaml'
    path.write_text(CALIBRATION.replace(old, new, 1))
    with pytest.raises(CalibrationError, match=expected) as err:
        load_camera_info(str(path))
    assert str(path) in str(err.value)


def test_calibration_file_missing_or_not_yaml(tmp_path):
    with pytest.raises(CalibrationError, match='cannot read camera_info_file .*nope.yaml'):
        load_camera_info(str(tmp_path / 'nope.yaml'))
    (tmp_path / 'bad.yaml').write_text('image_width: [640\n')
    with pytest.raises(CalibrationError, match='bad.yaml is not valid YAML'):
        load_camera_info(str(tmp_path / 'bad.yaml'))
    (tmp_path / 'list.yaml').write_text('- 1\n- 2\n')
    with pytest.raises(CalibrationError, match='must be a mapping'):
        load_camera_info(str(tmp_path / 'list.yaml'))
