"""3D keypoints from depth: camera model, depth images, robust sampling, surface correction."""

import math

import cv2
import numpy as np
import pytest

from pose_ros.core.keypoints import NUM_KEYPOINTS, Keypoint
from pose_ros.depth.camera import CameraModelError, PinholeCamera
from pose_ros.depth.image import DepthFormatError, DepthImage, depth_from_fields
from pose_ros.depth.lift import DEFAULT_TORSO_M, SURFACE_TO_JOINT, lift_keypoints
from pose_ros.depth.sampling import surface_depths

K = Keypoint
W, H, F = 640, 480, 500.0
CAM = PinholeCamera.from_camera_info(W, H, [F, 0, 320, 0, F, 240, 0, 0, 1], 'plumb_bob',
                                     [0.0] * 5)


# -- the camera model ---------------------------------------------------------------------

@pytest.mark.parametrize('model,d', [
    ('plumb_bob', [-0.28, 0.07, 0.001, -0.002, 0.0]),
    ('rational_polynomial', [0.3, -0.1, 0.001, 0.001, 0.01, 0.6, -0.1, 0.02]),
    ('equidistant', [0.05, -0.01, 0.002, -0.001]),
])
def test_rays_undo_the_lens_distortion(model, d):
    cam = PinholeCamera.from_camera_info(W, H, [F, 0, 318, 0, F * 1.01, 242, 0, 0, 1], model, d)
    pts = np.array([[0.0, 0.0, 2.0], [0.5, -0.3, 2.0], [-0.6, 0.4, 1.5]])
    px = cam.project(pts)
    assert np.abs(px[1] - px[0]).max() > 50           # off-centre points, really distorted
    undist = pts[:, :2] / pts[:, 2:]
    assert np.allclose(cam.rays(px), undist, atol=1e-4)


def test_undistorted_camera_is_plain_pinhole():
    rays = CAM.rays(np.array([[320.0, 240.0], [820.0, 240.0]]))
    assert np.allclose(rays, [[0, 0], [1.0, 0]])


@pytest.mark.parametrize('model,d,words', [
    ('kannala_brandt', [0.1, 0.0, 0.0, 0.0], 'not supported'),
    ('plumb_bob', [0.1, 0.0, 0.0], 'takes 4 or 5 or 8 coefficients, got 3'),
])
def test_unsupported_distortion_is_refused(model, d, words):
    with pytest.raises(CameraModelError, match=words):
        PinholeCamera.from_camera_info(W, H, [F, 0, 320, 0, F, 240, 0, 0, 1], model, d)


def test_zero_coefficients_of_any_model_mean_no_distortion():
    cam = PinholeCamera.from_camera_info(W, H, [F, 0, 320, 0, F, 240, 0, 0, 1], 'unknown',
                                         [0.0] * 7)
    assert not cam.distorted


def test_uncalibrated_camera_info_is_refused():
    with pytest.raises(CameraModelError, match='not calibrated'):
        PinholeCamera.from_camera_info(W, H, [0.0] * 9, '', [])


# -- depth images -------------------------------------------------------------------------

def test_16uc1_with_padded_rows_and_big_endian():
    mm = np.arange(12, dtype=np.uint16).reshape(3, 4) * 1000
    padded = np.zeros((3, 6), '>u2')
    padded[:, :4] = mm
    d = depth_from_fields('16UC1', 4, 3, 12, padded.tobytes(), is_bigendian=1)
    assert np.array_equal(d.data, mm) and d.scale == 0.001


def test_32fc1_keeps_metres():
    m = np.full((2, 3), 1.25, np.float32)
    d = depth_from_fields('32FC1', 3, 2, 12, m.tobytes())
    assert np.array_equal(d.data, m) and d.scale == 1.0


@pytest.mark.parametrize('enc,w,h,step,n,words', [
    ('rgb8', 4, 3, 12, 36, 'not supported'),
    ('16UC1', 4, 3, 6, 36, 'step 6'),
    ('16UC1', 4, 3, 8, 20, 'needs 24 bytes, got 20'),
])
def test_bad_depth_images_are_explained(enc, w, h, step, n, words):
    with pytest.raises(DepthFormatError, match=words):
        depth_from_fields(enc, w, h, step, bytes(n))


# -- sampling on synthetic scenes ---------------------------------------------------------

def person_scene(wall=4.0, torso=2.0, arm=None):
    """Depth (m) of a wall, a torso block, and optionally a forearm in front of the torso.

    Returns the depth image and COCO keypoints (17, 3) in pixels: shoulders and hips on the
    torso's corners (20 px inside), elbows on its sides, wrists on the forearm when given.
    """
    z = np.full((H, W), wall, np.float32)
    x0, x1, y0, y1 = 260, 380, 140, 340
    z[y0:y1, x0:x1] = torso
    kp = np.zeros((NUM_KEYPOINTS, 3))
    kp[K.LEFT_SHOULDER] = (x1 - 20, y0 + 10, 1)
    kp[K.RIGHT_SHOULDER] = (x0 + 20, y0 + 10, 1)
    kp[K.LEFT_HIP] = (x1 - 25, y1 - 15, 1)
    kp[K.RIGHT_HIP] = (x0 + 25, y1 - 15, 1)
    kp[K.LEFT_ELBOW] = (x1, 230, 1)             # on the torso's edge: half wall
    kp[K.RIGHT_ELBOW] = (x0 - 1, 230, 1)        # just off it: most of the window is wall
    if arm is not None:
        z[250:262, 290:330] = arm               # a forearm across the belly
        kp[K.LEFT_WRIST] = (325, 256, 1)
        kp[K.RIGHT_WRIST] = (295, 256, 1)
    return z, kp


def one(depth, kp, score=0.5):
    return surface_depths(depth, kp[None], score)[0]


def test_picks_the_person_not_the_wall_on_edges():
    z, kp = person_scene()
    s = one(DepthImage.from_metres(z), kp)
    for k in (K.LEFT_SHOULDER, K.RIGHT_SHOULDER, K.LEFT_HIP, K.RIGHT_HIP, K.LEFT_ELBOW):
        assert s[k] == pytest.approx(2.0, abs=0.01), K(k).name
    # Off the body by a pixel: still the person's side, not the wall 2 m behind.
    assert s[K.RIGHT_ELBOW] == pytest.approx(2.0, abs=0.01)


def test_wrist_in_front_of_the_torso_is_the_wrist_and_hip_behind_a_hand_is_the_hip():
    z, kp = person_scene(arm=1.6)
    kp[K.LEFT_HIP] = (310, 262, 1)              # the forearm covers the hip keypoint ...
    kp[K.RIGHT_HIP] = (300, 256, 1)             # ... and all the window around this one
    s = one(DepthImage.from_metres(z), kp)
    assert s[K.LEFT_WRIST] == pytest.approx(1.6, abs=0.01)
    assert s[K.RIGHT_WRIST] == pytest.approx(1.6, abs=0.01)
    assert s[K.LEFT_HIP] == pytest.approx(2.0, abs=0.01)
    assert math.isnan(s[K.RIGHT_HIP])           # hidden: no depth rather than the hand's


def test_holes_and_projector_shadow_are_skipped():
    z, kp = person_scene()
    z[:, 380:395] = 0.0                         # shadow band right of the person
    x, y = kp[K.LEFT_SHOULDER, :2].astype(int)
    z[y - 1:y + 2, x - 1:x + 2] = np.nan        # a hole at the keypoint itself
    s = one(DepthImage.from_metres(z), kp)
    assert s[K.LEFT_SHOULDER] == pytest.approx(2.0, abs=0.01)
    assert s[K.LEFT_ELBOW] == pytest.approx(2.0, abs=0.01)


def test_background_between_the_fingers():
    z, kp = person_scene()
    kp[K.LEFT_WRIST] = (450, 230, 1)            # a hand held out to the side, over the wall
    z[222:238, 444:456] = 1.9
    z[222:238, 447:449] = 4.0                   # wall seen between two fingers
    z[222:238, 451:453] = 4.0
    s = one(DepthImage.from_metres(z), kp)
    assert s[K.LEFT_WRIST] == pytest.approx(1.9, abs=0.01)


def test_quantised_noisy_depth_far_away_in_millimetres():
    rng = np.random.default_rng(3)
    z, kp = person_scene(wall=7.0, torso=5.0)
    noisy = z + rng.standard_normal(z.shape).astype(np.float32) * 0.05
    fb = 580 * 0.075
    noisy = fb / (np.round(fb / noisy * 8) / 8)           # disparity steps of 1/8 px
    mm = np.round(noisy * 1000).astype(np.uint16)
    mm[rng.random(mm.shape) < 0.1] = 0
    s = one(DepthImage.from_millimetres(mm), kp)
    for k in (K.LEFT_SHOULDER, K.RIGHT_SHOULDER, K.LEFT_HIP, K.RIGHT_HIP, K.LEFT_ELBOW):
        assert s[k] == pytest.approx(5.0, abs=0.08), K(k).name


def test_both_encodings_agree():
    z, kp = person_scene(arm=1.6)
    metres = one(DepthImage.from_metres(z), kp)
    mm = one(DepthImage.from_millimetres(np.round(z * 1000).astype(np.uint16)), kp)
    assert np.allclose(metres, mm, atol=0.001, equal_nan=True)
    assert np.isfinite(metres).sum() == 8     # shoulders, elbows, wrists, hips


def test_no_depth_low_score_or_outside_gives_no_position():
    z, kp = person_scene()
    x, y = kp[K.RIGHT_HIP, :2].astype(int)
    z[y - 20:y + 20, x - 20:x + 20] = 0.0       # nothing measured around the right hip
    kp[K.LEFT_HIP, 2] = 0.1                     # the model is not sure of the left hip
    kp[K.NOSE] = (700, 100, 1)                  # outside the image
    s = one(DepthImage.from_metres(z), kp)
    assert math.isnan(s[K.RIGHT_HIP]) and math.isnan(s[K.LEFT_HIP]) and math.isnan(s[K.NOSE])
    assert s[K.LEFT_SHOULDER] == pytest.approx(2.0, abs=0.01)


def test_something_between_person_and_camera_is_not_the_person():
    z, kp = person_scene()
    x, y = kp[K.LEFT_SHOULDER, :2].astype(int)
    z[y - 3:y + 4, x - 3:x + 4] = 0.5           # a pole 1.5 m in front of the person
    s = one(DepthImage.from_metres(z), kp)
    assert s[K.LEFT_SHOULDER] == pytest.approx(2.0, abs=0.01)


# -- lifting ------------------------------------------------------------------------------

def test_positions_are_joint_centres_behind_the_surface():
    z, kp = person_scene()
    pos = lift_keypoints(kp[None], DepthImage.from_metres(z), CAM, 0.5)
    torso_px = np.linalg.norm((kp[5, :2] + kp[6, :2]) / 2 - (kp[11, :2] + kp[12, :2]) / 2)
    torso_m = torso_px * 2.0 / F
    assert pos.torso_m[0] == pytest.approx(torso_m)
    k = K.LEFT_HIP
    want_z = 2.0 + SURFACE_TO_JOINT[k] * torso_m
    ray = (kp[k, :2] - (320, 240)) / F
    assert pos.valid[0, k]
    assert np.allclose(pos.points[0, k], [ray[0] * want_z, ray[1] * want_z, want_z], atol=1e-3)
    assert not pos.valid[0, K.NOSE] and np.all(pos.points[0, K.NOSE] == 0)
    flat = lift_keypoints(kp[None], DepthImage.from_metres(z), CAM, 0.5, correct_surface=False)
    assert flat.points[0, k, 2] == pytest.approx(2.0, abs=1e-3)


def test_person_without_a_torso_gets_the_default_size():
    z, kp = person_scene()
    kp[[K.LEFT_SHOULDER, K.RIGHT_SHOULDER], 2] = 0.0
    pos = lift_keypoints(kp[None], DepthImage.from_metres(z), CAM, 0.5)
    assert pos.torso_m[0] == DEFAULT_TORSO_M
    assert pos.valid[0, K.LEFT_HIP]             # the largest cluster: the person


def test_no_persons():
    pos = lift_keypoints(np.zeros((0, NUM_KEYPOINTS, 3)), DepthImage.from_metres(
        np.ones((H, W), np.float32)), CAM, 0.5)
    assert pos.points.shape == (0, NUM_KEYPOINTS, 3)


def test_distorted_camera_positions_lie_on_the_true_ray():
    cam = PinholeCamera.from_camera_info(W, H, [F, 0, 320, 0, F, 240, 0, 0, 1], 'plumb_bob',
                                         [-0.25, 0.05, 0.0, 0.0, 0.0])
    z, kp = person_scene()
    pos = lift_keypoints(kp[None], DepthImage.from_metres(z), cam, 0.5, correct_surface=False)
    k = K.LEFT_SHOULDER
    want = cv2.undistortPoints(kp[k, :2].reshape(1, 1, 2), cam.k, np.array(cam.d))[0, 0]
    assert np.allclose(pos.points[0, k, :2] / pos.points[0, k, 2], want, atol=1e-6)
