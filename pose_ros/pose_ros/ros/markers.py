"""gesture_node's RViz glue: Person messages to ``viz`` bodies, marker updates to MarkerArray."""

from __future__ import annotations

from collections.abc import Iterable

from geometry_msgs.msg import Point
import numpy as np
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from pose_ros.core.keypoints import NUM_KEYPOINTS
from pose_ros.viz import Body, MarkerUpdate, Shape
from pose_ros_msgs.msg import Person

_TYPES = {Shape.LINES: Marker.LINE_LIST, Shape.SPHERES: Marker.SPHERE_LIST,
          Shape.TEXT: Marker.TEXT_VIEW_FACING}


def person_to_body(person: Person) -> Body:
    """Take the 3D joints of ``person``: those with ``has_position``, placed by keypoint id."""
    positions = np.zeros((NUM_KEYPOINTS, 3))
    valid = np.zeros(NUM_KEYPOINTS, dtype=bool)
    for k in person.keypoints:
        if k.id < NUM_KEYPOINTS and k.has_position:
            positions[k.id] = (k.position.x, k.position.y, k.position.z)
            valid[k.id] = True
    return Body(int(person.id), positions, valid)


def persons_to_bodies(persons: Iterable[Person]) -> list[Body]:
    return [person_to_body(p) for p in persons]


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
            if spec.shape is Shape.SPHERES:
                m.scale.y = m.scale.z = spec.scale
        markers.append(m)
    return MarkerArray(markers=markers)
