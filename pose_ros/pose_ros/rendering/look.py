"""What the person wears and looks like: per-vertex materials and the face's features.

Why per vertex: clothing follows the bones (a sleeve is where the upper-arm bones
dominate), so it is decided once on the rest mesh from the skinning weights and stays
right in every pose. Finer detail (lips, eyelids, brows, irises) is drawn per pixel by
the shader from the MakeHuman face masks in UV space and from rest-pose positions.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
from pathlib import Path

import cv2
import numpy as np

from pose_ros.rendering.body import BODY_GROUP, EYE_GROUPS, Body

# Material ids, as the shader reads them.
SKIN, SHIRT, TROUSERS, SHOES, HAIR, EYE = range(6)


def _rgb(value: str | tuple) -> tuple[float, float, float]:
    if isinstance(value, tuple):
        return tuple(float(c) for c in value)
    text = value.lstrip('#')
    if len(text) != 6:
        raise ValueError(f'colour {value!r} is not #rrggbb')
    return tuple(int(text[i:i + 2], 16) / 255.0 for i in (0, 2, 4))


SKIN_TONES = {
    'light': '#e8c0a0', 'fair': '#d9a684', 'medium': '#c08b64', 'tan': '#a87350',
    'brown': '#8a5a3c', 'dark': '#5e3b26',
}
COLOURS = {
    'white': '#e6e6e2', 'grey': '#8a8a88', 'charcoal': '#38393b', 'black': '#1c1c1e',
    'navy': '#23345e', 'blue': '#2f5fa8', 'denim': '#3c5474', 'red': '#a82a2a',
    'green': '#2f6b3a', 'olive': '#5b5f34', 'yellow': '#d0a531', 'orange': '#c8642a',
    'beige': '#b9a584', 'brown': '#5a3b26', 'purple': '#5c3a78', 'teal': '#2a7274',
    'blonde': '#b8955a', 'auburn': '#6b2f1c', 'darkbrown': '#2e1d12', 'pink': '#c97b8e',
}


def colour(value: str) -> tuple[float, float, float]:
    """Return RGB 0..1 from a colour name (SKIN_TONES, COLOURS) or '#rrggbb'."""
    if value in SKIN_TONES:
        return _rgb(SKIN_TONES[value])
    if value in COLOURS:
        return _rgb(COLOURS[value])
    return _rgb(value)


@dataclass(frozen=True)
class Outfit:
    """Colours (names or #rrggbb) and cut. Sleeves: 'long', 'short' or 'none'."""

    skin: str = 'medium'
    shirt: str = 'blue'
    trousers: str = 'charcoal'
    shoes: str = 'black'
    hair: str = 'darkbrown'
    eyes: str = '#4a3020'
    sleeves: str = 'long'
    shorts: bool = False


def _bone_weight(body: Body, prefixes: tuple[str, ...]) -> np.ndarray:
    rig = body.rig
    wanted = np.array([b.name.startswith(prefixes) for b in rig.bones])
    return (rig.weights * wanted[rig.weight_bones]).sum(axis=1)


@dataclass(frozen=True)
class FaceGeometry:
    """Rest-pose landmarks the shader and the ground truth use (body frame, metres)."""

    eye_centres: np.ndarray   # (2, 3) left, right eyeball centres
    eye_radius: float


def face_geometry(body: Body) -> FaceGeometry:
    centres = np.array([body.vertices[body.mesh.groups[g]].mean(axis=0) for g in EYE_GROUPS])
    radius = float(np.linalg.norm(body.vertices[body.mesh.groups[EYE_GROUPS[0]]]
                                  - centres[0], axis=1).max())
    return FaceGeometry(centres, radius)


def materials(body: Body, outfit: Outfit) -> np.ndarray:
    """Return the material id of every mesh vertex for ``outfit``."""
    n = len(body.vertices)
    mat = np.full(n, -1, dtype=np.int32)
    mat[body.mesh.groups[BODY_GROUP]] = SKIN
    for g in EYE_GROUPS:
        mat[body.mesh.groups[g]] = EYE
    v = body.vertices
    rig = body.rig
    heads = body.heads
    neck_y = heads[rig.index['neck01']][1]
    foot = _bone_weight(body, ('foot', 'toe'))
    shin = _bone_weight(body, ('lowerleg',))
    upper_arm = _bone_weight(body, ('upperarm', 'shoulder', 'clavicle'))
    fore_arm = _bone_weight(body, ('lowerarm',))
    hand = _bone_weight(body, ('wrist', 'finger', 'metacarpal'))
    head = _bone_weight(body, ('head', 'neck', 'jaw', 'eye', 'levator', 'oris', 'oculi',
                               'orbicularis', 'risorius', 'temporalis', 'special',
                               'tongue'))
    skin = mat == SKIN
    hip_y = heads[rig.index['upperleg01.L']][1]
    torso = skin & (v[:, 1] < neck_y - 0.02) & (hand < 0.3) & (head < 0.5)
    shirt = torso & (v[:, 1] > hip_y + 0.04)
    if outfit.sleeves == 'none':
        shirt &= upper_arm < 0.5
    elif outfit.sleeves == 'short':
        shirt &= fore_arm < 0.02
    else:
        shirt &= hand < 0.05
    trousers = skin & ~shirt & (v[:, 1] <= hip_y + 0.06) & (hand < 0.3) \
        & (upper_arm + fore_arm < 0.5)
    if outfit.shorts:
        trousers &= shin < 0.3
    shoes = skin & (foot > 0.4)
    mat[shirt] = SHIRT
    mat[trousers & ~shoes] = TROUSERS
    mat[shoes] = SHOES
    mat[skin & _hair_mask(body)] = HAIR
    return mat


def _hair_mask(body: Body) -> np.ndarray:
    """Scalp vertices: above a hairline over the forehead, down the back of the head."""
    v = body.vertices
    eyes = face_geometry(body).eye_centres
    ey, ez = eyes[:, 1].mean(), eyes[:, 2].mean()
    head_y = body.heads[body.rig.index['head']][1]
    rel_y = v[:, 1] - ey
    rel_z = v[:, 2] - ez
    front = rel_z > -0.045
    # Hairline 5 cm above the eyes at the front, falling to the nape at the back; the
    # temples dip a little lower beside the eyes.
    side = np.abs(v[:, 0]) > 0.055
    line = np.where(front, np.where(side, 0.03, 0.05),
                    np.interp(rel_z, [-0.16, -0.045], [-0.085, 0.02]))
    near_head = v[:, 1] > head_y - 0.02
    return near_head & (rel_y > line) & ~(np.abs(v[:, 0]) > 0.078) | (
        near_head & (rel_y > 0.06))


@functools.lru_cache(maxsize=4)
def face_masks(directory: str, size: int = 1024) -> np.ndarray:
    """Return (size, size, 2) lips and eyelid masks in UV space, 0..1."""
    out = []
    for name in ('lips', 'eyelids'):
        im = cv2.imread(str(Path(directory) / 'textures' / f'mpfb_{name}.jpg'),
                        cv2.IMREAD_GRAYSCALE)
        if im is None:
            raise FileNotFoundError(f'{directory}/textures/mpfb_{name}.jpg is unreadable')
        out.append(cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA))
    return np.dstack(out).astype(np.float32) / 255.0
