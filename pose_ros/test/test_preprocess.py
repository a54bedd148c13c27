"""Warps must map back exactly: keypoints are only as good as the inverse of the crop."""

import math

import cv2
import numpy as np
import pytest

from pose_ros.pose.preprocess import Affine, crop_rotated, letterbox


def _blob_image(shape, centers, radius=6):
    """Draw bright discs so the warped output still has a measurable centroid."""
    image = np.zeros(shape, np.uint8)
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    for cx, cy in centers:
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius ** 2
        image[disc] = 255
    return image


def _centroid(image, around, window=12):
    """Intensity centroid of the blob near ``around`` (x, y) in the warped image."""
    plane = image if image.ndim == 2 else image[..., 0]
    plane = plane.astype(np.float64)
    x0, y0 = (int(round(v)) for v in around)
    ys, xs = np.mgrid[:plane.shape[0], :plane.shape[1]]
    mask = (abs(xs - x0) <= window) & (abs(ys - y0) <= window)
    w = plane * mask
    assert w.sum() > 0, f'no blob near {around}'
    return np.array([(w * xs).sum() / w.sum(), (w * ys).sum() / w.sum()])


POINTS = np.array([[100.0, 80.0], [400.0, 300.0], [37.5, 200.25]])


@pytest.mark.parametrize('src_shape, out_size', [
    ((480, 640, 3), (224, 224)),    # landscape into square: pads top and bottom
    ((640, 360, 3), (256, 256)),    # portrait into square: pads left and right
    ((480, 640), (192, 256)),       # grayscale, non-square output
    ((300, 400, 3), (800, 600)),    # upscaling
])
def test_letterbox_round_trip_and_pixels(src_shape, out_size):
    width, height = out_size
    h, w = src_shape[:2]
    pts = POINTS * [w / 640, h / 480]
    image = _blob_image(src_shape, pts, radius=max(6, int(3 * w / width)))
    out, affine = letterbox(image, width, height, pad_value=0)
    assert out.shape == (height, width) + src_shape[2:]
    assert out.dtype == image.dtype
    mapped = affine.apply(pts)
    np.testing.assert_allclose(affine.inverse().apply(mapped), pts, atol=1e-9)
    for expected in mapped:
        np.testing.assert_allclose(_centroid(out, expected), expected, atol=0.5)
    # Aspect ratio is kept and the image is centred.
    m = affine.matrix
    assert m[0, 0] == pytest.approx(m[1, 1], rel=0.01)
    corners = affine.apply(np.array([[-0.5, -0.5], [w - 0.5, h - 0.5]]))
    left, top = corners[0]
    right, bottom = corners[1]
    assert left == pytest.approx(width - right, abs=1.0)
    assert top == pytest.approx(height - bottom, abs=1.0)
    assert min(left, top) == pytest.approx(0.0, abs=1.0)


def test_letterbox_pads_with_the_given_value():
    image = np.full((100, 200, 3), 7, np.uint8)
    out, _ = letterbox(image, 100, 100, pad_value=42)
    assert out[0, 50].tolist() == [42, 42, 42]   # top padding
    assert out[50, 50].tolist() == [7, 7, 7]     # image
    assert out[99, 50].tolist() == [42, 42, 42]  # bottom padding


@pytest.mark.parametrize('angle_deg', [0.0, 30.0, 90.0, -135.0])
@pytest.mark.parametrize('src_shape', [(480, 640, 3), (640, 480, 3)])
def test_crop_rotated_round_trip_and_pixels(angle_deg, src_shape):
    h, w = src_shape[:2]
    center = (w * 0.45, h * 0.55)
    size = 0.6 * min(w, h)
    angle = math.radians(angle_deg)
    # Points inside the square whatever the rotation (within its inscribed circle).
    offsets = np.array([[0.0, 0.0], [0.3, -0.2], [-0.25, 0.3]]) * size
    pts = offsets + center
    image = _blob_image(src_shape, pts, radius=5)
    out, affine = crop_rotated(image, center, size, angle, 256, 256)
    assert out.shape == (256, 256, 3) and out.dtype == np.uint8
    mapped = affine.apply(pts)
    np.testing.assert_allclose(affine.inverse().apply(mapped), pts, atol=1e-9)
    np.testing.assert_allclose(mapped[0], [127.5, 127.5], atol=1e-9)  # centre to centre
    for expected in mapped:
        np.testing.assert_allclose(_centroid(out, expected), expected, atol=0.5)


def test_crop_rotation_direction_turns_a_body_upright():
    # A person lying with the head to the right: the head is at +x from the hips.
    # A region rotated by +90 degrees (clockwise on screen) has its top edge on the right,
    # so the crop must show the head at the top.
    hips, head = np.array([200.0, 200.0]), np.array([300.0, 200.0])
    _, affine = crop_rotated(np.zeros((400, 400, 3), np.uint8), tuple(hips), 250.0,
                             math.pi / 2, 256, 256)
    crop_hips, crop_head = affine.apply(np.stack([hips, head]))
    assert crop_head[1] < crop_hips[1] - 90
    assert abs(crop_head[0] - crop_hips[0]) < 1e-6


def test_crop_scale_and_border_repeating_the_edge():
    image = np.full((100, 100), 200, np.uint8)
    image[0, 0], image[99, 99] = 10, 90
    out, affine = crop_rotated(image, (50.0, 50.0), 400.0, 0.0, 64, 64)
    assert affine.matrix[0, 0] == pytest.approx(64 / 400)
    # Outside the image the nearest edge pixel repeats, as MediaPipe crops for BlazePose.
    assert out[0, 0] == 10 and out[63, 63] == 90 and out[0, 32] == 200 and out[32, 32] == 200


def test_affine_validation_and_errors():
    with pytest.raises(ValueError, match=r'shape \(2, 3\)'):
        Affine(np.eye(3))
    with pytest.raises(ValueError, match=r'\(N, 2\)'):
        Affine(np.eye(2, 3)).apply(np.zeros((4, 3)))
    with pytest.raises(ValueError, match='crop size'):
        crop_rotated(np.zeros((10, 10), np.uint8), (5, 5), 0.0, 0.0, 8, 8)
    with pytest.raises(ValueError, match='output size'):
        letterbox(np.zeros((10, 10), np.uint8), 0, 8)
    with pytest.raises(ValueError, match='non-empty'):
        letterbox(np.zeros((0, 10), np.uint8), 8, 8)


def test_affine_matches_cv2_transform():
    m = cv2.getRotationMatrix2D((10.0, 20.0), 33.0, 1.7)
    pts = np.random.default_rng(1).uniform(0, 100, (5, 2))
    expected = cv2.transform(pts[np.newaxis], m)[0]
    np.testing.assert_allclose(Affine(m).apply(pts), expected, atol=1e-9)
