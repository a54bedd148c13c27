"""The console scripts: listen for SIGINT and SIGTERM from the first moment, then load the node.

Importing rclpy, OpenCV and the TFLite runtime takes about a second. A Ctrl-C in that second
(``ros2 launch`` stopped right after starting) would otherwise raise KeyboardInterrupt in the
middle of an import: a traceback and death by the signal, which a launch with required nodes
reports as a failure. So this module, which imports nothing heavy, notes such signals; the
runner then treats them as a stop asked for before the node was made.
"""

from __future__ import annotations

from importlib import import_module
import signal

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Signals that arrived before the runner took over, in order.
EARLY: list[int] = []


def _note(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    EARLY.append(signum)


def _main(module: str) -> int:
    for sig in SIGNALS:
        signal.signal(sig, _note)
    return import_module(f'pose_ros.ros.{module}').main()


def camera_node() -> int:
    return _main('camera_node')


def pose_node() -> int:
    return _main('pose_node')


def gesture_node() -> int:
    return _main('gesture_node')


def pipeline() -> int:
    return _main('pipeline')


def demo() -> int:
    return _main('demo')
