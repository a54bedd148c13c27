"""LatestFrameWorker: newest frame only, drops counted exactly, errors counted, stop wakes it."""

import logging
import threading

import pytest

from pose_ros.pose.worker import FrameStats, LatestFrameWorker

WAIT_S = 10.0  # generous: only a broken worker takes this long


class Recorder:
    """Work that records its items and can be held on an item until released."""

    def __init__(self, hold=(), fail=()):
        self.seen = []
        self.hold, self.fail = set(hold), set(fail)
        self.started = threading.Event()
        self.release = threading.Event()
        self.done = threading.Condition()

    def __call__(self, item):
        self.started.set()
        if item in self.hold:
            assert self.release.wait(WAIT_S)
        with self.done:
            self.seen.append(item)
            self.done.notify_all()
        if item in self.fail:
            raise RuntimeError(f'cannot work on {item}')

    def wait_for(self, count):
        with self.done:
            return self.done.wait_for(lambda: len(self.seen) >= count, WAIT_S)


@pytest.fixture
def workers():
    started = []

    def make(work, **kwargs):
        worker = LatestFrameWorker(work, **kwargs).start()
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()


def test_frames_arriving_during_work_replace_each_other_and_are_counted(workers):
    work = Recorder(hold={1})
    worker = workers(work)
    assert worker.put(1) is False
    assert work.started.wait(WAIT_S)  # 1 is being worked on now
    replaced = [worker.put(i) for i in (2, 3, 4, 5)]
    # 2 waits; 3, 4 and 5 each replace the one waiting before them.
    assert replaced == [False, True, True, True]
    work.release.set()
    assert work.wait_for(2)
    worker.put(6)
    assert work.wait_for(3)
    assert work.seen == [1, 5, 6]  # never queued: the newest frame, then the next one
    stats = worker.stats.take()
    assert (stats.received, stats.dropped, stats.bad) == (6, 3, 0)
    assert worker.stats.dropped_total == 3


def test_no_drop_when_work_keeps_up(workers):
    work = Recorder()
    worker = workers(work)
    for i in range(5):
        worker.put(i)
        assert work.wait_for(i + 1)
    assert work.seen == [0, 1, 2, 3, 4]
    stats = worker.stats.take()
    assert (stats.received, stats.dropped) == (5, 0)


def test_an_exception_is_counted_reported_and_the_worker_goes_on(workers):
    work = Recorder(fail={'bad'})
    errors = []
    worker = workers(work, on_error=errors.append)
    worker.put('bad')
    assert work.wait_for(1)
    worker.put('good')
    assert work.wait_for(2)
    assert worker.stop()
    assert work.seen == ['bad', 'good']
    assert [str(e) for e in errors] == ['cannot work on bad']
    assert worker.stats.take().bad == 1


def broken_handler(exc):
    raise ValueError('handler broke')


@pytest.mark.parametrize('on_error, logged', [(None, 'cannot work on bad'),
                                              (broken_handler, 'on_error failed')])
def test_an_error_no_handler_reports_is_logged_and_the_worker_goes_on(workers, caplog,
                                                                     on_error, logged):
    work = Recorder(fail={'bad'})
    worker = workers(work, on_error=on_error)
    with caplog.at_level(logging.ERROR, logger='pose_ros.pose.worker'):
        worker.put('bad')
        assert work.wait_for(1)
        worker.put('good')
        assert work.wait_for(2)
    assert logged in caplog.text
    assert worker.alive
    assert worker.stats.take().bad == 1


def test_stop_wakes_an_idle_worker():
    worker = LatestFrameWorker(Recorder()).start()
    assert worker.alive
    assert worker.stop(timeout=WAIT_S) is True
    assert not worker.alive


def test_stop_lets_the_frame_in_work_finish_and_discards_the_waiting_one():
    work = Recorder(hold={1})
    worker = LatestFrameWorker(work).start()
    worker.put(1)
    assert work.started.wait(WAIT_S)
    worker.put(2)
    assert worker.stop(timeout=0.0) is False  # asked to stop; 1 is still in work
    work.release.set()
    assert worker.stop(timeout=WAIT_S) is True
    assert work.seen == [1]


def test_stats_take_starts_a_new_period():
    stats = FrameStats()
    stats.add_received(dropped=False)
    stats.add_received(dropped=True)
    stats.add(0.001, 0.004, 0.006, persons=2, hands_s=0.002, hands=3)
    stats.add(0.003, 0.006, 0.010, persons=1, hands_s=0.004, hands=2)
    stats.add_bad()
    period = stats.take()
    assert (period.received, period.dropped, period.processed, period.bad) == (2, 1, 2, 1)
    assert (period.persons, period.hands) == (1, 2)   # the last frame's
    assert period.mean(period.infer_s) == pytest.approx(5.0)
    assert period.mean(period.hands_s) == pytest.approx(3.0)
    assert period.mean(period.total_s) == pytest.approx(8.0)
    after = stats.take()
    assert (after.received, after.dropped, after.processed, after.bad) == (0, 0, 0, 0)
    assert after.mean(after.total_s) == after.mean(after.hands_s) == 0.0
    stats.add_received(dropped=True)
    stats.take()
    assert stats.dropped_total == 2
