"""Start, spin and stop a node the same way in every executable.

Why not rclpy's defaults: its SIGINT handler shuts the context down before our ``finally``
runs, and a node that must publish on the way out (the gesture node's zero command) can no
longer publish then. So signals become KeyboardInterrupt here, the node is destroyed while the
context still works, and only then is rclpy shut down. Start-up errors (a bad parameter, a
missing model, a parameters file that does not parse) end in one fatal line, not a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
import signal

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions


class StartupError(Exception):
    """The node cannot start; the message says what to change."""


def _interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def run(factory: Callable[[], Node], name: str, args: list[str] | None = None,
        startup_errors: tuple[type[BaseException], ...] = ()) -> int:
    """Create the node with ``factory``, spin it until interrupted, and return an exit code."""
    log = rclpy.logging.get_logger(name)
    try:
        rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    except Exception as exc:  # noqa: BLE001 - rcl reports a bad --params-file this way
        log.fatal(f'cannot start: {exc}')
        return 1
    previous = signal.signal(signal.SIGTERM, _interrupt)
    node = None
    try:
        node = factory()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (StartupError, *startup_errors) as exc:
        log.fatal(f'cannot start: {exc}')
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
