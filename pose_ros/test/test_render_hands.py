"""Rendered hands: named hand shapes on the rig, their 21-point truth, and the drawn hand."""

import json
import math

import numpy as np
import pytest
from render_helpers import require_assets, require_gl

from pose_ros.core.keypoints import Keypoint
from pose_ros.rendering import Film, Poser, SceneError, load_scene, parse_scene, to_camera
from pose_ros.rendering.clipwriter import write_clip
from pose_ros.rendering.groundtruth import hands_world, keypoints_world
from pose_ros.rendering.hands import HAND_POINT_NAMES, HandShape, palm_normal
from pose_ros.rendering.timeline import Moment

K = Keypoint
FINGER_PIPS = {'index': 6, 'middle': 10, 'ring': 14, 'pinky': 18}
# A hand raised beside the head, palm to the camera (the twist found for this arm pose).
RAISED = ('r_upperarm=35,30 r_forearm=165,15 l_upperarm=35,30 l_forearm=165,15 '
          'bone.lowerarm02.R=0,-30,0 bone.lowerarm02.L=0,30,0')
BODIES = {
    'default': '',
    'girl': 'person gender=0 age=0.25 stature=1.40',
    'heavy man': 'person gender=1 weight=0.9 muscle=0.8 stature=1.90',
}


@pytest.fixture(scope='module')
def assets():
    return require_assets()


def angle(a, b, c) -> float:
    """Return the angle at b (degrees) between b->a and b->c."""
    u, v = a - b, c - b
    return math.degrees(math.acos(np.clip(np.dot(u, v) / np.linalg.norm(u)
                                          / np.linalg.norm(v), -1.0, 1.0)))


def palm_length(points) -> float:
    return float(np.linalg.norm(points[9] - points[0]))


def hands_of(scene_text: str, pose: str, assets):
    """Return (camera-frame hand points per side, body points, poser), without sway."""
    poser = Poser(parse_scene(scene_text), assets)
    posed = poser.posed(Moment(poser.scene.poses[pose], (0.0, 0.0), 0.0, 0.0, None, 'idle'))
    rot, centre = poser.extrinsics
    hands = {side: to_camera(p, rot, centre)
             for side, p in hands_world(poser.body, posed).items()}
    body = to_camera(keypoints_world(poser.body, posed, str(assets)), rot, centre)
    return hands, body, poser


def scene_with(person: str, shapes: str, arms: str = RAISED) -> str:
    return (f'{person}\ncamera distance=1.5 height=1.4 look_height=1.3 fov=50\n'
            f'pose p {arms} {shapes}\nhold p 1\n')


@pytest.mark.parametrize('body', BODIES)
def test_each_hand_shape_bends_the_fingers_as_named(assets, body):
    shapes = {s: hands_of(scene_with(BODIES[body], f'hands={s.value}'), 'p', assets)[0]
              for s in HandShape}
    for side in ('left', 'right'):
        def pip(shape, finger, side=side):
            q = shapes[shape][side]
            i = FINGER_PIPS[finger]
            return angle(q[i - 1], q[i], q[i + 1])
        for finger in FINGER_PIPS:
            assert pip(HandShape.OPEN_PALM, finger) > 160, (side, finger)
            assert pip(HandShape.FIST, finger) < 100, (side, finger)
            assert pip(HandShape.THUMBS_UP, finger) < 100, (side, finger)
            # Relaxed: a little curled, between the open palm's and the fist's.
            assert 115 < pip(HandShape.RELAXED, finger) < 155, (side, finger)
            expected_straight = finger == 'index'
            assert (pip(HandShape.POINTING, finger) > 160) == expected_straight, \
                (side, finger)
        # Open palm: the fingers fan out (index and little finger further apart than at
        # rest); the thumb is straight in open palm and thumbs-up, bent in the fist.
        for shape in (HandShape.OPEN_PALM, HandShape.THUMBS_UP):
            q = shapes[shape][side]
            assert angle(q[1], q[2], q[3]) > 160 and angle(q[2], q[3], q[4]) > 160, shape
        q = shapes[HandShape.FIST][side]
        assert angle(q[2], q[3], q[4]) < 150
        spread = {s: angle(shapes[s][side][8], shapes[s][side][0], shapes[s][side][20])
                  for s in (HandShape.OPEN_PALM, HandShape.RELAXED)}
        assert spread[HandShape.OPEN_PALM] > spread[HandShape.RELAXED] + 5
        # Pinch: thumb tip on the index tip (bone tips lie inside the pads); a relaxed
        # thumb rests beside the index, well apart from its tip.
        pinch = shapes[HandShape.PINCH][side]
        relaxed = shapes[HandShape.RELAXED][side]
        assert np.linalg.norm(pinch[4] - pinch[8]) < 0.15 * palm_length(pinch)
        assert np.linalg.norm(relaxed[4] - relaxed[8]) > 0.4 * palm_length(relaxed)
        # A fist closes: fingertips nearer the wrist than the knuckles are.
        fist = shapes[HandShape.FIST][side]
        for tip in (8, 12, 16, 20):
            assert np.linalg.norm(fist[tip] - fist[0]) < np.linalg.norm(fist[tip - 3]
                                                                        - fist[0]) + 0.01


def thumb_in_image(twist: float, assets):
    """Return the thumbs-up hand's pixels with the right forearm forward, turned by twist."""
    arms = f'r_upperarm=10,20 r_forearm=5,90 bone.lowerarm02.R=0,{twist},0'
    hands, _, poser = hands_of(scene_with('', 'r_hand=thumbs_up', arms), 'p', assets)
    q = hands['right']
    return (poser.scene.camera.intrinsics @ (q / q[:, 2:]).T)[:2].T


def test_thumbs_up_points_the_thumb_up_in_the_image(assets):
    # The forearm forward and the palm toward the body: the thumb up, and it alone
    # sticks out of the fist (its tip the highest of the five). Turned over, it points down.
    px = thumb_in_image(10, assets)
    thumb = px[4] - px[2]
    assert thumb[1] < -0.8 * np.linalg.norm(thumb)   # image y is down
    assert px[4, 1] < px[[8, 12, 16, 20], 1].min()
    px = thumb_in_image(190, assets)
    thumb = px[4] - px[2]
    assert thumb[1] > 0.8 * np.linalg.norm(thumb)


def test_hand_wrists_are_the_body_wrists_and_sides_are_the_persons_own(assets):
    hands, body, _ = hands_of(scene_with('', 'l_hand=fist r_hand=open_palm'), 'p', assets)
    np.testing.assert_allclose(hands['left'][0], body[int(K.LEFT_WRIST)], atol=1e-9)
    np.testing.assert_allclose(hands['right'][0], body[int(K.RIGHT_WRIST)], atol=1e-9)
    # Facing the camera, the person's left hand is on the image's right (camera +x),
    # and each hand's points lie around its own wrist.
    for side, wrist in (('left', K.LEFT_WRIST), ('right', K.RIGHT_WRIST)):
        other = body[int(K.RIGHT_WRIST if side == 'left' else K.LEFT_WRIST)]
        dist = np.linalg.norm(hands[side] - body[int(wrist)], axis=1)
        assert dist.max() < 0.25 and (np.linalg.norm(hands[side] - other, axis=1) > 0.3).all()
    assert hands['left'][0, 0] > hands['right'][0, 0]
    assert len(HAND_POINT_NAMES) == 21 and HAND_POINT_NAMES[4] == 'thumb_tip' \
        and HAND_POINT_NAMES[17] == 'pinky_mcp'


def test_the_hands_are_mirror_images(assets):
    # The same shape on both hands with mirrored arms: the right hand's points are the
    # left's mirrored through the body's midplane (world x negated, the body faces +z).
    poser = Poser(parse_scene(scene_with('', 'hands=thumbs_up')), assets)
    posed = poser.posed(Moment(poser.scene.poses['p'], (0.0, 0.0), 0.0, 0.0, None, 'idle'))
    world = hands_world(poser.body, posed)
    mirrored = world['left'] * [-1.0, 1.0, 1.0]
    np.testing.assert_allclose(world['right'], mirrored, atol=2e-3)


def test_the_forearm_twist_turns_the_palm_to_the_camera_or_away(assets):
    for twist, toward in ((-30, True), (150, False)):
        arms = f'r_upperarm=35,30 r_forearm=165,15 bone.lowerarm02.R=0,{twist},0'
        hands, _, _ = hands_of(scene_with('', 'r_hand=open_palm', arms), 'p', assets)
        facing = palm_normal(hands['right'], 'right')   # camera frame: -z is the camera
        assert (facing[2] < -0.7) if toward else (facing[2] > 0.7), twist


def test_moving_between_hand_shapes_blends_the_fingers(assets):
    text = scene_with('', 'r_hand=fist') + 'pose o like=p r_hand=open_palm\nmove o 1\n'
    poser = Poser(parse_scene(text), assets)
    pips = []
    for t in (1.0, 1.5, 2.0):
        _, px = poser.hands_at(t)
        cam, _ = poser.hands_at(t)
        q = cam['right']
        pips.append(angle(q[9], q[10], q[11]))
        assert px['right'].shape == (21, 2)
    assert pips[0] < 100 < pips[1] < 160 < pips[2]
    assert poser.timeline.at(1.2).pose.hands['right'] == 'fist'
    assert poser.timeline.at(1.8).pose.hands['right'] == 'open_palm'


def test_scene_errors_name_the_hand_option():
    with pytest.raises(SceneError, match=r':3: unknown hand shape .wave.*open_palm'):
        parse_scene('# x\n\npose p l_hand=wave\nhold p 1\n')
    with pytest.raises(SceneError, match=r'left hand is given by both'):
        parse_scene('pose p hands=fist l_hand=pinch\nhold p 1\n')
    spec = parse_scene('pose p r_hand=fist bone.finger3-2.R=1,2,3\nhold p 1\n').poses['p']
    assert spec.bones['finger3-2.R'] == (1.0, 2.0, 3.0)      # bone.NAME wins
    assert spec.hands == {'right': 'fist'} and 'finger3-2.L' not in spec.bones


def test_a_rendered_frame_draws_the_hand_where_its_truth_is(assets, tmp_path):
    require_gl()
    image = 'image fps=10 noise=0 blur=0 jpeg=0 width=240 height=180\n'
    frames = {}
    for shape in ('open_palm', 'fist'):
        scene = parse_scene(image + scene_with('', f'r_hand={shape}'))
        with Film(scene, assets) as film:
            frames[shape] = film.frame(0)
    open_palm, fist = frames['open_palm'], frames['fist']
    hand = open_palm.truth.hands['right']
    np.testing.assert_allclose(hand.points_3d[0], open_palm.truth.points_3d[int(K.RIGHT_WRIST)])
    assert open_palm.hand_shapes == {'left': 'relaxed', 'right': 'open_palm'}
    # The straight fingers' DIP joints: drawn (depth at the pixel within the finger's
    # thickness), visible, and where the fist leaves the wall showing.
    for i in (7, 11, 15, 19):
        u, v = (int(c) for c in hand.points_2d[i])
        assert hand.in_image[i] and hand.visible[i], HAND_POINT_NAMES[i]
        assert abs(open_palm.depth[v, u] - hand.points_3d[i, 2]) < 0.03
        assert fist.depth[v, u] > hand.points_3d[i, 2] + 0.5
        diff = np.abs(open_palm.image[v, u].astype(int) - fist.image[v, u].astype(int))
        assert diff.max() > 20, HAND_POINT_NAMES[i]
    # The labels carry the hands beside the body.
    write_clip(parse_scene(image + scene_with('', 'r_hand=pinch')), tmp_path)
    labels = json.loads((tmp_path / 'labels.json').read_text())
    assert labels['hand_keypoint_names'] == list(HAND_POINT_NAMES)
    frame = labels['frames'][0]
    assert frame['hands']['right']['shape'] == 'pinch'
    right = np.array(frame['hands']['right']['keypoints_2d'])
    np.testing.assert_allclose(right[0], frame['keypoints_2d'][int(K.RIGHT_WRIST)], atol=1e-3)
    assert len(frame['hands']['left']['visible']) == 21


ALL_SHAPES = frozenset(s.value for s in HandShape) - {'relaxed'}


@pytest.mark.parametrize('name, expected', [
    ('hand_shapes', {('right', s) for s in ALL_SHAPES}),
    ('hand_shapes_both', {(side, s) for side in ('left', 'right')
                          for s in ('open_palm', 'fist', 'pointing', 'pinch')
                          if (side, s) not in (('right', 'pointing'), ('left', 'pinch'))}),
    ('hand_session_stop', {('right', 'open_palm')})])
def test_the_library_hand_scenes_show_their_shapes_with_the_hands_in_view(assets, name,
                                                                          expected):
    scene = load_scene(name)
    poser = Poser(scene, assets)
    shown = set()
    for t in np.arange(0.0, scene.duration, 0.2):
        moment = poser.timeline.at(t)
        cam, px = poser.hands_at(t)
        for side, shape in moment.pose.hands.items():
            if shape == 'relaxed':
                continue
            shown.add((side, shape))
            w, h = scene.camera.width, scene.camera.height_px
            assert ((px[side] >= 0) & (px[side] < [w, h])).all(), (t, side)
            assert 1.0 <= cam[side][:, 2].min() and cam[side][:, 2].max() <= 2.2, (t, side)
    assert shown == expected


def _curled_threshold() -> float:
    """Return the example gesture file's "curled" curl (the hold_still fist's index)."""
    from pathlib import Path

    import yaml
    path = Path(__file__).resolve().parents[1] / 'config' / 'gestures_hands.yaml'
    fist = yaml.safe_load(path.read_text())['gestures']['hold_still']['when']['any'][0]['all']
    index = next(c for c in fist if c.get('feature') == 'curl(right_hand, index)')
    return float(index['above'])


@pytest.mark.parametrize('body', BODIES)
def test_the_example_files_curled_threshold_parts_relaxed_hands_from_fists(assets, body):
    # On the image's true points, each curled shape's least curled finger reads above the
    # threshold and a relaxed hand's below it, palm to the camera or turned away.
    from pose_ros.gestures import hand_shape
    curled = _curled_threshold()
    for twist in (-45, -30, -15, 150):
        arms = RAISED.replace('0,-30,0', f'0,{twist},0').replace('0,30,0', f'0,{-twist},0')
        for shape in (HandShape.RELAXED, HandShape.FIST, HandShape.THUMBS_UP):
            scene = parse_scene(scene_with(BODIES[body], f'hands={shape.value}', arms))
            poser = Poser(scene, assets)
            for side, px in poser.hands_at(0.5)[1].items():
                least = min(hand_shape.curl(px[list(map(int, hand_shape.curl_chain(f)))])
                            for f in FINGER_PIPS)
                if shape is HandShape.RELAXED:
                    assert least < curled, (twist, side, least)
                else:
                    assert least > curled, (shape, twist, side, least)
