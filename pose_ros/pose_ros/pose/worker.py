"""Work on the newest frame only, on a thread of its own, and count what happened to frames.

A camera delivers frames at its own rate whatever inference costs. Queueing them would let
latency grow without bound, so a frame that arrives while an older one still waits replaces
it (and is counted as a drop); the frame being worked on is never interrupted. Frames arrive
on one thread (a ROS executor callback) and are worked on on another, so receiving stays
cheap and a slow model never blocks other callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
import threading
from typing import Generic, TypeVar

T = TypeVar('T')

_log = logging.getLogger(__name__)


class FrameStats:
    """Counters for one reporting period; ``take`` hands them over and starts afresh.

    ``received`` and ``dropped`` (a newer frame replaced it before work began) are counted by
    the worker; ``processed`` (with its stage times, and the person and hand counts of the
    last frame) and ``bad`` by the work done on each frame, through ``add`` and ``add_bad``.
    The worker counts a frame whose work raised as bad. ``dropped_total`` sums the drops of
    every period taken so far.
    """

    def __init__(self) -> None:
        self.received = self.dropped = self.bad = self.processed = self.persons = 0
        self.hands = self.dropped_total = 0
        self.convert_s = self.infer_s = self.hands_s = self.total_s = 0.0
        self._guard = threading.Lock()

    def add_received(self, dropped: bool) -> None:
        with self._guard:
            self.received += 1
            self.dropped += int(dropped)

    def add(self, convert_s: float = 0.0, infer_s: float = 0.0, total_s: float = 0.0,
            persons: int = 0, hands_s: float = 0.0, hands: int = 0) -> None:
        """Count one processed frame and the time its stages took (seconds)."""
        with self._guard:
            self.processed += 1
            self.convert_s += convert_s
            self.infer_s += infer_s
            self.hands_s += hands_s
            self.total_s += total_s
            self.persons = persons
            self.hands = hands

    def add_bad(self) -> None:
        with self._guard:
            self.bad += 1

    def mean(self, total: float) -> float:
        """Return ``total`` seconds over the processed frames, in milliseconds per frame."""
        return 1000.0 * total / self.processed if self.processed else 0.0

    def take(self) -> FrameStats:
        """Return this period's counters and start a new period (``dropped_total`` goes on)."""
        with self._guard:
            out = FrameStats()
            out.__dict__.update({k: v for k, v in self.__dict__.items() if k != '_guard'})
            self.dropped_total += self.dropped
            out.dropped_total = self.dropped_total
            self.received = self.dropped = self.bad = self.processed = 0
            self.convert_s = self.infer_s = self.hands_s = self.total_s = 0.0
            return out


class LatestFrameWorker(Generic[T]):
    """Run ``work(item)`` on a thread of its own, always on the newest item ``put``.

    At most one item waits: a newer one replaces it. An exception raised by ``work`` is
    counted as a bad frame and passed to ``on_error`` (logged when there is none), and the
    worker goes on with the next item. ``stop`` wakes the thread and ends it; an item still
    waiting then is discarded.
    """

    def __init__(self, work: Callable[[T], None], *,
                 on_error: Callable[[Exception], None] | None = None,
                 name: str = 'latest_frame_worker') -> None:
        self.stats = FrameStats()
        self._work = work
        self._on_error = on_error
        self._cond = threading.Condition()
        self._item: T | None = None
        self._waiting = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> LatestFrameWorker[T]:
        self._thread.start()
        return self

    def put(self, item: T) -> bool:
        """Hand over the newest item; return True when it replaced one still waiting."""
        with self._cond:
            dropped = self._waiting
            self._item, self._waiting = item, True
            self.stats.add_received(dropped)
            self._cond.notify()
        return dropped

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float | None = 5.0) -> bool:
        """Stop after the item in work (if any); return True when the thread has ended."""
        with self._cond:
            self._stopping = True
            self._item, self._waiting = None, False
            self._cond.notify()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                item, self._item, self._waiting = self._item, None, False
            try:
                self._work(item)
            except Exception as exc:  # noqa: BLE001 - one frame must not end the worker
                self.stats.add_bad()
                self._report(exc)

    def _report(self, exc: Exception) -> None:
        if self._on_error is None:
            _log.error('frame dropped after an unexpected error', exc_info=exc)
            return
        try:
            self._on_error(exc)
        except Exception:  # noqa: BLE001 - a failing error handler must not end the worker
            _log.exception('on_error failed while reporting %r', exc)
