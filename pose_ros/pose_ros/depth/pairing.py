"""Pair each colour result with the depth frame of the same instant, in whichever order.

Drivers publish aligned depth and colour as two topics, sometimes with one stamp, sometimes a
few milliseconds apart, and either may arrive first (message_filters is not on PyPI). Depth
frames wait in a small bounded buffer; a colour result (keypoints of one frame) that finds no
depth yet waits too, at most ``wait_s`` and at most ``capacity`` of them, and is then handed
back without depth, so 2D output never stops for want of depth. Both streams are assumed to
arrive in stamp order, so a depth frame newer than a waiting colour stamp plus ``max_skew_s``
means its own depth will not come: it is handed back at once.

Times are given by the caller (``now``, seconds on any monotonic clock), so every rule is
tested without sleeping; a lock makes the pairer safe for the two threads of a node.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
import threading
from typing import Any

# Why a colour result comes back without depth.
MATCHED = 'matched'
TIMEOUT = 'timeout'           # no depth frame came within wait_s
PASSED = 'passed'             # a newer depth frame came: its own was missed or never sent
OVERFLOW = 'overflow'         # too many colour results were waiting


@dataclass(frozen=True)
class Paired:
    """A colour result and its depth frame (None when there is none, and ``reason`` why).

    ``nearest_depth_s``: the stamp difference (depth - colour, s) to the nearest depth frame
    seen when there was no match, or None when no depth frame was there at all.
    """

    stamp: float
    colour: Any
    depth: Any | None
    reason: str
    nearest_depth_s: float | None = None


class StampPairer:
    """Match colour results with depth frames whose stamps differ by at most ``max_skew_s``."""

    def __init__(self, max_skew_s: float, wait_s: float, depth_capacity: int = 8,
                 capacity: int = 4) -> None:
        if max_skew_s < 0 or wait_s < 0 or depth_capacity < 1 or capacity < 1:
            raise ValueError('max_skew_s and wait_s must be >= 0, capacities >= 1')
        self.max_skew_s = max_skew_s
        self.wait_s = wait_s
        self._depth: deque[tuple[float, Any]] = deque()
        self._depth_capacity = depth_capacity
        self._colour: deque[tuple[float, Any, float]] = deque()   # (stamp, item, since)
        self._capacity = capacity
        self._lock = threading.Lock()
        # Depth frames that left the buffer without ever matching a colour result.
        self.unmatched_depth = 0
        self.last_depth_stamp: float | None = None

    def add_depth(self, stamp: float, depth: Any, now: float) -> list[Paired]:
        """Take a depth frame; return the colour results it completes or gives up on."""
        with self._lock:
            out = []
            self.last_depth_stamp = stamp
            best = self._best(self._colour, stamp)
            if best is not None:
                entry = self._colour[best]
                # Older waiting results first, so that output stays in stamp order.
                out += self._release_older(entry[0])
                self._colour.remove(entry)
                out.append(Paired(entry[0], entry[1], depth, MATCHED))
            else:
                self._depth.append((stamp, depth))
                while len(self._depth) > self._depth_capacity:
                    self._depth.popleft()
                    self.unmatched_depth += 1
            # Waiting results this depth frame has passed will not get theirs.
            while self._colour and self._colour[0][0] < stamp - self.max_skew_s:
                c = self._colour.popleft()
                out.append(Paired(c[0], c[1], None, PASSED, stamp - c[0]))
            out += self._expire(now)
            return out

    def add_colour(self, stamp: float, colour: Any, now: float) -> list[Paired]:
        """Take a colour result; return it paired, or the results given up on (maybe none)."""
        with self._lock:
            out = self._expire(now)
            best = self._best(self._depth, stamp)
            if best is not None:
                d = self._depth[best]
                # Depth frames older than the match can only match older colour: gone.
                for _ in range(best):
                    self._depth.popleft()
                    self.unmatched_depth += 1
                self._depth.popleft()
                out += self._release_older(stamp)
                out.append(Paired(stamp, colour, d[1], MATCHED))
                return out
            if self._depth and self._depth[-1][0] > stamp + self.max_skew_s:
                out += self._release_older(stamp)
                out.append(Paired(stamp, colour, None, PASSED, self._nearest(stamp)))
                return out
            self._colour.append((stamp, colour, now))
            while len(self._colour) > self._capacity:
                c = self._colour.popleft()
                out.append(Paired(c[0], c[1], None, OVERFLOW, self._nearest(c[0])))
            if self.wait_s == 0:
                out += self._expire(now)
            return out

    def expire(self, now: float) -> list[Paired]:
        """Return the colour results that have waited ``wait_s`` for depth, without it."""
        with self._lock:
            return self._expire(now)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._colour)

    def clear(self) -> list[Paired]:
        """Hand back every waiting colour result without depth and forget the depth frames."""
        with self._lock:
            out = [Paired(c[0], c[1], None, TIMEOUT, self._nearest(c[0]))
                   for c in self._colour]
            self._colour.clear()
            self._depth.clear()
            return out

    # -- under the lock --------------------------------------------------------------------
    def _best(self, items: deque, stamp: float) -> int | None:
        best, best_d = None, None
        for i, entry in enumerate(items):
            d = abs(entry[0] - stamp)
            if d <= self.max_skew_s and (best_d is None or d < best_d):
                best, best_d = i, d
        return best

    def _nearest(self, stamp: float) -> float | None:
        stamps = [s for s, _ in self._depth]
        if self.last_depth_stamp is not None:
            stamps.append(self.last_depth_stamp)
        if not stamps:
            return None
        return min((s - stamp for s in stamps), key=abs)

    def _release_older(self, stamp: float) -> list[Paired]:
        out = []
        while self._colour and self._colour[0][0] < stamp:
            c = self._colour.popleft()
            out.append(Paired(c[0], c[1], None, PASSED, self._nearest(c[0])))
        return out

    def _expire(self, now: float) -> list[Paired]:
        out = []
        while self._colour and now - self._colour[0][2] >= self.wait_s:
            c = self._colour.popleft()
            out.append(Paired(c[0], c[1], None, TIMEOUT, self._nearest(c[0])))
        return out
