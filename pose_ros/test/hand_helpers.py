"""Shared by the hand tests: a rendered person with both hands raised and their true 21 points.

The rig's hand bones give MediaPipe's 21 landmarks: the wrist is the head of ``wrist``;
the thumb's CMC, MCP and IP are the heads of ``finger1-1..3`` and its tip the tail of
``finger1-3``; each finger N (2 index .. 5 pinky) has its MCP, PIP and DIP at the heads of
``fingerN-1..3`` and its tip at the tail of ``fingerN-3`` (the rig's tips are bone tails,
at the end of the last phalanx inside the finger, not surface vertices).
"""

import numpy as np

from pose_ros.rendering.camera import project, to_camera

# Both palms toward the camera at 1.4 m, forearms raised: hands about 100 px long at 640x480.
HANDS_UP_SCENE = """
person gender=0.8 stature=1.75 skin=fair shirt=green trousers=charcoal hair=blonde sleeves=short
camera distance=1.4 height=1.4 yaw=0 fov=60 look_height=1.35
room   wall=plain wall_colour=#9aa4a8 floor=gravel sun=-30,55
image  fps=10 noise=2 blur=0.7 jpeg=90 seed=2
pose   right_up like=rest r_upperarm=70,20 r_forearm=170,10 bone.lowerarm02.R=0,60,0
pose   hands_up like=right_up l_upperarm=50,20 l_forearm=150,10 bone.lowerarm02.L=0,-60,0
hold hands_up 1.0
"""
HEADS = ['wrist', 'finger1-1', 'finger1-2', 'finger1-3']
TIPS = {4: 'finger1-3', 8: 'finger2-3', 12: 'finger3-3', 16: 'finger4-3', 20: 'finger5-3'}


def _bones() -> list[tuple[str, bool]]:
    """Return (bone, tail?) for each of the 21 landmarks, in MediaPipe's order."""
    out = [(b, False) for b in HEADS] + [('finger1-3', True)]
    for finger in range(2, 6):
        out += [(f'finger{finger}-{j}', False) for j in (1, 2, 3)]
        out.append((f'finger{finger}-3', True))
    return out


def true_hand_camera(film, posed, side: str) -> np.ndarray:
    """Return the 21 true landmarks (21, 3) in camera coordinates (m) of ``side``'s hand."""
    rig = film.body.rig
    world = np.array([(posed.tails if tail else posed.heads)[rig.index[f'{bone}.{side}']]
                      for bone, tail in _bones()])
    return to_camera(world, *film.extrinsics)


def true_hand_pixels(film, posed, side: str) -> np.ndarray:
    """Return the 21 true landmarks (21, 2) in pixels of the person's ``side`` ('L' or 'R')."""
    return project(true_hand_camera(film, posed, side), film.scene.camera.intrinsics)


def true_elbow_pixels(film, posed, side: str) -> np.ndarray:
    """Return the rig's elbow joint of ``side`` in pixels."""
    head = posed.heads[film.body.rig.index[f'lowerarm01.{side}']]
    return project(to_camera(head[np.newaxis], *film.extrinsics),
                   film.scene.camera.intrinsics)[0]


def hand_length(truth: np.ndarray) -> float:
    """Return the hand's size in the image: wrist to middle finger tip, true pixels."""
    return float(np.hypot(*(truth[12] - truth[0])))
