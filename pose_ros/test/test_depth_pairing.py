"""Stamp pairing of colour results and depth frames: both orders, skew, overflow, misses."""

from pose_ros.depth.pairing import MATCHED, OVERFLOW, PASSED, TIMEOUT, StampPairer


def test_depth_first_then_colour_pairs_at_once():
    p = StampPairer(max_skew_s=0.0, wait_s=0.1)
    assert p.add_depth(1.0, 'd1', now=0.0) == []
    [out] = p.add_colour(1.0, 'c1', now=0.01)
    assert (out.colour, out.depth, out.reason) == ('c1', 'd1', MATCHED)
    assert p.waiting == 0


def test_colour_first_waits_then_depth_completes_it():
    p = StampPairer(max_skew_s=0.0, wait_s=0.1)
    assert p.add_colour(2.0, 'c2', now=0.0) == []
    assert p.waiting == 1
    [out] = p.add_depth(2.0, 'd2', now=0.05)
    assert (out.colour, out.depth, out.reason) == ('c2', 'd2', MATCHED)
    assert p.waiting == 0


def test_within_skew_pairs_the_nearest_and_beyond_skew_does_not():
    p = StampPairer(max_skew_s=0.01, wait_s=0.1)
    p.add_depth(0.990, 'early', now=0.0)
    p.add_depth(0.996, 'near', now=0.0)
    [out] = p.add_colour(1.0, 'c', now=0.0)
    assert out.depth == 'near'
    q = StampPairer(max_skew_s=0.01, wait_s=0.1)
    q.add_depth(0.95, 'far', now=0.0)
    assert q.add_colour(1.0, 'c', now=0.0) == []      # waits: its own depth may still come
    [late] = q.expire(now=0.1)
    assert (late.depth, late.reason) == (None, TIMEOUT)
    assert abs(late.nearest_depth_s - (-0.05)) < 1e-9


def test_colour_older_than_every_buffered_depth_is_handed_back_at_once():
    p = StampPairer(max_skew_s=0.005, wait_s=0.1)
    p.add_depth(5.0, 'd', now=0.0)
    [out] = p.add_colour(4.0, 'c', now=0.0)
    assert (out.colour, out.depth, out.reason) == ('c', None, PASSED)
    assert abs(out.nearest_depth_s - 1.0) < 1e-9


def test_a_newer_depth_frame_releases_waiting_colour_in_stamp_order():
    p = StampPairer(max_skew_s=0.0, wait_s=1.0)
    p.add_colour(1.0, 'c1', now=0.0)
    p.add_colour(2.0, 'c2', now=0.0)
    out = p.add_depth(2.0, 'd2', now=0.0)
    assert [(o.colour, o.depth, o.reason) for o in out] == [('c1', None, PASSED),
                                                           ('c2', 'd2', MATCHED)]


def test_waiting_colour_is_bounded():
    p = StampPairer(max_skew_s=0.0, wait_s=10.0, capacity=2)
    assert p.add_colour(1.0, 'c1', now=0.0) == []
    assert p.add_colour(2.0, 'c2', now=0.0) == []
    [out] = p.add_colour(3.0, 'c3', now=0.0)
    assert (out.colour, out.reason) == ('c1', OVERFLOW)
    assert p.waiting == 2


def test_depth_buffer_is_bounded_and_counts_frames_that_never_matched():
    p = StampPairer(max_skew_s=0.0, wait_s=0.1, depth_capacity=3)
    for i in range(5):
        p.add_depth(float(i), f'd{i}', now=0.0)
    assert p.unmatched_depth == 2              # d0 and d1 pushed out unmatched
    [out] = p.add_colour(3.0, 'c3', now=0.0)
    assert out.depth == 'd3'
    assert p.unmatched_depth == 3              # d2 is older than the match: it never will
    assert p.add_colour(0.0, 'c0', now=0.0)[0].depth is None


def test_depth_that_never_matches_gives_every_colour_back_without_depth():
    p = StampPairer(max_skew_s=0.001, wait_s=0.05)
    given = []
    for i in range(10):
        t = i / 30
        given += p.add_depth(t + 2.0, 'd', now=t)      # depth stamps 2 s ahead
        given += p.add_colour(t, f'c{i}', now=t)
    given += p.expire(now=10.0)
    assert [g.colour for g in given] == [f'c{i}' for i in range(10)]
    assert all(g.depth is None and g.reason == PASSED for g in given)
    assert all(abs(g.nearest_depth_s) >= 1.6 for g in given)


def test_zero_wait_never_holds_colour_back():
    p = StampPairer(max_skew_s=0.0, wait_s=0.0)
    [out] = p.add_colour(1.0, 'c', now=0.0)
    assert (out.depth, out.reason, out.nearest_depth_s) == (None, TIMEOUT, None)


def test_clear_hands_back_everything_waiting():
    p = StampPairer(max_skew_s=0.0, wait_s=1.0)
    p.add_depth(9.0, 'd', now=0.0)
    p.add_colour(10.0, 'c', now=0.0)
    [out] = p.clear()
    assert (out.colour, out.depth) == ('c', None)
    assert p.add_colour(9.0, 'x', now=0.0) == []      # the depth frame is gone too
