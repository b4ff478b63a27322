"""The protocol's rules on job lists (reconciler/jobqueue.py), case by case; the end-to-end
behaviour is in test_protocol.py and test_concurrent_runs.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.jobqueue import LEASE, TICKET_MARGIN, Gate, Snapshot, TenantClock, retired_name
from reconciler.platform.models import Job

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def job(i: int, status: str, minutes_before: float = 0.0, **kw: Any) -> Job:
    created = T0 - timedelta(minutes=minutes_before)
    data = {"id": i, "status": status, "filename": f"j{i}.json", "created_at": created.isoformat()}
    return Job.model_validate({**data, **kw})


class Listing:
    """The job list as the tenant would answer it, newest first."""

    def __init__(self, *jobs: Job) -> None:
        self.listed = sorted(jobs, key=lambda j: -j.id)

    def jobs(self) -> list[Job]:
        return list(self.listed)


def verdict(snapshot: list[Job], now: list[Job], own_id: int) -> tuple[str, int | None]:
    clock = TenantClock(lambda: 0.0)
    gate = Gate(Listing(*now), Snapshot.of(snapshot), clock)
    own = next(j for j in now if j.id == own_id)
    v = gate.check(own)
    return v.kind, (v.job.id if v.job is not None and v.kind != "go" else None)


def test_the_lowest_live_ticket_goes_first() -> None:
    listed = [job(1, "valid_scheme"), job(2, "valid_scheme")]
    assert verdict(listed, listed, 2) == ("wait", 1)
    assert verdict(listed, listed, 1) == ("go", None)


def test_an_unproceeded_job_older_than_the_lease_is_abandoned() -> None:
    old = job(1, "created", minutes_before=LEASE / 60 + 1)
    mine = job(2, "valid_scheme")
    assert verdict([old, mine], [old, mine], 2) == ("go", None)


def test_a_retired_job_never_blocks() -> None:
    retired = job(1, "valid_scheme", filename=retired_name("ccai-reconciler-abc.json"))
    mine = job(2, "valid_scheme")
    assert retired.filename == "ccai-reconciler-abc.retired.json"
    assert verdict([retired, mine], [retired, mine], 2) == ("go", None)


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        ("valid_scheme", "in_progress", "stale"),  # proceeded since the snapshot
        ("created", "finished", "stale"),  # proceeded and finished since
        ("finished", "finished", "go"),  # finished before: part of the view
        ("invalid_scheme", "invalid_scheme", "go"),
    ],
)
def test_a_job_proceeded_since_the_snapshot_makes_the_view_stale(
    before: str, after: str, kind: str
) -> None:
    mine = job(3, "valid_scheme")
    then = job(1, before, process_requested_at=None)
    now = job(1, after, process_requested_at=T0.isoformat() if after != before else None)
    assert verdict([then], [now, mine], 3)[0] == kind


def test_a_new_job_that_runs_makes_the_view_stale() -> None:
    mine = job(2, "valid_scheme")
    other = job(3, "in_progress", process_requested_at=T0.isoformat())
    assert verdict([], [mine, other], 2) == ("stale", 3)


def test_a_ticket_close_to_the_lease_is_renewed() -> None:
    mine = job(1, "valid_scheme", minutes_before=(LEASE - TICKET_MARGIN) / 60 + 1)
    newer = job(2, "finished")  # shows the tenant's present
    assert verdict([mine, newer], [mine, newer], 1) == ("renew", 1)


def test_an_own_job_proceeded_by_a_run_of_the_same_plan_is_waited_for() -> None:
    mine = job(1, "valid_scheme")
    running = job(1, "in_progress", process_requested_at=T0.isoformat())
    assert verdict([mine], [running], 1)[0] == "proceeded"


def test_the_tenant_clock_is_a_lower_bound_that_advances() -> None:
    now = [100.0]
    clock = TenantClock(lambda: now[0])
    clock.observe([job(1, "finished", minutes_before=5)])
    clock.observe([job(2, "finished")])
    subject = job(3, "created", minutes_before=1)
    assert clock.age(subject) == pytest.approx(60.0)
    now[0] += 30.0
    assert clock.age(subject) == pytest.approx(90.0)
