"""Rate-limit repeated error messages without hiding a different one.

rclpy's ``throttle_duration_sec`` throttles per call site: after an unsupported encoding, a
truncated frame from the same ``except`` clause would go unreported for the whole period. Here
the key is the problem itself, and the next report of a key says how many were held back.
"""

from __future__ import annotations

from collections import OrderedDict
import time


class KeyedThrottle:
    """Say whether a message for ``key`` may be logged now, at most once per ``period_s``."""

    def __init__(self, period_s: float = 5.0, max_keys: int = 64) -> None:
        self.period_s = period_s
        self._max_keys = max_keys
        # key -> [time of the last report, number suppressed since]
        self._keys: OrderedDict[str, list] = OrderedDict()

    def check(self, key: str, now_s: float) -> int | None:
        """Return None to stay silent, else how many reports of ``key`` were suppressed."""
        entry = self._keys.get(key)
        if entry is not None and now_s - entry[0] < self.period_s:
            entry[1] += 1
            return None
        suppressed = entry[1] if entry is not None else 0
        self._keys[key] = [now_s, 0]
        self._keys.move_to_end(key)
        while len(self._keys) > self._max_keys:
            self._keys.popitem(last=False)
        return suppressed

    def format(self, message: str, suppressed: int) -> str:
        return message + (f' ({suppressed} more like this since the last report)'
                          if suppressed else '')

    def due(self, key: str, message: str, now_s: float | None = None) -> str | None:
        """Return ``message`` (with the count held back) when ``key`` may be logged, else None.

        The caller logs it itself: rclpy ties one severity to each logging call site, so a
        shared helper that logged both errors and warnings would raise.
        """
        suppressed = self.check(key, time.monotonic() if now_s is None else now_s)
        return None if suppressed is None else self.format(message, suppressed)
