"""Start, spin and stop a node the same way in every executable.

Why not rclpy's defaults: its SIGINT handler shuts the context down before our ``finally``
runs, and a node that must publish on the way out (the gesture node's zero command) can no
longer publish then. So signals become KeyboardInterrupt here, the node is destroyed while the
context still works, and only then is rclpy shut down. Start-up errors (a bad parameter, a
missing model, a parameters file that does not parse) end in one fatal line, not a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import signal

import rclpy
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions


class StartupError(Exception):
    """The node cannot start; the message says what to change."""


def _interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def _spin(executor: Executor) -> None:
    # Python runs a signal handler only when the main thread is back in the interpreter; a
    # node with nothing to wake the executor (the camera publishes from its own thread) would
    # sleep through Ctrl-C in executor.spin(). Waking every 0.1 s bounds that.
    while True:
        executor.spin_once(timeout_sec=0.1)


def run(factory: Callable[[], Node] | Sequence[Callable[[], Node]], name: str,
        args: list[str] | None = None,
        startup_errors: tuple[type[BaseException], ...] = (),
        spin: Callable[[Executor], None] | None = None) -> int:
    """Create the node(s) with ``factory``, spin until interrupted, and return an exit code.

    ``factory`` makes one node, or is a list of factories made in turn, so that nodes already
    made are destroyed properly when a later one cannot start.

    Several nodes share one single-threaded executor (the ``pipeline`` executable); they are
    destroyed in reverse order of creation, so the last one made (the gesture node, which
    commands the robot) says its last word first. ``spin`` replaces ``executor.spin()`` for a
    program that must do more while spinning (the demo's status line).
    """
    log = rclpy.logging.get_logger(name)
    try:
        rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    except Exception as exc:  # noqa: BLE001 - rcl reports a bad --params-file this way
        log.fatal(f'cannot start: {exc}')
        return 1
    # Both set explicitly: a process started in the background by a script inherits SIGINT
    # as ignored, and Python would then never raise KeyboardInterrupt for it.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    nodes: list[Node] = []
    executor = SingleThreadedExecutor()
    try:
        for make in (factory if isinstance(factory, Sequence) else [factory]):
            nodes.append(make())
            executor.add_node(nodes[-1])
        (spin or _spin)(executor)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (StartupError, *startup_errors) as exc:
        log.fatal(f'cannot start: {exc}')
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for node in reversed(nodes):
            node.destroy_node()
        executor.shutdown()
        rclpy.try_shutdown()
    return 0
