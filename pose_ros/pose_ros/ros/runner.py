"""Start, spin and stop a node the same way in every executable.

Why not rclpy's signal handlers: they shut the context down before our ``finally`` runs, and a
node that must publish on the way out (the gesture node's zero command) can no longer publish
then. Why not Python's, which raise KeyboardInterrupt: the exception comes wherever the main
thread happens to be, inside rclpy converting a message (a RuntimeError and a traceback) or,
at a second Ctrl-C (``ros2 launch`` forwards the terminal's SIGINT to nodes that already got
it), inside ``destroy_node()`` while the zero command waits for its acknowledgement.

So a signal here only asks to stop, as rclpy's own handler does: Python's C-level handler
writes the signal number to a wake-up pipe at once, whatever the main thread is doing; a small
thread reading that pipe completes a future and wakes the executor, which is spinning until that
future is done. The nodes are then destroyed with the handlers still installed, so further
SIGINTs and SIGTERMs only ask again; once everything is shut down they are ignored.

Start-up errors (a bad parameter, a missing model, a parameters file that does not parse) end
in one fatal line, not a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import os
import signal
import threading

import rclpy
from rclpy.exceptions import InvalidHandle
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from rclpy.task import Future

from pose_ros.ros import entry

SIGNALS = entry.SIGNALS
# Not a signal number: tells the pipe's reader to end.
_CLOSE = 0


def _noted(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    # Nothing to do here: the C-level handler has already written the signal number to the
    # wake-up pipe, and doing anything more at an arbitrary point of the main thread is what
    # this module avoids.
    return None


class StopRequests:
    """SIGINT and SIGTERM as requests to stop: ``future`` is done after the first one.

    Made in the main thread first of all, and closed after rclpy has shut down; no signal
    raises anything from then on. ``executor`` is woken by each signal while it is set.
    """

    def __init__(self) -> None:
        self.future: Future = Future()
        self.executor: Executor | None = None
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._thread = threading.Thread(target=self._watch, name='stop_requests', daemon=True)
        self._thread.start()
        # Both set explicitly: a process started in the background by a script inherits SIGINT
        # as ignored, and would then never hear it.
        for sig in SIGNALS:
            signal.signal(sig, _noted)
        self._previous_fd = signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        # A signal while the console script was still importing (ros.entry noted it).
        if entry.EARLY:
            self.future.set_result(entry.EARLY[0])

    @property
    def requested(self) -> bool:
        return self.future.done()

    def _watch(self) -> None:
        while True:
            data = os.read(self._read_fd, 64)
            if not data or _CLOSE in data:
                return
            if not self.future.done():
                self.future.set_result(data[0])
            # spin_until_future_complete wakes on the future too; this covers a custom spin.
            executor = self.executor
            if executor is not None:
                try:
                    executor.wake()
                except InvalidHandle:
                    pass  # it is shutting down: nothing left to wake

    def close(self) -> None:
        """Stop listening, and ignore SIGINT and SIGTERM from now on.

        Everything has stopped by then, and the process is about to exit: a late SIGINT (from
        ros2 launch, a little after the terminal's) must not turn a clean exit into a death by
        signal. SIG_IGN, not a Python handler: Python puts back the default action of the
        signals it handles when the interpreter finalises, but leaves ignored ones ignored.
        """
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        signal.set_wakeup_fd(self._previous_fd)
        os.write(self._write_fd, bytes([_CLOSE]))
        self._thread.join(timeout=1.0)
        os.close(self._write_fd)
        os.close(self._read_fd)


def _spin(executor: Executor, stop: Future) -> None:
    executor.spin_until_future_complete(stop)


def run(factory: Callable[[], Node] | Sequence[Callable[[], Node]], name: str,
        args: list[str] | None = None,
        startup_errors: tuple[type[BaseException], ...] = (),
        spin: Callable[[Executor, Future], None] | None = None) -> int:
    """Create the node(s) with ``factory``, spin until asked to stop, and return an exit code.

    ``factory`` makes one node, or is a list of factories made in turn, so that nodes already
    made are destroyed properly when a later one cannot start. ``startup_errors`` are the
    exceptions that mean the configuration cannot work (each node's own: a bad parameter, a
    gestures file that does not load); they end in one fatal line, any other in a traceback.

    Several nodes share one single-threaded executor (the ``pipeline`` executable); they are
    destroyed in reverse order of creation, so the last one made (the gesture node, which
    commands the robot) says its last word first. ``spin`` replaces spinning until the stop
    future is done, for a program that must do more while spinning (the demo's status line);
    it must return soon after that future is done.
    """
    log = rclpy.logging.get_logger(name)
    stop = StopRequests()
    try:
        return _run(factory, log, args, startup_errors, spin or _spin, stop)
    finally:
        stop.close()


def _run(factory, log, args, startup_errors, spin, stop: StopRequests) -> int:
    try:
        rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    except Exception as exc:  # noqa: BLE001 - rcl reports a bad --params-file this way
        log.fatal(f'cannot start: {exc}')
        return 1
    nodes: list[Node] = []
    executor = SingleThreadedExecutor()
    stop.executor = executor
    try:
        # A signal while a node is being made lets it finish; then spinning ends at once, and
        # nodes not made yet are not made at all.
        for make in (factory if isinstance(factory, Sequence) else [factory]):
            if stop.requested:
                break
            nodes.append(make())
            executor.add_node(nodes[-1])
        if not stop.requested:
            spin(executor, stop.future)
    except ExternalShutdownException:
        pass
    except startup_errors as exc:
        log.fatal(f'cannot start: {exc}')
        return 1
    finally:
        stop.executor = None
        for node in reversed(nodes):
            node.destroy_node()
        executor.shutdown()
        rclpy.try_shutdown()
    return 0
