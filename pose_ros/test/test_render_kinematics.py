"""Joint angles on rendered people agree with the posed rig they were rendered from.

The renderer's ground truth gives each frame's joint centres in camera coordinates (3D)
and pixels (2D). The kinematics measure angles from those keypoints; the rig is measured
independently, from its bones: each limb segment from its first bone's head to its second
bone's tail (MakeHuman splits every segment in two), and the torso's down axis from the
chest bone's frame (arms) and the root's (legs), the frames the scene's limb directions
are posed in. Elbows and knees must agree (within 0.0001 degrees here). Shoulders and
hips may not: the kinematics' down axis runs from the shoulder joints' centre to the hip
joints' centre, which the spine's curve tilts against the chest and root frames (by up to
1.92 degrees in these frames in 3D, 1.56 in the image), so they get ``TORSO_TOLERANCE``.
"""

import numpy as np
import pytest
from render_helpers import require_assets, require_gl

from pose_ros.core.keypoints import Pose
from pose_ros.kinematics import Joint, Space, joint_angles
from pose_ros.rendering import Film, parse_scene, project, to_camera

# Two views of one movement, 320x240 at 10 frames/s: from the front, and from 60 degrees
# to the person's left, where limbs reaching forward are foreshortened in the image.
SCENE = """
person gender=0.6 stature=1.75
camera distance=3.0 height=1.2 yaw={yaw} fov=60
image fps=10 noise=0 blur=0 jpeg=0 width=320 height=240
pose kin like=rest l_upperarm=90,0 l_forearm=178,0 r_upperarm=40,60 r_forearm=120,30 \
l_thigh=30,40 l_shin=5,0 r_thigh=10,-20 r_shin=3,30
rest 0.1
move kin 0.3
hold kin 0.2
"""
FRAMES = (0, 2, 5)          # rest, half way, held
TORSO_TOLERANCE = 3.0       # degrees, shoulders and hips
LIMB_TOLERANCE = 0.01       # degrees, elbows and knees
TORSO_JOINTS = [Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER, Joint.LEFT_HIP, Joint.RIGHT_HIP]
LIMB_JOINTS = [Joint.LEFT_ELBOW, Joint.RIGHT_ELBOW, Joint.LEFT_KNEE, Joint.RIGHT_KNEE]


def _angle(a, b):
    """Angle between directions by the cosine: not the library's own function."""
    return float(np.degrees(np.arccos(np.clip(
        np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0))))


def rig_angles(film, time, to_space):
    """Measure the rig at ``time``; ``to_space`` maps world points (N, 3) to 3D or pixels."""
    posed = film.posed(film.timeline.at(time))
    index, rest = film.skeleton.rig.index, film.skeleton.rest

    def segment(first, last):
        ends = to_space(np.stack([posed.heads[index[first]], posed.tails[index[last]]]))
        return ends[1] - ends[0]

    def down(bone, at):
        b = index[bone]
        frame = posed.rotations[b] @ rest[b].T
        origin = posed.heads[index[at]]
        ends = to_space(np.stack([origin, origin + 0.3 * frame @ np.array([0.0, -1.0, 0.0])]))
        return ends[1] - ends[0]

    out = np.zeros(len(Joint))
    for side, s in (('LEFT', 'L'), ('RIGHT', 'R')):
        upper = segment(f'upperarm01.{s}', f'upperarm02.{s}')
        forearm = segment(f'lowerarm01.{s}', f'lowerarm02.{s}')
        thigh = segment(f'upperleg01.{s}', f'upperleg02.{s}')
        shin = segment(f'lowerleg01.{s}', f'lowerleg02.{s}')
        out[Joint[f'{side}_SHOULDER']] = _angle(upper, down('spine01', f'upperarm01.{s}'))
        out[Joint[f'{side}_ELBOW']] = 180.0 - _angle(upper, forearm)
        out[Joint[f'{side}_HIP']] = _angle(thigh, down('root', f'upperleg01.{s}'))
        out[Joint[f'{side}_KNEE']] = 180.0 - _angle(thigh, shin)
    return out


def measure(yaw, assets):
    """Per frame: (kinematics in 3D, in the image, the rig in 3D, the rig in the image)."""
    scene = parse_scene(SCENE.format(yaw=yaw), f'kinematics_{yaw}.scene')
    out = []
    with Film(scene, assets) as film:
        rot, centre = film.extrinsics
        intrinsics = scene.camera.intrinsics
        for i in FRAMES:
            f = film.frame(i)
            kp = np.hstack([f.truth.points_2d, np.ones((17, 1))]).astype(np.float32)
            in_3d = joint_angles(Pose(kp, positions=f.truth.points_3d))
            in_image = joint_angles(Pose(kp))
            rig_3d = rig_angles(film, f.time, lambda p: to_camera(p, rot, centre))
            rig_2d = rig_angles(film, f.time,
                                lambda p: project(to_camera(p, rot, centre), intrinsics))
            out.append((in_3d, in_image, rig_3d, rig_2d))
    return out


@pytest.fixture(scope='module')
def views():
    assets = require_assets()
    require_gl()
    return {'front': measure(0, assets), 'side': measure(60, assets)}


@pytest.mark.parametrize('view', ['front', 'side'])
def test_3d_angles_from_the_true_keypoints_are_the_rigs(views, view):
    frames = views[view]
    for in_3d, _, rig_3d, _ in frames:
        assert (in_3d.spaces == Space.CAMERA).all()
        np.testing.assert_allclose(in_3d.angles[LIMB_JOINTS], rig_3d[LIMB_JOINTS],
                                   atol=LIMB_TOLERANCE)
        np.testing.assert_allclose(in_3d.angles[TORSO_JOINTS], rig_3d[TORSO_JOINTS],
                                   atol=TORSO_TOLERANCE)
    # The movement is there to be measured: the left elbow bends from straight to 90.
    assert frames[0][0].angle(Joint.LEFT_ELBOW) > 165.0
    assert abs(frames[-1][0].angle(Joint.LEFT_ELBOW) - 90.0) < 3.0


@pytest.mark.parametrize('view', ['front', 'side'])
def test_image_plane_angles_from_the_true_keypoints_are_the_rigs_projection(views, view):
    for _, in_image, _, rig_2d in views[view]:
        assert (in_image.spaces == Space.IMAGE).all()
        np.testing.assert_allclose(in_image.angles[LIMB_JOINTS], rig_2d[LIMB_JOINTS],
                                   atol=LIMB_TOLERANCE)
        np.testing.assert_allclose(in_image.angles[TORSO_JOINTS], rig_2d[TORSO_JOINTS],
                                   atol=TORSO_TOLERANCE)


def test_only_3d_angles_stay_the_bodys_whichever_side_the_camera_is_on(views):
    for front, side in zip(views['front'], views['side']):
        # One body, two cameras: the same angles in 3D...
        np.testing.assert_allclose(side[0].angles, front[0].angles, atol=1e-6)
    front_image = views['front'][-1][1]
    side_3d, side_image, rig_3d, _ = views['side'][-1]
    # ...but not in the image: held, the left thigh reaches forward, toward the side
    # camera, and is foreshortened there.
    wrong = np.abs(side_image.angles - rig_3d)
    assert wrong[Joint.LEFT_HIP] > 15.0 and wrong[Joint.LEFT_KNEE] > 10.0
    # What the image shows depends on where the camera stands; the body's angles do not.
    assert np.abs(front_image.angles - side_image.angles).max() > 10.0
    assert abs(side_3d.angle(Joint.LEFT_HIP) - rig_3d[Joint.LEFT_HIP]) < TORSO_TOLERANCE
    assert abs(side_3d.angle(Joint.LEFT_KNEE) - rig_3d[Joint.LEFT_KNEE]) < LIMB_TOLERANCE
