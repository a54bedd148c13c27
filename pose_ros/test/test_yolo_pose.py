"""YOLO-pose: anchor tensors built from chosen source-pixel people decode back to them.

The model input is non-square (320x256) and the source wide (640x360), so the x
and y letterbox mappings differ; every export variant (layout, normalised or pixel
coordinates, visibility as logits or probabilities, float or quantized) is built
from the same people.
"""

from fake_runtime import UNIT_QUANT, FakeRuntime, SourceFrame, logit, tensor
import numpy as np
import pytest

from pose_ros.core.keypoints import NUM_KEYPOINTS
from pose_ros.pose.families.yolo_pose import YoloPose, anchor_rows, decode_yolo_pose
from pose_ros.pose.preprocess import letterbox

SRC_W, SRC_H = 640, 360
IN_W, IN_H = 320, 256
STRIDES = (8, 16, 32)
N_ANCHORS = sum((IN_W // s) * (IN_H // s) for s in STRIDES)

# Quantization of the whole output tensor, as full-int8 exports do it; only
# normalised exports are quantized: one scale cannot cover both 0..1 scores and pixels.
QUANT = UNIT_QUANT

SOURCE = SourceFrame(SRC_W, SRC_H, IN_W, IN_H)
to_input, source_image = SOURCE.to_input, SOURCE.image


def make_person(rng, x_range, conf):
    """Keypoints inside x_range of the source; the box is their extent plus a margin."""
    xy = np.stack([rng.uniform(*x_range, NUM_KEYPOINTS),
                   rng.uniform(40, SRC_H - 40, NUM_KEYPOINTS)], axis=1)
    vis = rng.uniform(0.05, 0.95, NUM_KEYPOINTS)
    box = np.concatenate([xy.min(axis=0) - 8, xy.max(axis=0) + 8])
    return {'xy': xy, 'vis': vis, 'box': box, 'conf': conf}


def person_row(person, jitter=0.0):
    """One anchor row in model-input pixels counted from the input's edge, as YOLO reports."""
    kp, _ = to_input(person['xy'])
    corners, _ = to_input(person['box'].reshape(2, 2))
    kp, corners = kp + 0.5 + jitter, corners + 0.5 + jitter
    row = np.empty(56, np.float64)
    row[0:2] = corners.mean(axis=0)
    row[2:4] = corners[1] - corners[0]
    row[4] = person['conf']
    row[5::3], row[6::3], row[7::3] = kp[:, 0], kp[:, 1], person['vis']
    return row


def background_rows(rng):
    """Low-confidence anchors on the real anchor grid, with random boxes and keypoints."""
    centres = [((i + 0.5) * s, (j + 0.5) * s)
               for s in STRIDES for j in range(IN_H // s) for i in range(IN_W // s)]
    rows = np.empty((N_ANCHORS, 56))
    rows[:, 0:2] = centres
    rows[:, 2:4] = rng.uniform(4, 60, (N_ANCHORS, 2))
    rows[:, 4] = rng.uniform(0.0, 0.05, N_ANCHORS)
    rows[:, 5::3] = rng.uniform(0, IN_W, (N_ANCHORS, NUM_KEYPOINTS))
    rows[:, 6::3] = rng.uniform(0, IN_H, (N_ANCHORS, NUM_KEYPOINTS))
    rows[:, 7::3] = rng.uniform(0.0, 1.0, (N_ANCHORS, NUM_KEYPOINTS))
    return rows


def yolo_output(anchor_list, layout, coords, scores, rng):
    """Scatter (row) anchors among background anchors and format them like an export."""
    rows = background_rows(rng)
    slots = rng.choice(N_ANCHORS, size=len(anchor_list), replace=False)
    rows[slots] = anchor_list
    if coords == 'normalized':
        rows[:, [0, 2]] /= IN_W
        rows[:, 5::3] /= IN_W
        rows[:, [1, 3]] /= IN_H
        rows[:, 6::3] /= IN_H
    if scores == 'logit':
        rows[:, 4] = logit(rows[:, 4], eps=1e-6)
        rows[:, 7::3] = logit(rows[:, 7::3], eps=1e-6)
    out = rows.T if layout == 'channels_first' else rows
    return out[np.newaxis].astype(np.float32)


def scene(rng):
    """Person A seen by three overlapping anchors, B once, C below threshold."""
    a = make_person(rng, (60, 260), 0.9)
    b = make_person(rng, (380, 600), 0.6)
    c = make_person(rng, (300, 400), 0.1)
    anchors = [person_row(a), person_row(dict(a, conf=0.85), jitter=2.0),
               person_row(dict(a, conf=0.8), jitter=-3.0), person_row(b), person_row(c)]
    return a, b, anchors


def yolo_runtime(out, quant='float', input_dtype=np.float32):
    dtype, scale, zp = QUANT[quant]
    return FakeRuntime([tensor('images', 0, (1, IN_H, IN_W, 3), input_dtype)],
                       [tensor('output0', 1, out.shape, dtype, scale, zp)], [out])


@pytest.mark.parametrize('layout, coords, scores, quant', [
    ('channels_first', 'normalized', 'prob', 'float'),
    ('channels_last', 'normalized', 'logit', 'float'),
    ('channels_first', 'pixels', 'logit', 'float'),
    ('channels_last', 'pixels', 'prob', 'float'),
    ('channels_first', 'normalized', 'prob', 'uint8'),
    ('channels_last', 'normalized', 'prob', 'int8'),
])
def test_people_return_to_source_pixels_after_nms(layout, coords, scores, quant):
    rng = np.random.default_rng(7)
    a, b, anchors = scene(rng)
    out = yolo_output(anchors, layout, coords, scores, rng)
    adapter = YoloPose(yolo_runtime(out, quant), min_person_score=0.25)
    poses = adapter.infer(source_image())

    _, lb_scale = to_input(a['xy'])
    step = QUANT[quant][1]
    # Half a step of a normalised coordinate, in input pixels, back in source pixels.
    pos_tol = 0.5 * step * max(IN_W, IN_H) / lb_scale + 2e-3
    score_tol = 0.5 * step + 1e-5
    assert len(poses) == 2, 'the two duplicates of A must be suppressed, C is below threshold'
    for pose, person in zip(poses, (a, b), strict=True):
        assert pose.score == pytest.approx(person['conf'], abs=score_tol)
        np.testing.assert_allclose(pose.keypoints[:, :2], person['xy'], atol=pos_tol)
        np.testing.assert_allclose(pose.keypoints[:, 2], person['vis'], atol=score_tol)
        np.testing.assert_allclose(pose.box, person['box'], atol=pos_tol)


def test_max_persons_keeps_the_most_confident():
    rng = np.random.default_rng(8)
    a, b, anchors = scene(rng)
    out = yolo_output(anchors, 'channels_first', 'normalized', 'prob', rng)
    (pose,) = YoloPose(yolo_runtime(out), max_persons=1).infer(source_image())
    assert pose.score == pytest.approx(a['conf'], abs=1e-6)


def test_threshold_above_everyone_reports_nobody():
    rng = np.random.default_rng(9)
    _, _, anchors = scene(rng)
    out = yolo_output(anchors, 'channels_first', 'normalized', 'prob', rng)
    assert YoloPose(yolo_runtime(out), min_person_score=0.95).infer(source_image()) == []


def test_loose_iou_threshold_keeps_the_duplicates():
    rng = np.random.default_rng(10)
    _, _, anchors = scene(rng)
    out = yolo_output(anchors, 'channels_first', 'pixels', 'prob', rng)
    poses = YoloPose(yolo_runtime(out), iou_threshold=1.0, min_person_score=0.25) \
        .infer(source_image())
    np.testing.assert_allclose([p.score for p in poses], [0.9, 0.85, 0.8, 0.6], atol=1e-6)


def test_float_input_is_scaled_to_unit_range_with_grey_border():
    rng = np.random.default_rng(11)
    _, _, anchors = scene(rng)
    runtime = yolo_runtime(yolo_output(anchors, 'channels_first', 'normalized', 'prob', rng))
    image = source_image(12)
    YoloPose(runtime).infer(image)
    boxed, _ = letterbox(image, IN_W, IN_H, pad_value=114)
    (fed,) = runtime.fed
    assert fed.dtype == np.float32
    np.testing.assert_allclose(fed[0], boxed / np.float32(255.0), atol=1e-6)
    np.testing.assert_allclose(fed[0, 0, 0], 114 / 255, atol=1e-6)  # top border is padding


def test_uint8_input_gets_raw_pixels():
    rng = np.random.default_rng(13)
    _, _, anchors = scene(rng)
    out = yolo_output(anchors, 'channels_first', 'normalized', 'prob', rng)
    runtime = yolo_runtime(out, 'uint8', input_dtype=np.uint8)
    image = source_image(14)
    YoloPose(runtime).infer(image)
    boxed, _ = letterbox(image, IN_W, IN_H, pad_value=114)
    np.testing.assert_array_equal(runtime.fed[0][0], boxed)


def test_square_output_is_read_channels_first():
    rows = np.arange(56 * 56, dtype=np.float32).reshape(56, 56)
    np.testing.assert_array_equal(anchor_rows(rows[np.newaxis]), rows.T)


def test_decode_reports_model_input_pixel_centres():
    # One anchor in pixel coordinates: box edge 10..30, keypoints at edge coordinate 20.
    row = np.zeros(56, np.float32)
    row[:5] = [20, 40, 20, 40, 0.9]
    row[5::3], row[6::3], row[7::3] = 20.0, 40.0, 0.7
    padding = np.zeros((99, 56), np.float32)
    padding[:, 0] = np.arange(99) * 4.0 + 100.0  # anchor centres far beyond 1.5: pixels
    kpts, boxes, scores = decode_yolo_pose(np.vstack([row, padding])[np.newaxis], 320, 256,
                                           0.5, 0.7, 6)
    np.testing.assert_allclose(boxes, [[9.5, 19.5, 29.5, 59.5]])
    np.testing.assert_allclose(kpts[0, :, :2], np.tile([19.5, 39.5], (NUM_KEYPOINTS, 1)))
    np.testing.assert_allclose(scores, [0.9])


def test_bad_output_shape_is_named():
    with pytest.raises(ValueError, match='YOLO-pose output'):
        anchor_rows(np.zeros((1, 57, 100)))


def test_iou_threshold_out_of_range_is_refused():
    rng = np.random.default_rng(15)
    _, _, anchors = scene(rng)
    out = yolo_output(anchors, 'channels_first', 'normalized', 'prob', rng)
    with pytest.raises(ValueError, match='iou_threshold'):
        YoloPose(yolo_runtime(out), iou_threshold=2.0)
