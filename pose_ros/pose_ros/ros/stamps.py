"""Message stamps (builtin_interfaces/Time) to and from numbers, without losing nanoseconds.

The core works in float seconds. A float holds a nanosecond exactly only up to about 2**22 s
(48 days: simulated time); a stamp of today's wall clock (1.7e9 s) comes out to within 0.12
microseconds, the float's own resolution there. So these convert without adding error of
their own: seconds from a stamp are the float nearest to it, a stamp from seconds is the
nanosecond nearest to the float's exact value, and integer nanoseconds are exact both ways.
A node that must hand a stamp on unchanged keeps the message's own ``Time`` (``RecentStamps``).
"""

from __future__ import annotations

from collections import OrderedDict
import math

from builtin_interfaces.msg import Time

NS_PER_S = 1_000_000_000
# Time.sec is an int32.
_MAX_NS = (2**31) * NS_PER_S - 1


def stamp_to_ns(stamp: Time) -> int:
    """Return ``stamp`` in integer nanoseconds."""
    return stamp.sec * NS_PER_S + stamp.nanosec


def ns_to_stamp(ns: int) -> Time:
    """Return the stamp of ``ns`` nanoseconds since the clock's epoch (0 to 2**31 s)."""
    if not 0 <= ns <= _MAX_NS:
        raise ValueError(f'a stamp is 0 to 2**31 s, got {ns} ns')
    sec, nanosec = divmod(int(ns), NS_PER_S)
    return Time(sec=sec, nanosec=nanosec)


def ns_to_seconds(ns: int) -> float:
    """Return ``ns`` nanoseconds (a stamp, or rclpy's ``Time.nanoseconds``) as float seconds."""
    # Python divides two ints with one correct rounding.
    return ns / NS_PER_S


def stamp_to_seconds(stamp: Time) -> float:
    """Return ``stamp`` as the float of seconds nearest to it."""
    return ns_to_seconds(stamp_to_ns(stamp))


def seconds_to_stamp(seconds: float) -> Time:
    """Return the stamp nearest to ``seconds`` (finite, 0 to 2**31 s)."""
    if not math.isfinite(seconds):
        raise ValueError(f'a stamp needs a finite time, got {seconds!r}')
    whole = math.floor(seconds)
    # ``seconds - whole`` is exact, and below 1 s a float resolves far below a nanosecond;
    # seconds * 1e9 would round at 256 ns for today's wall clock.
    return ns_to_stamp(whole * NS_PER_S + round((seconds - whole) * NS_PER_S))


class RecentStamps:
    """The exact stamps of the last ``size`` messages, found again by their float seconds.

    The core stamps what it says (gesture events) with a message's float seconds; a message
    published about it must carry that message's stamp to the nanosecond, as subscribers
    pairing them by stamp (message_filters) require, which the float alone cannot give.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._stamps: OrderedDict[float, Time] = OrderedDict()

    def add(self, stamp: Time) -> float:
        """Remember ``stamp``; return its seconds, the key it is found again by."""
        seconds = stamp_to_seconds(stamp)
        self._stamps[seconds] = stamp
        self._stamps.move_to_end(seconds)
        if len(self._stamps) > self._size:
            self._stamps.popitem(last=False)
        return seconds

    def stamp(self, seconds: float) -> Time:
        """Return the remembered stamp of ``seconds``, else the stamp nearest to it."""
        found = self._stamps.get(seconds)
        return found if found is not None else seconds_to_stamp(seconds)
