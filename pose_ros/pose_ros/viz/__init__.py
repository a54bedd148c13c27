"""RViz skeletons: which markers show whom, and which to delete, as plain data (no ROS).

gesture_node's glue turns them into visualization_msgs.
"""

from pose_ros.viz.markers import (
    Body,
    MarkerKey,
    MarkerSpec,
    MarkerStyle,
    MarkerUpdate,
    Shape,
    SkeletonMarkers,
    person_colour,
    person_markers,
)

__all__ = ['Body', 'MarkerKey', 'MarkerSpec', 'MarkerStyle', 'MarkerUpdate', 'Shape',
           'SkeletonMarkers', 'person_colour', 'person_markers']
