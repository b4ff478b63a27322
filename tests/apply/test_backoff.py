"""Polling pace with an injected clock: back-off from 1 s doubling to a 10 s cap, and a timeout
that ends the wait at the deadline (no real seconds are waited)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.apply import ApplyOptions, ApplyTimeout, apply_plan

from .helpers import client_for, make_plan, write_config


class FakeTime:
    """A clock that only moves when slept on; each sleep also waits 1/200 of it for real so
    the simulator's (real-time) job can make progress."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(round(seconds, 6))
        self.now += seconds
        time.sleep(seconds / 200)


def test_poll_backoff_doubles_from_one_second_to_ten(simulator, tmp_path: Path) -> None:
    # 2 real seconds of stall: five polls (1+2+4+8 fake seconds, 75 ms of real waiting plus
    # five requests) reach the cap within it even on a loaded machine (0.4 s did not always).
    sim = simulator(faults="stall=job,stall_time=2")
    cfg = write_config(tmp_path)
    t = FakeTime()
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        report = apply_plan(plan, client, options=ApplyOptions(clock=t.clock, sleep=t.sleep))
    assert report.exit_code == 0
    # The stalled job takes several polls; every pause follows 1, 2, 4, 8, 10, 10, ... from the
    # start of each wait (validation, then the update).
    assert t.pauses, "the job never needed a poll"
    expected = [1.0, 2.0, 4.0, 8.0] + [10.0] * 50
    seqs: list[list[float]] = [[]]
    for p in t.pauses:
        if p == 1.0 and seqs[-1]:
            seqs.append([])
        seqs[-1].append(p)
    for seq in seqs:
        assert seq == expected[: len(seq)], t.pauses
    assert max(t.pauses) <= 10.0
    assert any(len(seq) >= 5 for seq in seqs), t.pauses  # reached the cap


def test_timeout_ends_at_the_deadline(simulator, tmp_path: Path) -> None:
    sim = simulator(faults="stall=job,stall_time=2")
    cfg = write_config(tmp_path)
    t = FakeTime()
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        with pytest.raises(ApplyTimeout, match=r"timed out after 5 s waiting for job 1"):
            apply_plan(plan, client, options=ApplyOptions(clock=t.clock, sleep=t.sleep, timeout=5))
    assert t.now == pytest.approx(5.0)
    assert sum(t.pauses) == pytest.approx(5.0)
