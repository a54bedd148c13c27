from pose_ros.core.throttle import KeyedThrottle


def test_repeats_are_held_back_and_counted():
    t = KeyedThrottle(period_s=5.0)
    assert t.check('bad encoding', 0.0) == 0
    assert t.check('bad encoding', 1.0) is None
    assert t.check('bad encoding', 4.9) is None
    assert t.check('bad encoding', 5.0) == 2
    assert t.format('x', 2) == 'x (2 more like this since the last report)'
    assert t.format('x', 0) == 'x'


def test_a_different_problem_is_reported_at_once():
    t = KeyedThrottle(period_s=5.0)
    assert t.check('bad encoding', 0.0) == 0
    assert t.check('truncated', 0.1) == 0


def test_memory_is_bounded():
    t = KeyedThrottle(period_s=5.0, max_keys=3)
    for i in range(10):
        t.check(f'k{i}', 0.0)
    assert t.check('k0', 0.1) == 0  # forgotten, so reported again
    assert t.check('k9', 0.1) is None


def test_due_returns_only_messages_to_log_now():
    t = KeyedThrottle(period_s=5.0)
    said = [t.due('k', 'first', now_s=0.0), t.due('k', 'second', now_s=1.0),
            t.due('k', 'third', now_s=6.0)]
    assert said == ['first', None, 'third (1 more like this since the last report)']
