"""Skeleton markers for RViz: lines, joints and the controller's gesture, and what to delete.

RViz keeps every marker until told to delete it, so a person who walked out of view would
stay on screen for ever (a ghost) unless each update also deletes what is no longer shown.
``SkeletonMarkers`` remembers what it last showed and says exactly that: a delete per marker
that is gone, or one delete-all when nobody is left.

Markers are in the keypoints' camera optical frame (x right, y down, z forward), so "above
the head" is towards -y, which is up for a camera mounted upright. Only joints with a 3D
position are drawn; a person without any gets no markers. Hands (21 points each, when they
have positions) are drawn in namespaces of their own, thinner and smaller than the body.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
import enum

import numpy as np

from pose_ros.core.checks import check_positive, check_score
from pose_ros.core.hand import HAND_SKELETON, NUM_HAND_KEYPOINTS
from pose_ros.core.keypoints import NUM_KEYPOINTS, SKELETON, Keypoint

__all__ = ['Body', 'MarkerKey', 'MarkerSpec', 'MarkerStyle', 'MarkerUpdate', 'Shape',
           'SkeletonMarkers', 'person_colour', 'person_markers']

Point3 = tuple[float, float, float]
Colour = tuple[float, float, float, float]  # RGBA, each in [0, 1]

# Okabe and Ito's colour-blind-safe palette without its black, which vanishes on RViz's dark
# background; tracked ids cycle through it.
PALETTE: tuple[tuple[float, float, float], ...] = tuple(
    (r / 255, g / 255, b / 255) for r, g, b in (
        (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178),
        (213, 94, 0), (204, 121, 167)))
# Untracked persons (id -1) have no identity to colour by.
UNTRACKED = (0.6, 0.6, 0.6)
TEXT_COLOUR = (1.0, 1.0, 1.0)
# Shown above the controller while no gesture is held.
NO_GESTURE_TEXT = 'in control'
_FACE = [int(k) for k in (Keypoint.NOSE, Keypoint.LEFT_EYE, Keypoint.RIGHT_EYE,
                          Keypoint.LEFT_EAR, Keypoint.RIGHT_EAR)]


class Shape(enum.Enum):
    """The marker kinds used, and the namespace each lives in."""

    LINES = 'skeleton'   # LINE_LIST: points in pairs, one pair per limb
    SPHERES = 'joints'   # SPHERE_LIST: one point per joint
    TEXT = 'gesture'     # TEXT_VIEW_FACING: one point, where the text stands
    HAND_LINES = 'hand_bones'    # LINE_LIST: both hands' bones
    HAND_SPHERES = 'hand_joints'  # SPHERE_LIST: both hands' landmarks

    @property
    def ns(self) -> str:
        return self.value


@dataclass(frozen=True)
class MarkerKey:
    """What RViz identifies a marker by: its namespace and id."""

    ns: str
    id: int


@dataclass(frozen=True)
class MarkerSpec:
    """One marker to add or replace; ``scale``: line width, sphere diameter or text height (m)."""

    key: MarkerKey
    shape: Shape
    points: tuple[Point3, ...]
    colour: Colour
    scale: float
    text: str = ''


@dataclass(frozen=True)
class MarkerUpdate:
    """What to send, in this order: delete all, then ``deletes``, then ``markers``."""

    delete_all: bool = False
    deletes: tuple[MarkerKey, ...] = ()
    markers: tuple[MarkerSpec, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing changes in RViz: no message needs to go out."""
        return not (self.delete_all or self.deletes or self.markers)


@dataclass(frozen=True)
class MarkerStyle:
    """Sizes (m) and opacities; the controller's lines and joints ``controller_scale`` times."""

    line_width: float = 0.02
    joint_diameter: float = 0.05
    # Fingers are a few centimetres long: hand bones and landmarks are drawn finer.
    hand_line_width: float = 0.006
    hand_joint_diameter: float = 0.015
    text_height: float = 0.12
    # Text centre this far above the head (m).
    text_offset: float = 0.25
    controller_scale: float = 2.0
    alpha: float = 0.6
    controller_alpha: float = 1.0

    def __post_init__(self) -> None:
        for name in ('line_width', 'joint_diameter', 'text_height', 'controller_scale',
                     'hand_line_width', 'hand_joint_diameter'):
            check_positive(f'MarkerStyle.{name}', getattr(self, name))
        check_positive('MarkerStyle.text_offset', self.text_offset, allow_zero=True)
        check_score('MarkerStyle.alpha', self.alpha)
        check_score('MarkerStyle.controller_alpha', self.controller_alpha)


@dataclass(frozen=True)
class Body:
    """One person's 3D joints: ``positions`` (17, 3) in metres, ``valid`` (17,) has a position.

    ``person_id`` is the track id, -1 when untracked. ``hands``: each hand's 21 landmark
    positions (21, 3) in metres, NaN where unknown.
    """

    person_id: int
    positions: np.ndarray
    valid: np.ndarray = field(default_factory=lambda: np.ones(NUM_KEYPOINTS, dtype=bool))
    hands: tuple[np.ndarray, ...] = ()

    def __post_init__(self) -> None:
        positions = np.asarray(self.positions, dtype=np.float64)
        valid = np.asarray(self.valid, dtype=bool)
        if positions.shape != (NUM_KEYPOINTS, 3) or valid.shape != (NUM_KEYPOINTS,):
            raise ValueError(f'Body needs positions of shape ({NUM_KEYPOINTS}, 3) and valid of '
                             f'shape ({NUM_KEYPOINTS},), got {positions.shape} and {valid.shape}')
        # A position that is not finite cannot be drawn, whatever the flag says.
        object.__setattr__(self, 'positions', positions)
        object.__setattr__(self, 'valid', valid & np.isfinite(positions).all(axis=1))
        hands = tuple(np.asarray(h, dtype=np.float64) for h in self.hands)
        if any(h.shape != (NUM_HAND_KEYPOINTS, 3) for h in hands):
            raise ValueError(f'Body.hands needs arrays of shape ({NUM_HAND_KEYPOINTS}, 3), got '
                             f'{[h.shape for h in hands]}')
        object.__setattr__(self, 'hands', hands)

    @property
    def has_positions(self) -> bool:
        return bool(self.valid.any()) or any(np.isfinite(h).all(axis=1).any()
                                             for h in self.hands)


def person_colour(person_id: int) -> tuple[float, float, float]:
    """Give the RGB colour of a person: the same for an id in every frame, grey if untracked."""
    return UNTRACKED if person_id < 0 else PALETTE[person_id % len(PALETTE)]


def _point(p: np.ndarray) -> Point3:
    return (float(p[0]), float(p[1]), float(p[2]))


def _text_anchor(body: Body, offset: float) -> Point3:
    """Above the head: the face points' centre, else the highest joint (least y), raised."""
    face = [i for i in _FACE if body.valid[i]]
    if face:
        head = body.positions[face].mean(axis=0)
    else:
        shown = np.flatnonzero(body.valid)
        head = body.positions[shown[np.argmin(body.positions[shown, 1])]]
    return (float(head[0]), float(head[1]) - offset, float(head[2]))


def _bones(pos: np.ndarray, valid: np.ndarray, skeleton) -> tuple[Point3, ...]:
    """Return the LINE_LIST points of the bones whose two ends both have a position."""
    return tuple(_point(pos[int(k)]) for a, b in skeleton if valid[int(a)] and valid[int(b)]
                 for k in (a, b))


def person_markers(body: Body, marker_id: int, controller: bool = False,
                   gesture: str | None = None,
                   style: MarkerStyle | None = None) -> list[MarkerSpec]:
    """Markers of one person; ``gesture`` is shown only for the controller.

    A limb is drawn only when both of its joints have a position, a marker only when it
    has something to show (RViz warns about an empty line list).
    """
    style = style or MarkerStyle()
    if not body.has_positions:
        return []
    grow = style.controller_scale if controller else 1.0
    alpha = style.controller_alpha if controller else style.alpha
    colour = (*person_colour(body.person_id), alpha)
    markers = []

    def add(shape: Shape, points: tuple[Point3, ...], scale: float) -> None:
        if points:
            markers.append(MarkerSpec(MarkerKey(shape.ns, marker_id), shape, points, colour,
                                      scale * grow))

    valid, pos = body.valid, body.positions
    add(Shape.LINES, _bones(pos, valid, SKELETON), style.line_width)
    add(Shape.SPHERES, tuple(_point(pos[i]) for i in np.flatnonzero(valid)),
        style.joint_diameter)
    hands = [(h, np.isfinite(h).all(axis=1)) for h in body.hands]
    add(Shape.HAND_LINES, tuple(p for h, ok in hands for p in _bones(h, ok, HAND_SKELETON)),
        style.hand_line_width)
    add(Shape.HAND_SPHERES, tuple(_point(h[i]) for h, ok in hands for i in np.flatnonzero(ok)),
        style.hand_joint_diameter)
    if controller and valid.any():
        markers.append(MarkerSpec(
            MarkerKey(Shape.TEXT.ns, marker_id), Shape.TEXT,
            (_text_anchor(body, style.text_offset),), (*TEXT_COLOUR, 1.0), style.text_height,
            gesture or NO_GESTURE_TEXT))
    return markers


def marker_ids(bodies: Sequence[Body]) -> list[int]:
    """Marker id per body: the track id, or -1, -2, ... for untracked ones in message order.

    Tracked ids are never negative, so the two never collide.
    """
    ids, untracked = [], 0
    for body in bodies:
        if body.person_id >= 0:
            ids.append(int(body.person_id))
        else:
            untracked += 1
            ids.append(-untracked)
    return ids


class SkeletonMarkers:
    """The markers for each keypoints message, with deletes for whatever is no longer shown."""

    def __init__(self, style: MarkerStyle | None = None) -> None:
        self.style = style or MarkerStyle()
        self._shown: set[MarkerKey] = set()
        # RViz may hold markers we no longer know of: start the next update with a delete-all.
        self._unknown = False

    @property
    def shown(self) -> frozenset[MarkerKey]:
        """What RViz shows after the last update."""
        return frozenset(self._shown)

    def update(self, bodies: Iterable[Body], controller_id: int | None = None,
               gesture: str | None = None) -> MarkerUpdate:
        """Markers for everyone in one message; ``controller_id`` (a track id) is highlighted.

        An untracked controller (-1) cannot be told apart from other untracked persons, so
        it is not highlighted.
        """
        bodies = list(bodies)
        markers: list[MarkerSpec] = []
        for body, marker_id in zip(bodies, marker_ids(bodies), strict=True):
            is_controller = (controller_id is not None and controller_id >= 0
                             and body.person_id == controller_id)
            markers.extend(person_markers(body, marker_id, is_controller, gesture, self.style))
        keys = {m.key for m in markers}
        gone = self._shown - keys
        delete_all = self._unknown or (bool(gone) and not keys)
        deletes = () if delete_all else tuple(sorted(gone, key=lambda k: (k.ns, k.id)))
        self._shown, self._unknown = keys, False
        return MarkerUpdate(delete_all, deletes, tuple(markers))

    def clear(self) -> MarkerUpdate:
        """Remove everything shown (nobody seen any more, or the node stops)."""
        update = MarkerUpdate(delete_all=self._unknown or bool(self._shown))
        self._shown, self._unknown = set(), False
        return update

    def forget(self) -> None:
        """Note that updates were not sent (no subscriber): clear RViz on the next one."""
        if self._shown:
            self._unknown = True
        self._shown = set()
