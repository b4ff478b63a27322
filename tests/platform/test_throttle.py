"""Pure unit tests of the throttle and retry policy with a fake clock (no real time)."""

import itertools
import random
import threading
from pathlib import Path

import pytest

from reconciler.platform.throttle import (
    CALM,
    RECOVER_STEP,
    RetryPolicy,
    SharedPace,
    SlotBeyondDeadline,
    Throttle,
    cache_dir,
)


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


def test_a_lone_429_pauses_for_retry_after_then_keeps_the_rate() -> None:
    fc = FakeClock()
    t = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep)
    t.acquire()
    t.penalize(5.0)
    assert t.rate == 1.0
    t.acquire()
    assert fc.now == pytest.approx(105.0)
    t.success()
    t.acquire()
    assert fc.now == pytest.approx(106.0)  # the configured interval again
    assert t.penalties == 1 and t.slowdowns == 0


def test_429s_close_together_halve_the_rate_then_it_recovers() -> None:
    fc = FakeClock()
    t = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep)
    t.penalize(1.0)
    t.success()  # fewer than CALM successes since the previous 429
    t.penalize(1.0)
    assert t.rate == 0.5 and t.slowdowns == 1
    for _ in range(CALM):
        t.success()
    assert t.rate == pytest.approx(0.5 + CALM * RECOVER_STEP)
    t.penalize(1.0)  # CALM successes ago: a lone 429 again
    assert t.slowdowns == 1
    for _ in range(20):
        t.success()
    assert t.rate == 1.0  # never above the configured rate


def test_penalty_without_retry_after_and_floor() -> None:
    fc = FakeClock()
    t = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep)
    t.acquire()
    for _ in range(5):
        t.penalize(None)
    assert t.rate == 0.25  # floor: a quarter of the configured rate
    assert t.penalties == 5
    assert fc.now == 100.0
    t.acquire()
    assert fc.now >= 101.0  # at least one interval after the 429


def test_acquire_refuses_a_slot_beyond_the_deadline() -> None:
    fc = FakeClock()
    t = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep)
    t.acquire()
    with pytest.raises(SlotBeyondDeadline):
        t.acquire(deadline=100.5)
    assert fc.sleeps == []  # refused without waiting
    t.acquire(deadline=101.0)
    assert fc.now == pytest.approx(101.0)


def test_shared_pace_spaces_two_throttles(tmp_path) -> None:
    """Two throttles (two commands) sharing one pace file: the second waits for the first's
    slot; a pause after a 429 is shared too."""
    fc = FakeClock()
    wall = fc.clock  # one fake time for both clocks
    path = tmp_path / "pace"
    a = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep, pace=SharedPace(path, wall=wall))
    b = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep, pace=SharedPace(path, wall=wall))
    a.acquire()
    assert b.acquire() == pytest.approx(1.0)
    a.penalize(3.0)  # at 101: nobody before 104
    b.acquire()
    assert fc.now == pytest.approx(104.0)
    assert float(path.read_text()) == pytest.approx(104.0)


def test_shared_pace_that_cannot_be_written_is_disabled(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    fc = FakeClock()
    pace = SharedPace(blocker / "sub" / "pace", wall=fc.clock)  # a file where a dir should be
    t = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep, pace=pace)
    assert t.acquire() == 0.0
    assert t.acquire() == pytest.approx(1.0)
    assert not pace.enabled


def test_shared_pace_ignores_garbage_and_far_future(tmp_path) -> None:
    fc = FakeClock()
    path = tmp_path / "pace"
    for content in ("garbage", "nan", str(fc.now + 10_000)):
        path.write_text(content)
        t = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep)
        t.pace = SharedPace(path, wall=fc.clock)
        assert t.acquire() == 0.0


def test_pace_file_location(tmp_path) -> None:
    home = {"HOME": str(tmp_path)}
    assert cache_dir(home) == tmp_path / ".cache" / "ccai-reconciler"
    assert cache_dir({**home, "XDG_CACHE_HOME": "/x"}) == Path("/x/ccai-reconciler")
    assert cache_dir({**home, "XDG_CACHE_HOME": "/x", "CCAI_CACHE_DIR": "/y"}) == Path("/y")
    assert cache_dir({}) is None
    one = SharedPace.for_tenant("https://a.example.com/apps/api/v1", "a", {"CCAI_CACHE_DIR": "/y"})
    two = SharedPace.for_tenant("https://a.example.com/apps/api/v1", "b", {"CCAI_CACHE_DIR": "/y"})
    assert one is not None and two is not None
    assert one.path.parent == Path("/y") and one.path != two.path
    assert "a.example.com" not in one.path.name


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


class LateClock(FakeClock):
    """A busy machine: sleeps overshoot by the next of ``lateness`` (in turn), seconds."""

    def __init__(self, *lateness: float) -> None:
        super().__init__()
        self.lateness = list(lateness)
        self.turn = 0

    def sleep(self, seconds: float) -> None:
        late = self.lateness[self.turn % len(self.lateness)]
        self.turn += 1
        super().sleep(seconds + late)


@pytest.mark.parametrize("shared", [False, True])
def test_a_late_wake_pushes_the_next_slot_back(tmp_path: Path, shared: bool) -> None:
    """Starts stay an interval apart even when the caller wakes after its slot, in this
    throttle and, through the pace file, in another command's."""
    fc = LateClock(0.03, 0.0)  # one wake late, the next on time: the gap between shrank
    pace = (lambda: SharedPace(tmp_path / "pace", wall=fc.clock)) if shared else (lambda: None)
    t = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep, pace=pace())
    other = Throttle(1.0, margin=0.0, clock=fc.clock, sleep=fc.sleep, pace=pace())
    starts = []
    for _ in range(4):
        t.acquire()
        starts.append(fc.clock())
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(g >= 1.0 for g in gaps), gaps
    if shared:
        other.acquire()
        assert fc.clock() - starts[-1] >= 1.0
