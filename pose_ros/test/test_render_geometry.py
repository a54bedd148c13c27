"""The renderer's geometry: rig on the mesh, skinning, projection, depth against truth."""

import json

import numpy as np
import pytest
from render_helpers import require_assets, require_gl

from pose_ros.core.keypoints import Keypoint
from pose_ros.rendering import Camera, Film, parse_scene, project, to_camera
from pose_ros.rendering.body import (
    BLENDER_TO_BODY,
    Shape,
    base_mesh_and_rig,
    joint_positions,
    load_body,
)
from pose_ros.rendering.groundtruth import RADIUS
from pose_ros.rendering.skinning import Pose, Skeleton, euler_xyz, segment_direction

K = Keypoint


@pytest.fixture(scope='module')
def assets():
    return require_assets()


@pytest.fixture(scope='module')
def body(assets):
    return load_body(Shape(), str(assets))


def test_joints_on_the_shaped_mesh_match_the_rigs_own_positions(assets, body):
    # The rig file records its joints for MakeHuman's default body, in Blender's frame
    # (Z up, metres): shaping by the macro targets and placing joints by the rig's rules
    # must land on them. The body is moved to stand on the floor, so compare from the root.
    spec = json.loads((assets / 'rigs/standard/rig.default.json').read_text())
    rig = body.rig
    root = rig.index['root']
    for part, got in (('head', body.heads), ('tail', body.tails)):
        expected = np.array([BLENDER_TO_BODY @ np.array(spec[b.name][part]['default_position'])
                             for b in rig.bones])
        expected_root = BLENDER_TO_BODY @ np.array(spec['root']['head']['default_position'])
        np.testing.assert_allclose(got - body.heads[root], expected - expected_root,
                                   atol=2.5e-3, err_msg=part)


def test_rig_placement_rules_follow_the_mesh(assets):
    mesh, rig = base_mesh_and_rig(str(assets))
    heads, _ = joint_positions(mesh.vertices, rig)
    moved, _ = joint_positions(mesh.vertices + [0.1, -0.2, 0.3], rig)
    np.testing.assert_allclose(moved - heads, np.broadcast_to([0.1, -0.2, 0.3], heads.shape),
                               atol=1e-12)


def test_bone_rest_frames_point_along_the_bone_and_are_rotations(body):
    along = body.tails - body.heads
    along /= np.linalg.norm(along, axis=1, keepdims=True)
    np.testing.assert_allclose(body.rest_rotations[:, :, 1], along, atol=1e-9)
    eye = np.einsum('bji,bjk->bik', body.rest_rotations, body.rest_rotations)
    np.testing.assert_allclose(eye, np.broadcast_to(np.eye(3), eye.shape), atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(body.rest_rotations), 1.0, atol=1e-9)


def test_skinning_the_rest_pose_reproduces_the_mesh(body):
    posed = Skeleton(body).pose(Pose())
    np.testing.assert_allclose(posed.vertices, body.vertices, atol=1e-5)
    np.testing.assert_allclose(posed.heads, body.heads, atol=1e-9)


def test_skinning_moves_the_whole_body_rigidly_with_position_and_facing(body):
    posed = Skeleton(body).pose(Pose(position=(1.0, -2.0), facing=90.0))
    # Facing 90: the body's +Z (its front) turns to world +X.
    expected = body.vertices @ np.array([[0, 0, -1], [0, 1, 0], [1, 0, 0]]) + [1.0, 0, -2.0]
    np.testing.assert_allclose(posed.vertices, expected, atol=1e-5)


def test_limb_directions_are_reached(body):
    sk = Skeleton(body)
    wanted = {'l_upperarm': (90.0, 0.0), 'l_forearm': (178.0, 0.0),
              'r_upperarm': (48.0, 20.0), 'r_forearm': (30.0, 40.0),
              'l_thigh': (10.0, 60.0), 'l_shin': (3.0, 10.0)}
    _, rot, pos = sk.solve(Pose(directions=wanted))
    torso = rot[sk.torso] @ sk.rest[sk.torso].T
    legs = rot[sk.leg_frame] @ sk.rest[sk.leg_frame].T
    idx = body.rig.index
    joints = {'l_upperarm': ('upperarm01.L', 'lowerarm01.L', 1, torso),
              'l_forearm': ('lowerarm01.L', 'wrist.L', 1, torso),
              'r_upperarm': ('upperarm01.R', 'lowerarm01.R', -1, torso),
              'r_forearm': ('lowerarm01.R', 'wrist.R', -1, torso),
              'l_thigh': ('upperleg01.L', 'lowerleg01.L', 1, legs),
              'l_shin': ('lowerleg01.L', 'foot.L', 1, legs)}
    for seg, (a, b, side, frame) in joints.items():
        d = pos[idx[b]] - pos[idx[a]]
        d /= np.linalg.norm(d)
        target = frame @ segment_direction(*wanted[seg], side)
        assert float(d @ target) > 0.9995, seg


def test_projection_matches_the_pinhole_model():
    cam = Camera(distance=3.0, height=1.4, yaw=20.0, roll=5.0, fov=60.0)
    rot, centre = cam.pose()
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    # The aimed-at point projects near the image centre (exactly, before the roll).
    aim = np.array([[0.0, cam.look_height, 0.0]])
    px = project(to_camera(aim, rot, centre), cam.intrinsics)
    np.testing.assert_allclose(px[0], [320.0, 240.0], atol=1e-9)
    # Roll turns the image about the centre: a point above the aim moves off vertical.
    above = project(to_camera(np.array([[0.0, cam.look_height + 0.5, 0.0]]), rot, centre),
                    cam.intrinsics)[0]
    assert above[1] < 240.0 and above[0] > 325.0   # + roll: the image turns clockwise


SCENE = """
person gender=0.6 stature=1.75
camera distance=3.0 height=1.3 yaw=15 roll=4 fov=60
image fps=10 noise=0 blur=0 jpeg=0 width=320 height=240
hold turn_right 0.3
"""


@pytest.fixture(scope='module')
def frame(assets):
    require_gl()
    scene = parse_scene(SCENE, 'geometry.scene')
    with Film(scene, assets) as film:
        return film.frame(1), scene


def test_ground_truth_2d_is_the_projection_of_3d(frame):
    f, scene = frame
    np.testing.assert_allclose(project(f.truth.points_3d, scene.camera.intrinsics),
                               f.truth.points_2d, atol=1e-9)
    assert f.truth.in_image.all()


def test_depth_buffer_agrees_with_visible_keypoints(frame):
    f, _ = frame
    assert f.truth.visible.sum() >= 14
    for i in np.flatnonzero(f.truth.visible):
        u, v = f.truth.points_2d[i].astype(int)
        z = f.truth.points_3d[i, 2]
        d = f.depth[v, u]
        # The surface in front of a joint lies within the limb's radius of it, never behind.
        assert z - RADIUS[i] - 0.02 <= d <= z + 0.02, (Keypoint(i).name, z, d)
    # The nose is on the surface: its depth is the depth buffer's there.
    u, v = f.truth.points_2d[K.NOSE].astype(int)
    assert abs(f.depth[v, u] - f.truth.points_3d[K.NOSE, 2]) < 0.02


def test_the_wall_is_behind_the_person_in_the_depth_image(frame):
    f, _ = frame
    person_z = f.truth.points_3d[:, 2].max()
    corner = f.depth[5, 5]
    assert np.isfinite(corner) and corner > person_z + 1.0


def test_a_joint_behind_the_body_is_not_visible(assets):
    require_gl()
    # Seen from the side, the far shoulder is hidden by the chest.
    scene = parse_scene(SCENE.replace('yaw=15', 'yaw=90').replace('hold turn_right', 'rest'),
                        'side.scene')
    with Film(scene, assets) as film:
        f = film.frame(1)
    # Yaw 90: the camera is at the person's own left, so their right side is far.
    assert f.truth.visible[K.LEFT_SHOULDER]
    assert not f.truth.visible[K.RIGHT_SHOULDER]
    assert not f.truth.visible[K.RIGHT_HIP]


def test_any_bone_can_be_posed_by_name_fingers_included(body):
    sk = Skeleton(body)
    rest = sk.pose(Pose())
    curled = sk.pose(Pose(rotations={'finger2-2.L': euler_xyz(1.0, 0.0, 0.0)}))
    moved = np.linalg.norm(curled.vertices - rest.vertices, axis=1) > 1e-4
    idx = body.rig.index
    # Only vertices near the left index finger move, and its tip bone goes with it.
    hand = body.heads[idx['finger2-2.L']]
    assert 20 < moved.sum() < 400
    assert np.linalg.norm(body.vertices[moved] - hand, axis=1).max() < 0.08
    assert np.linalg.norm(curled.heads[idx['finger2-3.L']] - rest.heads[idx['finger2-3.L']]) \
        > 0.01
    np.testing.assert_allclose(curled.heads[idx['finger2-2.R']], rest.heads[idx['finger2-2.R']])
    with pytest.raises(KeyError, match="no bone 'finger9.L'"):
        sk.pose(Pose(rotations={'finger9.L': np.eye(3)}))
