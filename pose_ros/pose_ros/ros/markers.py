"""gesture_node's RViz glue: poses to ``viz`` bodies, marker updates to MarkerArray."""

from __future__ import annotations

from collections.abc import Iterable

from geometry_msgs.msg import Point
import numpy as np
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from pose_ros.core.keypoints import NUM_KEYPOINTS, Pose
from pose_ros.viz import Body, MarkerUpdate, Shape

_TYPES = {Shape.LINES: Marker.LINE_LIST, Shape.SPHERES: Marker.SPHERE_LIST,
          Shape.TEXT: Marker.TEXT_VIEW_FACING, Shape.HAND_LINES: Marker.LINE_LIST,
          Shape.HAND_SPHERES: Marker.SPHERE_LIST}


def poses_to_bodies(poses: Iterable[Pose]) -> list[Body]:
    """Take the 3D joints of each pose and its hands (``positions``; a NaN row has none)."""
    bodies = []
    for pose in poses:
        hands = tuple(h.positions for h in pose.hands if h.positions is not None)
        if pose.positions is None:
            bodies.append(Body(int(pose.track_id), np.zeros((NUM_KEYPOINTS, 3)),
                               np.zeros(NUM_KEYPOINTS, dtype=bool), hands))
            continue
        valid = np.isfinite(pose.positions).all(axis=1)
        bodies.append(Body(int(pose.track_id), np.where(valid[:, None], pose.positions, 0.0),
                           valid, hands))
    return bodies


def update_to_msg(update: MarkerUpdate, header: Header) -> MarkerArray:
    """Build the MarkerArray RViz applies in order: delete all, deletes, then adds."""
    markers = []
    if update.delete_all:
        markers.append(Marker(header=header, action=Marker.DELETEALL))
    for key in update.deletes:
        markers.append(Marker(header=header, ns=key.ns, id=key.id, action=Marker.DELETE))
    for spec in update.markers:
        m = Marker(header=header, ns=spec.key.ns, id=spec.key.id, type=_TYPES[spec.shape],
                   action=Marker.ADD, text=spec.text)
        r, g, b, a = spec.colour
        m.color = ColorRGBA(r=r, g=g, b=b, a=a)
        m.pose.orientation.w = 1.0
        if spec.shape is Shape.TEXT:
            # A text marker stands at its pose; only scale.z (the text height) counts.
            x, y, z = spec.points[0]
            m.pose.position = Point(x=x, y=y, z=z)
            m.scale.z = spec.scale
        else:
            m.points = [Point(x=x, y=y, z=z) for x, y, z in spec.points]
            # LINE_LIST: scale.x is the line width; SPHERE_LIST: scale is each sphere's size.
            m.scale.x = spec.scale
            if _TYPES[spec.shape] == Marker.SPHERE_LIST:
                m.scale.y = m.scale.z = spec.scale
        markers.append(m)
    return MarkerArray(markers=markers)
