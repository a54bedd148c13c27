"""pipeline: the camera, pose and gesture nodes in one process, on one executor.

For small robots (one Python interpreter instead of three, no DDS discovery between them) and
for machines without ``ros2 launch``. It reads the same parameters files as the separate nodes,
e.g. ``pipeline --ros-args --params-file camera_node.yaml --params-file pose_node.yaml
--params-file gesture_node.yaml -r cmd_vel:=/robot/cmd_vel``.
"""

from __future__ import annotations

from collections.abc import Callable
import sys

from rclpy.node import Node

from pose_ros.ros import camera_node, gesture_node, pose_node, runner

# Made in this order and destroyed in the reverse one: the gesture node's zero goes out first.
NODES = (camera_node.CameraNode, pose_node.PoseNode, gesture_node.GestureNode)
TABLES = {camera_node.CameraNode: camera_node.PARAMS, pose_node.PoseNode: pose_node.PARAMS,
          gesture_node.GestureNode: gesture_node.PARAMS}
STARTUP_ERRORS = camera_node.STARTUP_ERRORS + pose_node.STARTUP_ERRORS + \
    gesture_node.STARTUP_ERRORS


def factories() -> list[Callable[[], Node]]:
    """Return one factory per node, each told the parameter names of the others."""
    made = []
    for cls in NODES:
        others = {p.name for other, table in TABLES.items() if other is not cls for p in table}
        made.append(lambda cls=cls, others=others: cls(shared_process=others))
    return made


def main(args: list[str] | None = None) -> int:
    return runner.run(factories(), 'pipeline', args, STARTUP_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
