"""The client against a faulty simulator: retries converge, an upload or proceed whose
connection drops is never applied twice, and the throttle keeps the simulator's rate limit."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import pytest

from reconciler.platform import DncContact, JobStatus, PlatformClient
from reconciler.simulator import SimulatorHandle
from reconciler.simulator.faults import FaultInjector, FaultSpec
from reconciler.simulator.ratelimit import TOLERANCE
from tests.helpers import find_job, template, total_calls

ROWS = [{"email": "new.person@example.com", "first_name": "New", "last_name": "Person"}]
OK = {None}
RESET_AFTER = {"reset_after"}
RESET_BEFORE = {"reset_before"}
FIVE_XX = {"500", "503"}


def seed_for(spec: str, wanted: Sequence[set[str | None]]) -> int:
    """A fault seed whose first requests meet exactly the ``wanted`` faults (the simulator
    draws its faults from ``random.Random(seed)`` in arrival order)."""
    for seed in range(100_000):
        inj = FaultInjector(FaultSpec.parse(spec), seed)
        if all(inj.for_request().kind in want for want in wanted):
            return seed
    raise AssertionError("no seed found")


def start(sim_factory, spec: str, wanted: Sequence[set[str | None]]) -> SimulatorHandle:
    return sim_factory(faults=spec, fault_seed=seed_for(spec, wanted))


def job_ids(sim: SimulatorHandle) -> list[int]:
    with sim.tenant.lock:
        return sorted(sim.tenant.jobs)


def test_upload_dropped_after_apply_creates_one_job(sim_factory, client_for) -> None:
    sim = start(sim_factory, "reset=0.5", [RESET_AFTER, OK])
    client: PlatformClient = client_for(sim)
    job = client.upload(ROWS, "plan-aaaa.json")
    assert job_ids(sim) == [job.id]
    assert job.filename == "plan-aaaa.json"
    assert client.calls["upload"] == 1 and client.calls["jobs"] == 1
    assert [r["status"] for r in sim.requests] == [None, 200]


def test_upload_dropped_before_apply_is_sent_again(sim_factory, client_for) -> None:
    sim = start(sim_factory, "reset=0.5", [RESET_BEFORE, OK, OK, OK])
    client = client_for(sim)
    job = client.upload(ROWS, "plan-bbbb.json")
    assert job_ids(sim) == [job.id]
    assert client.calls["upload"] == 2 and client.calls["jobs"] == 1


def test_upload_5xx_looks_before_sending_again(sim_factory, client_for) -> None:
    sim = start(sim_factory, "5xx=0.5", [FIVE_XX, OK, OK, OK])
    client = client_for(sim)
    job = client.upload(ROWS, "plan-cccc.json")
    assert job_ids(sim) == [job.id]
    assert [r["status"] for r in sim.requests][:2] in ([500, 200], [503, 200])
    assert client.calls["upload"] == 2


def test_older_job_with_same_filename_is_not_taken_for_this_upload(sim_factory, client_for):
    # upload + re-read, find_job, then the second upload drops after apply, then the job list.
    sim = start(sim_factory, "reset=0.5", [OK, OK, OK, RESET_AFTER, OK])
    client = client_for(sim)
    first = client.upload(ROWS, "plan-dddd.json")
    found = find_job(client, "plan-dddd.json")  # the status may have moved on meanwhile
    assert found is not None and (found.id, found.filename) == (first.id, first.filename)
    second = client.upload(ROWS, "plan-dddd.json")
    assert second.id != first.id
    assert job_ids(sim) == [first.id, second.id]


def test_proceed_dropped_after_apply_is_not_an_error(sim_factory, client_for) -> None:
    sim = start(sim_factory, "reset=0.5", [OK, OK, RESET_AFTER, OK])
    client = client_for(sim)
    job = client.upload(ROWS, "plan-eeee.json")
    sim.tenant.wait_job(job.id, "valid_scheme", timeout=10)
    done = client.proceed(job.id)
    assert done.status in (JobStatus.IN_PROGRESS, JobStatus.FINISHED)
    assert client.calls["proceed"] == 1
    sim.tenant.wait_job(job.id, "finished", timeout=10)


def test_retries_converge(sim_factory, client_for: Callable[..., PlatformClient]) -> None:
    sim = sim_factory(faults="5xx=0.25,reset=0.25", fault_seed=11)
    client = client_for(sim)
    numbers = [f"+1415555{n:04d}" for n in range(100, 112)]
    for i in range(0, len(numbers), 3):
        results = client.dnc_add([DncContact.build(n) for n in numbers[i : i + 3]])
        assert [r.ok for r in results] == [True] * len(results)
    assert len(template(client)) == 3
    assert all(client.dnc_check(n).do_not_call for n in numbers[:4])
    removed = client.dnc_remove(numbers[:6])
    # A retry after a drop that had already applied finds some numbers gone: "not_found".
    assert {r.status for r in removed} <= {"removed", "not_found"}
    assert [r.phone_number for r in removed] == numbers[:6]
    assert set(sim.tenant.dnc_snapshot()) == set(numbers[6:])
    statuses = [r["status"] for r in sim.requests]
    assert any(s is None for s in statuses) and any(s in (500, 503) for s in statuses)
    assert total_calls(client) == len(statuses) > 4 + 1 + 4 + 1


@pytest.mark.slow
def test_throttle_keeps_the_rate_limit(sim_factory, client_for) -> None:
    sim = sim_factory(rate_limit=1.0)
    client = client_for(sim, rate=1.0)
    template(client)
    client.jobs()
    client.dnc_check("+14155550100")
    client.dnc_check("+14155550101")
    log = sim.requests
    assert [r["status"] for r in log] == [200] * 4
    gaps = [b["time"] - a["time"] for a, b in itertools.pairwise(log)]
    assert min(gaps) >= 1.0, gaps
    assert max(gaps) < 1.5, gaps  # and no slower than needed


@pytest.mark.slow
def test_429_honours_retry_after_and_repeated_429s_lower_the_rate(sim_factory, client_for) -> None:
    """Twice the tenant's limit: the first 429 is taken for a lone one (the rate is kept), the
    second, one success later, halves the rate (usually [200, 429, 200, 429, 200, 200]; the
    exact sequence depends on arrival jitter, the fake-clock tests of test_throttle.py pin the
    logic). Every call succeeds and no admitted request comes too early."""
    sim = sim_factory(rate_limit=1.0)
    client = client_for(sim, rate=2.0)
    checks = [client.dnc_check(f"+1415555010{i}") for i in range(4)]
    assert [c.do_not_call for c in checks] == [False] * 4
    log = sim.requests
    statuses = [r["status"] for r in log]
    assert statuses.count(200) == 4 and 1 <= statuses.count(429) <= 3, statuses
    assert client.throttle.penalties == statuses.count(429)
    if statuses[:4] == [200, 429, 200, 429]:
        assert client.throttle.slowdowns == 1
    assert client.calls["dnc_check"] == len(log)
    admitted = [r["time"] for r in log if r["status"] == 200]
    gaps = [b - a for a, b in itertools.pairwise(admitted)]
    assert min(gaps) >= 1.0 - TOLERANCE, gaps


def test_proceeded_job_with_same_filename_is_not_taken_for_this_upload(sim_factory, client_for):
    # Client A: upload + re-read, proceed + re-read. Client B (no earlier job listing): the
    # upload drops after apply, then the job list.
    sim = start(sim_factory, "reset=0.5", [OK, OK, OK, OK, RESET_AFTER, OK])
    a = client_for(sim)
    first = a.upload(ROWS, "plan-ffff.json")
    sim.tenant.wait_job(first.id, "valid_scheme", timeout=10)
    a.proceed(first.id)
    sim.tenant.wait_job(first.id, "finished", timeout=10)
    b = client_for(sim)
    second = b.upload(ROWS, "plan-ffff.json")
    assert second.id != first.id
    assert job_ids(sim) == [first.id, second.id]
    assert b.calls["upload"] == 1
