"""BlazePose on real photos: anchors, detection, ROI rotation, tracking and mapping back."""

import math

from conftest import require_model
import cv2
import numpy as np
import pytest
from skimage import data

from pose_ros.core.keypoints import Keypoint, Pose
from pose_ros.media import clip
from pose_ros.media.draw import MIN_DRAW_SCORE, draw_poses
from pose_ros.pose.families.blazepose import (
    COCO_FROM_BLAZEPOSE,
    BlazePose,
    Roi,
    ssd_anchor_centers,
)
from pose_ros.pose.runtime import Runtime
from pose_ros.ros.pose_node import PARAMS


@pytest.fixture(scope='module')
def runtimes():
    return (Runtime(require_model('pose_landmark_full.tflite')),
            Runtime(require_model('pose_detection.tflite')))


@pytest.fixture
def blazepose(runtimes):
    return BlazePose(*runtimes)


def _astronaut():
    return np.ascontiguousarray(data.astronaut())


def _camera():
    return np.ascontiguousarray(np.dstack([data.camera()] * 3))


# Regions chosen by drawing a 50 px grid over each image, writing it to a PNG under /tmp and
# looking at it: (x_min, y_min, x_max, y_max) in source pixels.
# Astronaut (facing the viewer, so her right is on the image's left): face around the nose,
# her right forearm and purple glove at the bottom left, her left forearm going down behind
# the helmet on the right.
ASTRO_NOSE = (185, 95, 255, 155)
ASTRO_RIGHT_WRIST = (60, 400, 200, 512)
ASTRO_LEFT_WRIST = (250, 360, 380, 512)
# Cameraman (profile facing right, so his right side faces the viewer): nose below the hair at
# the face's right edge; his right (near) gloved hand under the chin, his left hand on the
# far side of the camera body.
CAMERA_NOSE = (225, 140, 275, 195)
CAMERA_RIGHT_WRIST = (180, 190, 260, 250)
CAMERA_LEFT_WRIST = (255, 160, 345, 250)


def _inside(point, box):
    x, y = point[:2]
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def test_anchor_layout_matches_the_detector_head():
    anchors = ssd_anchor_centers()
    assert anchors.shape == (2254, 2)
    # First cell of the 28x28 map (stride 8), two anchors per cell.
    np.testing.assert_allclose(anchors[0], [0.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(anchors[1], anchors[0])
    np.testing.assert_allclose(anchors[2], [1.5 / 28, 0.5 / 28])
    # 14x14 map starts after 28*28*2 anchors; last six anchors share the 7x7 map's last cell.
    np.testing.assert_allclose(anchors[1568], [0.5 / 14, 0.5 / 14])
    np.testing.assert_allclose(anchors[-6:], np.full((6, 2), 6.5 / 7), rtol=1e-6)
    assert np.all((anchors > 0) & (anchors < 1))


def test_roi_from_alignment_points_is_upright_for_an_upright_body():
    roi = Roi.from_alignment(np.array([100.0, 300.0]), np.array([100.0, 100.0]))
    assert roi.angle == pytest.approx(0.0)
    assert roi.size == pytest.approx(2 * 200 * 1.25)
    assert roi.center == (100.0, 300.0)
    lying = Roi.from_alignment(np.array([100.0, 300.0]), np.array([300.0, 300.0]))
    assert lying.angle == pytest.approx(math.pi / 2)  # head to the right: turn clockwise


def test_coco_mapping_uses_the_persons_sides():
    assert COCO_FROM_BLAZEPOSE.tolist() == [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16,
                                            23, 24, 25, 26, 27, 28]


# The cameraman bends forward over the camera, so his shoulders are barely below his eyes.
@pytest.mark.parametrize('image, nose_box, wrist_boxes, shoulder_drop', [
    (_astronaut(), ASTRO_NOSE, (ASTRO_LEFT_WRIST, ASTRO_RIGHT_WRIST), 60),
    (_camera(), CAMERA_NOSE, (CAMERA_LEFT_WRIST, CAMERA_RIGHT_WRIST), 5),
], ids=['astronaut', 'camera'])
def test_finds_the_person_in_photos(blazepose, image, nose_box, wrist_boxes, shoulder_drop):
    poses = blazepose.infer(image)
    assert len(poses) == 1
    pose = poses[0]
    assert 0.5 <= pose.score <= 1.0
    kp = pose.keypoints
    assert _inside(kp[Keypoint.NOSE], nose_box), kp[Keypoint.NOSE]
    assert kp[Keypoint.NOSE, 2] > 0.9
    eyes_y = max(kp[Keypoint.LEFT_EYE, 1], kp[Keypoint.RIGHT_EYE, 1])
    for shoulder in (Keypoint.LEFT_SHOULDER, Keypoint.RIGHT_SHOULDER):
        assert kp[shoulder, 1] > eyes_y + shoulder_drop, (shoulder, kp[shoulder], eyes_y)
    for wrist, box in zip((Keypoint.LEFT_WRIST, Keypoint.RIGHT_WRIST), wrist_boxes, strict=True):
        assert _inside(kp[wrist], box), (wrist, kp[wrist])
    # Box encloses the confident keypoints, as far as they are inside the image.
    x0, y0, x1, y1 = pose.box
    h, w = image.shape[:2]
    confident = kp[kp[:, 2] > 0.5]
    cx, cy = np.clip(confident[:, 0], 0, w - 1), np.clip(confident[:, 1], 0, h - 1)
    assert np.all(cx >= x0 - 1e-3) and np.all(cx <= x1 + 1e-3)
    assert np.all(cy >= y0 - 1e-3) and np.all(cy <= y1 + 1e-3)
    assert set(blazepose.timings) == {'preprocess', 'invoke', 'decode'}
    assert blazepose.timings['invoke'] > 0


def test_tracking_skips_the_detector_until_reset(blazepose):
    image = _astronaut()
    first = blazepose.infer(image)
    assert blazepose.detector_runs == 1
    assert blazepose.roi is not None
    second = blazepose.infer(image)
    third = blazepose.infer(image)
    assert blazepose.detector_runs == 1  # tracked from the previous landmarks
    assert len(second) == len(third) == 1
    # The tracked crop differs from the detector's but must find the same face. The crop spans
    # ~1300 source px (hips are guessed far below this waist-up photo), so one crop pixel is
    # ~5 source px: allow two.
    np.testing.assert_allclose(second[0].keypoints[:5, :2], first[0].keypoints[:5, :2], atol=10)
    blazepose.reset()
    assert blazepose.roi is None
    blazepose.infer(image)
    assert blazepose.detector_runs == 2


@pytest.mark.parametrize('image', [
    np.full((480, 640, 3), 128, np.uint8),
    np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8),
], ids=['gray', 'noise'])
def test_no_person_gives_nothing_and_keeps_searching(blazepose, image):
    assert blazepose.infer(image) == []
    assert blazepose.infer(image) == []
    assert blazepose.detector_runs == 2  # no track to follow, so the detector runs each frame
    assert blazepose.roi is None


def test_losing_the_person_falls_back_to_the_detector(blazepose):
    assert len(blazepose.infer(_astronaut())) == 1
    assert blazepose.detector_runs == 1
    assert blazepose.infer(np.full((512, 512, 3), 128, np.uint8)) == []
    assert blazepose.detector_runs == 2  # presence fell: searched again in the same frame
    assert blazepose.roi is None
    runs = blazepose.detector_runs
    assert len(blazepose.infer(_astronaut())) == 1
    assert blazepose.detector_runs == runs + 1


@pytest.mark.parametrize('k', [1, 3], ids=['ccw90', 'cw90'])
def test_rotated_person_is_turned_upright(blazepose, k):
    image = _astronaut()
    rotated = np.ascontiguousarray(np.rot90(image, k))
    size = image.shape[0]

    def rotate_point(x, y):  # where np.rot90(k) moves source pixel (x, y)
        for _ in range(k):
            x, y = y, size - 1 - x
        return x, y

    corners = np.array([rotate_point(x, y) for x in ASTRO_NOSE[::2] for y in ASTRO_NOSE[1::2]])
    nose_box = (*corners.min(axis=0), *corners.max(axis=0))
    poses = blazepose.infer(rotated)
    assert len(poses) == 1
    assert _inside(poses[0].keypoints[Keypoint.NOSE], nose_box), poses[0].keypoints[Keypoint.NOSE]
    # The crop was rotated by about a quarter turn to make her upright.
    assert abs(abs(blazepose.roi.angle) - math.pi / 2) < math.radians(25)


def _padded_astronaut(offset):
    # The photo's edge columns repeat sideways: the landmark crop repeats the image's edge
    # beyond it, so the photo alone and the wider frame give crops of the same pixels.
    small = cv2.resize(_astronaut(), (480, 480), interpolation=cv2.INTER_AREA)
    canvas = np.pad(small, ((0, 0), (offset, 640 - 480 - offset), (0, 0)), mode='edge')
    return small, canvas


def test_padding_shifts_keypoints_exactly_for_the_same_region(blazepose, runtimes):
    # Same region, shifted by the padding: the crop holds the same pixels (outside the photo its
    # edge repeats either way), so any difference would come from the mapping back to the source.
    offset = 100  # off centre, so the mapping must account for it
    small, canvas = _padded_astronaut(offset)
    plain = blazepose.infer(small)
    roi = blazepose.roi
    padded_bp = BlazePose(*runtimes)
    padded_bp.roi = Roi((roi.center[0] + offset, roi.center[1]), roi.size, roi.angle)
    blazepose.roi = roi
    plain = blazepose.infer(small)
    padded = padded_bp.infer(canvas)
    assert padded_bp.detector_runs == 0
    assert len(plain) == len(padded) == 1
    a, b = plain[0].keypoints, padded[0].keypoints
    np.testing.assert_allclose(b[:, :2], a[:, :2] + [offset, 0], atol=1.0)
    np.testing.assert_allclose(b[:, 2], a[:, 2], atol=0.02)


def test_padded_frame_finds_the_same_face(blazepose, runtimes):
    # From scratch the detector sees the person smaller in the 640-wide letterbox, and for this
    # waist-up photo it then guesses the hidden hips higher, so the crop differs and only the
    # clearly visible face is compared; 15 px is 3% of the 480 px frame.
    offset = 100
    small, canvas = _padded_astronaut(offset)
    padded_bp = BlazePose(*runtimes)
    for _ in range(3):  # let tracking settle on each
        plain = blazepose.infer(small)
        padded = padded_bp.infer(canvas)
    assert len(plain) == len(padded) == 1
    face = slice(Keypoint.NOSE, Keypoint.RIGHT_EAR + 1)
    np.testing.assert_allclose(padded[0].keypoints[face, :2],
                               plain[0].keypoints[face, :2] + [offset, 0], atol=15.0)


def test_rejects_wrong_models_and_images(runtimes):
    landmark, detector = runtimes
    with pytest.raises(ValueError, match='not a BlazePose landmark model'):
        BlazePose(detector, detector)
    with pytest.raises(ValueError, match='not a BlazePose detector model'):
        BlazePose(landmark, landmark)
    with pytest.raises(ValueError, match='min_tracking_score'):
        BlazePose(landmark, detector, min_tracking_score=1.5)
    bp = BlazePose(landmark, detector)
    with pytest.raises(ValueError, match=r'BlazePose.infer\(\) needs an RGB uint8 image'):
        bp.infer(np.zeros((64, 64), np.uint8))
    with pytest.raises(ValueError, match=r'BlazePose.infer\(\) needs an RGB uint8 image'):
        bp.infer(np.zeros((64, 64, 3), np.float32))


LEGS = (Keypoint.LEFT_HIP, Keypoint.RIGHT_HIP, Keypoint.LEFT_KNEE, Keypoint.RIGHT_KNEE,
        Keypoint.LEFT_ANKLE, Keypoint.RIGHT_ANKLE)


def _drawn(pose, shape):
    canvas = np.zeros(shape, np.uint8)
    draw_poses(canvas, [pose])
    return canvas


def test_astronaut_cut_at_the_waist_is_drawn_without_legs(blazepose):
    # Her photo ends at the waist: hips, knees and ankles are guesses below the frame, and the
    # overlay (pose_node's default annotated_min_score) must show only what the model saw.
    assert {p.name: p for p in PARAMS}['annotated_min_score'].default == MIN_DRAW_SCORE
    image = _astronaut()
    for _ in range(10):  # the detector's region, then tracked ones (hips reach 0.33)
        (pose,) = blazepose.infer(image)
        legless = Pose(keypoints=pose.keypoints.copy(), score=pose.score, box=pose.box)
        legless.keypoints[list(LEGS), 2] = 0.0
        drawn = _drawn(pose, image.shape)
        np.testing.assert_array_equal(drawn, _drawn(legless, image.shape))
        for k in (Keypoint.NOSE, Keypoint.LEFT_SHOULDER, Keypoint.RIGHT_SHOULDER):
            x, y = np.rint(pose.keypoints[k, :2]).astype(int)
            assert drawn[y, x].any(), f'{k.name} is in view and must be drawn'


def test_cameraman_hips_in_view_are_drawn(blazepose):
    image = _camera()
    for _ in range(4):
        (pose,) = blazepose.infer(image)
        drawn = _drawn(pose, image.shape)
        for k in (Keypoint.LEFT_HIP, Keypoint.RIGHT_HIP):
            x, y = np.rint(pose.keypoints[k, :2]).astype(int)
            assert drawn[y, x].any(), f'{k.name} is in view and must be drawn'


@pytest.mark.parametrize('before, after', [(_astronaut, _camera), (_camera, _astronaut)],
                         ids=['astronaut-to-camera', 'camera-to-astronaut'])
def test_scene_cut_redetects_in_the_first_frame(runtimes, before, after):
    # Both photos show a person in about the same place, so the landmark model still reports
    # someone (presence 0.999) in the old region; without re-detection the keypoints were off
    # by 5 % of the diagonal on average, 13 to 22 % at worst.
    fresh = BlazePose(*runtimes).infer(after())[0]
    blazepose = BlazePose(*runtimes)
    for _ in range(3):
        blazepose.infer(before())
    runs = blazepose.detector_runs
    (pose,) = blazepose.infer(after())
    assert blazepose.detector_runs == runs + 1
    seen = fresh.keypoints[:, 2] >= 0.5
    error = np.linalg.norm(pose.keypoints[seen, :2] - fresh.keypoints[seen, :2], axis=1)
    assert error.max() <= 0.02 * math.hypot(512, 512)


def test_moving_person_is_tracked_without_the_detector(runtimes):
    # The demo clip's astronaut drifts and zooms like a handheld shot; seen at 10 Hz her region
    # moves up to 4.6 % of its size a frame, which tracking follows without a new search.
    frames = clip.frames(clip.ClipSpec(seconds_per_person=4.0))[:120:3]
    blazepose = BlazePose(*runtimes)
    found = [len(blazepose.infer(frame)) for frame in frames]
    assert found == [1] * len(frames)
    assert blazepose.detector_runs == 1
