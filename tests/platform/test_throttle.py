"""Pure unit tests of the throttle and retry policy with a fake clock (no real time)."""

import random
import threading

import pytest

from reconciler.platform.throttle import RetryPolicy, Throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.lock = threading.Lock()
        self.sleeps: list[float] = []

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


def test_burst_takes_n_minus_one_intervals() -> None:
    fc = FakeClock()
    t = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep)
    starts = []
    for _ in range(5):
        t.acquire()
        starts.append(fc.clock())
    assert starts == [100.0, 101.0, 102.0, 103.0, 104.0]
    assert fc.now - 100.0 == pytest.approx(4.0)


def test_no_wait_when_calls_are_already_spaced() -> None:
    fc = FakeClock()
    t = Throttle(2.0, margin=0.0, clock=fc.clock, sleep=fc.sleep)
    t.acquire()
    fc.now += 0.7  # the caller spent time on its own
    assert t.acquire() == 0.0
    fc.now += 0.2
    assert t.acquire() == pytest.approx(0.3)


def test_margin_is_added() -> None:
    fc = FakeClock()
    t = Throttle(2.0, margin=0.02, clock=fc.clock, sleep=fc.sleep)
    t.acquire()
    t.acquire()
    assert fc.now == pytest.approx(100.51)


def test_threads_get_distinct_slots() -> None:
    """Eight threads: each has its own view of a fake clock that only its own sleeps advance,
    so each acquire() ends exactly at the slot it reserved; the slots are one interval apart."""
    local = threading.local()

    def clock() -> float:
        return 100.0 + getattr(local, "elapsed", 0.0)

    def sleep(seconds: float) -> None:
        local.elapsed = getattr(local, "elapsed", 0.0) + seconds

    t = Throttle(4.0, margin=0.0, clock=clock, sleep=sleep)
    slots: list[float] = []
    lock = threading.Lock()
    go = threading.Event()

    def grab() -> None:
        go.wait(5)
        t.acquire()
        with lock:
            slots.append(clock())

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for th in threads:
        th.start()
    go.set()
    for th in threads:
        th.join(timeout=5)
    assert sorted(slots) == pytest.approx([100.0 + i * 0.25 for i in range(8)])


def test_penalty_honours_retry_after_and_halves_rate() -> None:
    fc = FakeClock()
    t = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep)
    t.acquire()
    t.penalize(5.0)
    assert t.rate == 0.5
    t.acquire()
    assert fc.now == pytest.approx(105.0)
    t.acquire()
    assert fc.now == pytest.approx(107.0)  # 1 / 0.5


def test_penalty_without_retry_after_and_floor() -> None:
    fc = FakeClock()
    t = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep)
    for _ in range(5):
        t.penalize(None)
    assert t.rate == 0.25  # floor: a quarter of the configured rate
    assert t.penalties == 5


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Throttle(0)


def test_backoff_full_jitter_is_capped() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0, rng=random.Random(7))
    for attempt in range(12):
        ceiling = min(4.0, 0.5 * 2**attempt)
        samples = [policy.backoff(attempt) for _ in range(50)]
        assert all(0.0 <= s <= ceiling for s in samples)
    # Jitter: not all the same.
    assert len({round(policy.backoff(3), 6) for _ in range(20)}) > 1
