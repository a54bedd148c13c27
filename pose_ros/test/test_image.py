"""sensor_msgs/Image field conversion, checked against independently built buffers."""

import array
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from pose_ros.media.image import (
    SUPPORTED_ENCODINGS,
    ImageFormatError,
    image_msg_to_rgb,
    image_to_rgb,
    rgb_to_image_data,
)

H, W = 24, 32


def _reference_rgb() -> np.ndarray:
    """Colourful image whose horizontal pixel pairs share a colour, so 4:2:2 loses nothing."""
    rng = np.random.default_rng(7)
    half = rng.integers(16, 240, size=(H, W // 2, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.repeat(half, 2, axis=1))


def _encode(rgb: np.ndarray, encoding: str) -> np.ndarray:
    """Build the raw pixel bytes of ``encoding`` from RGB, as a camera driver would."""
    if encoding == 'rgb8':
        return rgb.copy()
    if encoding == 'bgr8':
        return rgb[:, :, ::-1].copy()
    if encoding == 'mono8':
        return rgb[:, :, 1].copy()
    alpha = np.full(rgb.shape[:2] + (1,), 200, np.uint8)
    if encoding == 'rgba8':
        return np.concatenate([rgb, alpha], axis=2)
    if encoding == 'bgra8':
        return np.concatenate([rgb[:, :, ::-1], alpha], axis=2)
    codes = {'yuv422': cv2.COLOR_RGB2YUV_UYVY, 'yuv422_yuy2': cv2.COLOR_RGB2YUV_YUY2,
             'yuyv': cv2.COLOR_RGB2YUV_YUYV}
    return cv2.cvtColor(rgb, codes[encoding])


def _expected(rgb: np.ndarray, encoding: str) -> np.ndarray:
    if encoding == 'mono8':
        return np.repeat(rgb[:, :, 1:2], 3, axis=2)
    return rgb


def _tolerance(encoding: str) -> int:
    # YUV round trip: 8-bit Y/U/V rounding plus BT.601 matrix error, a few levels at most.
    return 4 if encoding in ('yuv422', 'yuv422_yuy2', 'yuyv') else 0


def _pad_rows(pixels: np.ndarray, pad: int) -> tuple[int, bytes]:
    rows = pixels.reshape(pixels.shape[0], -1)
    padded = np.concatenate(
        [rows, np.full((rows.shape[0], pad), 0xAB, np.uint8)], axis=1)
    return padded.shape[1], padded.tobytes()


@pytest.mark.parametrize('encoding', SUPPORTED_ENCODINGS)
def test_every_encoding_converts_to_reference_rgb(encoding):
    rgb = _reference_rgb()
    pixels = _encode(rgb, encoding)
    step = pixels.reshape(H, -1).shape[1]
    out = image_to_rgb(encoding, W, H, step, pixels.tobytes())
    assert out.shape == (H, W, 3)
    assert out.dtype == np.uint8
    assert out.flags.c_contiguous
    diff = np.abs(out.astype(int) - _expected(rgb, encoding).astype(int))
    assert diff.max() <= _tolerance(encoding), f'{encoding}: max error {diff.max()}'


@pytest.mark.parametrize('encoding', SUPPORTED_ENCODINGS)
def test_padded_rows_are_skipped(encoding):
    rgb = _reference_rgb()
    step, data = _pad_rows(_encode(rgb, encoding), pad=12)
    out = image_to_rgb(encoding, W, H, step, data)
    diff = np.abs(out.astype(int) - _expected(rgb, encoding).astype(int))
    assert diff.max() <= _tolerance(encoding)


@pytest.mark.parametrize('kind', ['bytes', 'bytearray', 'memoryview', 'array', 'numpy', 'list'])
def test_every_data_container_is_accepted(kind):
    rgb = _reference_rgb()
    raw = _encode(rgb, 'bgr8').tobytes()
    data = {'bytes': raw, 'bytearray': bytearray(raw), 'memoryview': memoryview(raw),
            'array': array.array('B', raw), 'numpy': np.frombuffer(raw, np.uint8),
            'list': list(raw)}[kind]
    out = image_to_rgb('bgr8', W, H, W * 3, data)
    np.testing.assert_array_equal(out, rgb)


def test_result_does_not_alias_message_buffer():
    rgb = _reference_rgb()
    buf = bytearray(rgb.tobytes())
    out = image_to_rgb('rgb8', W, H, W * 3, buf)
    out[:] = 0
    assert bytes(buf) == rgb.tobytes()


def test_uyvy_byte_order_is_ros_yuv422():
    # Grey Y=200 with neutral chroma, laid out U Y V Y. Read as YUYV it would turn
    # the chroma bytes into luma and produce a colour cast.
    data = bytes([128, 200, 128, 200]) * (W // 2) * H
    out = image_to_rgb('yuv422', W, H, W * 2, data)
    assert np.all(np.abs(out.astype(int) - out[..., :1].astype(int)) <= 1), 'not grey'
    assert abs(int(out[0, 0, 0]) - 200) <= 30
    swapped = image_to_rgb('yuyv', W, H, W * 2, data)
    assert not np.array_equal(out, swapped)


def test_yuyv_and_yuy2_are_the_same_layout():
    pixels = _encode(_reference_rgb(), 'yuyv').tobytes()
    np.testing.assert_array_equal(image_to_rgb('yuyv', W, H, W * 2, pixels),
                                  image_to_rgb('yuv422_yuy2', W, H, W * 2, pixels))


def test_image_msg_to_rgb_reads_message_fields():
    rgb = _reference_rgb()
    msg = SimpleNamespace(encoding='bgr8', width=W, height=H, step=W * 3, is_bigendian=0,
                          data=array.array('B', _encode(rgb, 'bgr8').tobytes()))
    np.testing.assert_array_equal(image_msg_to_rgb(msg), rgb)


def test_image_msg_missing_field_is_named():
    msg = SimpleNamespace(encoding='rgb8', width=W, height=H, data=b'')
    with pytest.raises(ImageFormatError, match="'step'"):
        image_msg_to_rgb(msg)


@pytest.mark.parametrize('encoding', ['rgb8', 'bgr8'])
def test_rgb_to_image_data_round_trips(encoding):
    rgb = _reference_rgb()
    enc, step, data = rgb_to_image_data(rgb, encoding)
    assert enc == encoding
    assert step == W * 3
    assert isinstance(data, bytes)
    assert len(data) == step * H
    np.testing.assert_array_equal(image_to_rgb(enc, W, H, step, data), rgb)


def test_rgb_to_image_data_accepts_non_contiguous_views():
    rgb = _reference_rgb()
    view = rgb[:, ::2]
    enc, step, data = rgb_to_image_data(view)
    np.testing.assert_array_equal(image_to_rgb(enc, W // 2, H, step, data), view)


@pytest.mark.parametrize('encoding', ['mono8', 'yuv422', 'bgr'])
def test_rgb_to_image_data_rejects_other_encodings(encoding):
    with pytest.raises(ImageFormatError, match='rgb8, bgr8'):
        rgb_to_image_data(_reference_rgb(), encoding)


@pytest.mark.parametrize('bad', [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8),
                                 np.zeros((4, 4, 3), np.float32)])
def test_rgb_to_image_data_rejects_non_rgb_arrays(bad):
    with pytest.raises(ImageFormatError, match='uint8 RGB'):
        rgb_to_image_data(bad)


def test_unknown_encoding_lists_supported():
    with pytest.raises(ImageFormatError) as err:
        image_to_rgb('16UC1', W, H, W * 2, bytes(W * H * 2))
    assert "'16UC1'" in str(err.value)
    for enc in SUPPORTED_ENCODINGS:
        assert enc in str(err.value)


@pytest.mark.parametrize('width,height', [(0, H), (W, 0), (-2, H)])
def test_empty_size_is_rejected(width, height):
    with pytest.raises(ImageFormatError, match='must be positive'):
        image_to_rgb('rgb8', width, height, W * 3, bytes(W * H * 3))


def test_step_smaller_than_row_is_rejected():
    with pytest.raises(ImageFormatError, match=f'step {W * 3 - 1}.*{W * 3} bytes'):
        image_to_rgb('rgb8', W, H, W * 3 - 1, bytes(W * H * 3))


def test_truncated_data_is_rejected():
    with pytest.raises(ImageFormatError, match=f'needs {W * H * 3} bytes.*got {W * H * 3 - 1}'):
        image_to_rgb('rgb8', W, H, W * 3, bytes(W * H * 3 - 1))


@pytest.mark.parametrize('encoding', ['yuv422', 'yuv422_yuy2', 'yuyv'])
def test_odd_width_yuv_is_rejected(encoding):
    with pytest.raises(ImageFormatError, match='odd width 31'):
        image_to_rgb(encoding, 31, H, 64, bytes(64 * H))


def test_unsupported_data_type_is_named():
    with pytest.raises(ImageFormatError, match='str'):
        image_to_rgb('rgb8', 1, 1, 3, 'abc')


# Encodings cv_bridge decodes that we support; its YUV422 decoders are the reference.
_CV_BRIDGE_ENCODINGS = ('rgb8', 'bgr8', 'mono8', 'rgba8', 'bgra8', 'yuv422', 'yuv422_yuy2')


@pytest.mark.parametrize('encoding', _CV_BRIDGE_ENCODINGS)
def test_parity_with_cv_bridge(encoding):
    try:
        from cv_bridge import CvBridge
        from sensor_msgs.msg import Image
    except ImportError:
        pytest.skip(reason='cv_bridge not installed (not on PyPI; comes with a ROS 2 distro)')
    rgb = _reference_rgb()
    step, data = _pad_rows(_encode(rgb, encoding), pad=8)
    msg = Image(height=H, width=W, encoding=encoding, is_bigendian=0, step=step, data=data)
    try:
        expected = CvBridge().imgmsg_to_cv2(msg, 'rgb8')
    except Exception as exc:  # noqa: BLE001 - older cv_bridge lacks some conversions
        pytest.skip(reason=f'this cv_bridge cannot convert {encoding} to rgb8: {exc}')
    np.testing.assert_array_equal(image_msg_to_rgb(msg), expected)
