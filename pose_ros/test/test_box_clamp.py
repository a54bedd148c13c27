"""Person boxes stay inside the image for every family, whatever the model extends them over.

Models place guessed joints (and YOLO and MoveNet MultiPose their own boxes) beyond the
frame; a box reported with y_max 522 in a 480-row image is no pixel of it. Each family
here gets a person reaching past every edge of a wide 640x360 frame (the letterbox pads
the square input above and below, so the input's top and bottom rows are outside it).
"""

from conftest import require_model
from fake_runtime import FakeRuntime, SourceFrame, tensor
import numpy as np
import pytest
from skimage import data

from pose_ros.core.geometry import clamp_box
from pose_ros.core.keypoints import NUM_KEYPOINTS
from pose_ros.pose.families.base import create_adapter
from pose_ros.pose.families.blazepose import BlazePose
from pose_ros.pose.runtime import Runtime

W, H = 640, 360
SOURCE = SourceFrame(W, H)


def frame_filling_keypoints():
    """Normalised (x, y) of 17 keypoints running from beyond one corner to beyond the other."""
    t = np.linspace(-0.1, 1.1, NUM_KEYPOINTS)
    return t, t[::-1]


def movenet_singlepose():
    x, y = frame_filling_keypoints()
    out = np.stack([y, x, np.full(NUM_KEYPOINTS, 0.9)], axis=1).reshape(1, 1, NUM_KEYPOINTS, 3)
    return FakeRuntime([tensor('input', 0, (1, 192, 192, 3), np.uint8)],
                       [tensor('Identity', 1, out.shape)], [out])


def movenet_multipose():
    x, y = frame_filling_keypoints()
    out = np.zeros((1, 6, 56))
    out[0, 0, 0:51:3], out[0, 0, 1:51:3], out[0, 0, 2:51:3] = y, x, 0.9
    out[0, 0, 51:56] = [-0.1, -0.1, 1.1, 1.1, 0.9]  # ymin, xmin, ymax, xmax, score
    return FakeRuntime([tensor('input', 0, (1, 256, 256, 3), np.uint8)],
                       [tensor('Identity', 1, out.shape)], [out])


def yolo_pose():
    rows = np.zeros((8400, 56))
    rows[:, 0:4] = [0.5, 0.5, 0.1, 0.1]  # confidence 0: not people
    x, y = frame_filling_keypoints()
    rows[0, 0:5] = [0.5, 0.5, 1.2, 1.2, 0.9]
    rows[0, 5::3], rows[0, 6::3], rows[0, 7::3] = x, y, 0.9
    out = rows.T[np.newaxis]
    return FakeRuntime([tensor('images', 0, (1, 640, 640, 3), np.float32)],
                       [tensor('output0', 1, out.shape)], [out])


def posenet():
    grid, stride = 9, 32
    heatmaps = np.full((1, grid, grid, NUM_KEYPOINTS), -10.0)
    offsets = np.zeros((1, grid, grid, 2 * NUM_KEYPOINTS))
    for k in range(NUM_KEYPOINTS):
        cell = 0 if k % 2 else grid - 1
        heatmaps[0, cell, cell, k] = 3.0
        push = -stride if k % 2 else stride  # half a cell and more beyond the input's edge
        offsets[0, cell, cell, k], offsets[0, cell, cell, NUM_KEYPOINTS + k] = push, push
    return FakeRuntime([tensor('input', 0, (1, 257, 257, 3), np.float32)],
                       [tensor('heatmap', 1, heatmaps.shape), tensor('offset', 2, offsets.shape)],
                       [heatmaps, offsets])


def heatmap():
    grid = 48
    maps = np.zeros((1, grid, grid, NUM_KEYPOINTS))
    for k in range(NUM_KEYPOINTS):
        cell = 0 if k % 2 else grid - 1  # the input's corners: letterbox padding
        maps[0, cell, cell, k] = 0.9
    return FakeRuntime([tensor('input', 0, (1, 192, 192, 3), np.float32)],
                       [tensor('heatmaps', 1, maps.shape)], [maps])


@pytest.mark.parametrize('family, runtime', [
    ('movenet_singlepose', movenet_singlepose), ('movenet_multipose', movenet_multipose),
    ('yolo_pose', yolo_pose), ('posenet', posenet), ('heatmap', heatmap)])
def test_box_of_a_person_reaching_past_the_frame_ends_at_its_edges(family, runtime):
    adapter = create_adapter(family, runtime(), min_person_score=0.5, max_persons=1)
    (pose,) = adapter.infer(SOURCE.image())
    # The keypoints themselves stay where the model put them, above and below the frame.
    assert pose.keypoints[:, 1].min() < 0 and pose.keypoints[:, 1].max() > H - 1
    x0, y0, x1, y1 = pose.box
    assert (y0, y1) == (0.0, H - 1.0)
    assert 0.0 <= x0 < x1 <= W - 1.0


def test_blazepose_box_of_a_person_cut_at_the_side_starts_at_the_first_column():
    # The astronaut's photo without its 110 left columns: her right elbow, which BlazePose
    # still scores as seen, lies beyond the left edge (box x_min -16 to -21 px unclamped).
    blazepose = BlazePose(Runtime(require_model('pose_landmark_full.tflite')),
                          Runtime(require_model('pose_detection.tflite')))
    frame = np.ascontiguousarray(data.astronaut()[:, 110:])
    height, width = frame.shape[:2]
    for _ in range(3):  # the detector's region, then tracked ones
        (pose,) = blazepose.infer(frame)
        x0, y0, x1, y1 = pose.box
        assert x0 == 0.0
        assert 0.0 <= y0 < y1 <= height - 1.0 and x1 <= width - 1.0


def test_clamp_box_clamps_each_side_to_pixel_coordinates():
    assert clamp_box((-5.0, -1.0, 700.0, 522.0), 640, 480) == (0.0, 0.0, 639.0, 479.0)
    assert clamp_box((10.0, 20.0, 30.0, 40.0), 640, 480) == (10.0, 20.0, 30.0, 40.0)
    assert clamp_box((650.0, 10.0, 700.0, 20.0), 640, 480) == (639.0, 10.0, 639.0, 20.0)
