"""Debug overlays: what the pose model saw and what the gesture layer decided.

Drawing is in place on the frame that is about to be published, so an overlay
costs no extra image copy. Colours tell sides apart (left warm, right cool), which
is what one checks first when a gesture fires for the wrong arm.
"""

from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

from pose_ros.core.geometry import check_rgb
from pose_ros.core.hand import HAND_SKELETON, Handedness, HandPose
from pose_ros.core.keypoints import SKELETON, Keypoint, Pose

# RGB colours.
_LEFT = (255, 140, 0)
_RIGHT = (0, 160, 255)
_CENTRE = (80, 220, 80)
_BOX = (255, 255, 0)
_TEXT = (255, 255, 255)

# Joints scoring below this are not drawn. 0.5 is where MediaPipe's drawing_utils stops
# drawing a landmark (visibility or presence below 0.5). Measured with BlazePose over ten
# tracked frames: the astronaut photo, cut off at the waist, gets hips 0.03 to 0.33, knees
# and ankles 0.02 at most, face and shoulders 0.89 or more; the cameraman's hips, in view,
# 0.71 to 0.99.
MIN_DRAW_SCORE = 0.5

_LEFT_POINTS = {k for k in Keypoint if k.name.startswith('LEFT_')}
_RIGHT_POINTS = {k for k in Keypoint if k.name.startswith('RIGHT_')}


def _side_colour(a: Keypoint, b: Keypoint) -> tuple[int, int, int]:
    if a in _LEFT_POINTS and b in _LEFT_POINTS:
        return _LEFT
    if a in _RIGHT_POINTS and b in _RIGHT_POINTS:
        return _RIGHT
    return _CENTRE


def _check_image(image: np.ndarray) -> None:
    check_rgb(image, 'drawing')
    if not image.flags.writeable:
        raise ValueError('drawing happens in place, but the image is read-only; pass a copy')


def _order(colour: tuple[int, int, int], color_order: str) -> tuple[int, int, int]:
    return colour[::-1] if color_order == 'bgr' else colour


def _point(x: float, y: float) -> tuple[int, int] | None:
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    # Keep far-off points representable as C ints; OpenCV clips lines to the image.
    lim = 1 << 20
    return (int(round(min(max(x, -lim), lim))), int(round(min(max(y, -lim), lim))))


def draw_poses(image: np.ndarray, poses: Sequence[Pose], min_score: float = MIN_DRAW_SCORE,
               color_order: str = 'rgb') -> None:
    """Draw skeletons, joints, hands, boxes and track ids of ``poses`` onto ``image`` in place.

    A limb is drawn only when both of its joints score at least ``min_score``, so
    guessed joints (which models place somewhere plausible) do not look detected; the same
    holds for each hand's bones (MediaPipe's hand connections) and 21 points.
    ``color_order`` is the channel order of ``image``: 'rgb' or 'bgr'.
    """
    if color_order not in ('rgb', 'bgr'):
        raise ValueError(f"color_order must be 'rgb' or 'bgr', got {color_order!r}")
    _check_image(image)
    h, w = image.shape[:2]
    thickness = max(1, round(min(h, w) / 240))
    radius = thickness + 2
    for pose in poses:
        kp = pose.keypoints
        pts = [_point(float(x), float(y)) if s >= min_score else None for x, y, s in kp]
        for a, b in SKELETON:
            pa, pb = pts[int(a)], pts[int(b)]
            if pa is not None and pb is not None:
                cv2.line(image, pa, pb, _order(_side_colour(a, b), color_order),
                         thickness, cv2.LINE_AA)
        for k in Keypoint:
            p = pts[int(k)]
            if p is None:
                continue
            colour = (_LEFT if k in _LEFT_POINTS else _RIGHT if k in _RIGHT_POINTS
                      else _CENTRE)
            cv2.circle(image, p, radius, _order(colour, color_order), -1, cv2.LINE_AA)
        for hand in pose.hands:
            _draw_hand(image, hand, min_score, color_order, thickness)
        x0, y0, x1, y1 = pose.box
        if x1 > x0 and y1 > y0:
            p0, p1 = _point(x0, y0), _point(x1, y1)
            if p0 is not None and p1 is not None:
                cv2.rectangle(image, p0, p1, _order(_BOX, color_order), thickness)
                if pose.track_id >= 0:
                    label = f'id {pose.track_id}  {pose.score:.2f}'
                    org = (p0[0] + 2, max(p0[1] - 4, 12))
                    cv2.putText(image, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                                _order(_BOX, color_order), 1, cv2.LINE_AA)


def _draw_hand(image: np.ndarray, hand: HandPose, min_score: float, color_order: str,
               thickness: int) -> None:
    """Draw one hand's bones and 21 points in its side's colour, thinner than the body."""
    colour = _order(_LEFT if hand.side is Handedness.LEFT else _RIGHT, color_order)
    pts = [_point(float(x), float(y)) if s >= min_score else None
           for x, y, s in hand.keypoints]
    line = max(1, thickness // 2)
    for a, b in HAND_SKELETON:
        pa, pb = pts[int(a)], pts[int(b)]
        if pa is not None and pb is not None:
            cv2.line(image, pa, pb, colour, line, cv2.LINE_AA)
    for p in pts:
        if p is not None:
            cv2.circle(image, p, line + 1, colour, -1, cv2.LINE_AA)


def draw_text_lines(image: np.ndarray, lines: Sequence[str],
                    origin: tuple[int, int] = (8, 8), scale: float = 0.5) -> None:
    """Write status lines (gesture, command) on a darkened panel at ``origin``, in place.

    The panel is the image dimmed to 35 %, not a solid block, so what is under
    the text stays visible while the white text stays readable on any scene.
    """
    _check_image(image)
    if not lines:
        return
    font, thick = cv2.FONT_HERSHEY_SIMPLEX, 1
    sizes = [cv2.getTextSize(str(line), font, scale, thick) for line in lines]
    line_h = max(sz[0][1] + sz[1] for sz in sizes) + 4
    width = max(sz[0][0] for sz in sizes) + 8
    x, y = int(origin[0]), int(origin[1])
    h, w = image.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + width, w), min(y + line_h * len(lines) + 4, h)
    if x1 > x0 and y1 > y0:
        panel = image[y0:y1, x0:x1]
        panel[...] = (panel.astype(np.uint16) * 90 // 256).astype(np.uint8)
    for i, (line, (size, _base)) in enumerate(zip(lines, sizes, strict=True)):
        org = (x + 4, y + 4 + i * line_h + size[1])
        cv2.putText(image, str(line), org, font, scale, _TEXT, thick, cv2.LINE_AA)
