"""Stamps to numbers and back: exact in nanoseconds wherever a float can be."""

from fractions import Fraction
import math
import random

from builtin_interfaces.msg import Time
import pytest

from pose_ros.ros.stamps import (
    NS_PER_S,
    RecentStamps,
    ns_to_seconds,
    ns_to_stamp,
    seconds_to_stamp,
    stamp_to_ns,
    stamp_to_seconds,
)

RNG = random.Random(8)
MAX_NS = 2**31 * NS_PER_S - 1
WALL_CLOCK_NS = [RNG.randrange(1_700_000_000 * NS_PER_S, 1_800_000_000 * NS_PER_S)
                 for _ in range(2000)]
SIM_TIME_NS = [RNG.randrange(0, 2**22 * NS_PER_S) for _ in range(2000)]


@pytest.mark.parametrize('ns', [0, 1, NS_PER_S - 1, NS_PER_S, MAX_NS] + WALL_CLOCK_NS[:50])
def test_integer_nanoseconds_are_exact_both_ways(ns):
    stamp = ns_to_stamp(ns)
    assert 0 <= stamp.nanosec < NS_PER_S
    assert stamp.sec * NS_PER_S + stamp.nanosec == ns
    assert stamp_to_ns(stamp) == ns


def test_seconds_are_the_float_nearest_the_stamp():
    for ns in WALL_CLOCK_NS + SIM_TIME_NS:
        assert stamp_to_seconds(ns_to_stamp(ns)) == float(Fraction(ns, NS_PER_S))
    assert ns_to_seconds(1_500_000_000) == 1.5


def test_a_stamp_is_the_nanosecond_nearest_the_seconds():
    naive_misses = 0
    for ns in WALL_CLOCK_NS:
        seconds = ns / NS_PER_S + RNG.uniform(-1e-6, 1e-6)
        exact = round(Fraction(seconds) * NS_PER_S)
        assert stamp_to_ns(seconds_to_stamp(seconds)) == exact
        naive_misses += round(seconds * 1e9) != exact
    # round(seconds * 1e9) rounds to 256 ns at today's wall-clock time.
    assert naive_misses > 100


def test_simulated_time_goes_round_trip_to_the_nanosecond():
    for ns in SIM_TIME_NS:
        assert stamp_to_ns(seconds_to_stamp(stamp_to_seconds(ns_to_stamp(ns)))) == ns


def test_wall_clock_time_goes_round_trip_within_the_floats_resolution():
    half_ulp_ns = math.ulp(1.8e9) / 2 * NS_PER_S   # 119 ns
    errors = [abs(stamp_to_ns(seconds_to_stamp(stamp_to_seconds(ns_to_stamp(ns)))) - ns)
              for ns in WALL_CLOCK_NS]
    assert max(errors) <= half_ulp_ns
    assert max(errors) > 0  # a float of seconds cannot hold it: keep the message's Time


def test_a_carry_into_the_next_second():
    below = math.nextafter(3.0, 0.0)  # 3 s less 4e-16 s: the nearest stamp is 3 s
    assert seconds_to_stamp(below) == Time(sec=3, nanosec=0)
    assert seconds_to_stamp(2.99999999951) == Time(sec=3, nanosec=0)
    assert seconds_to_stamp(2.9999999994) == Time(sec=2, nanosec=999_999_999)


@pytest.mark.parametrize('seconds', [-1e-3, float('nan'), float('inf'), 2.0**31])
def test_what_no_stamp_can_hold_is_refused(seconds):
    with pytest.raises(ValueError, match='stamp'):
        seconds_to_stamp(seconds)


def test_nanoseconds_out_of_a_stamps_range_are_refused():
    with pytest.raises(ValueError, match='stamp'):
        ns_to_stamp(-1)
    with pytest.raises(ValueError, match='stamp'):
        ns_to_stamp(MAX_NS + 1)


def test_recent_stamps_give_back_a_messages_exact_stamp_by_its_seconds():
    stamps = RecentStamps(size=100)
    # Wall-clock stamps whose seconds do not convert back to the same nanosecond.
    lossy = [ns for ns in WALL_CLOCK_NS
             if stamp_to_ns(seconds_to_stamp(stamp_to_seconds(ns_to_stamp(ns)))) != ns][:150]
    assert len(lossy) == 150
    keys = [stamps.add(ns_to_stamp(ns)) for ns in lossy]
    assert keys == [stamp_to_seconds(ns_to_stamp(ns)) for ns in lossy]
    # The last 100 come back exact; the 50 forgotten ones as the nearest stamp.
    assert [stamp_to_ns(stamps.stamp(k)) for k in keys[50:]] == lossy[50:]
    assert stamps.stamp(keys[0]) == seconds_to_stamp(keys[0]) != ns_to_stamp(lossy[0])
    assert stamps.stamp(12.5) == Time(sec=12, nanosec=500_000_000)
