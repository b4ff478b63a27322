"""The client reads the paged job list as far back as it matters (docs/apply.md, "Concurrent
runs and the job list"): every page with per_page=100, up to the first page whose oldest job is
more than a day older than the newest, or to the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.simulator import SimulatorHandle, default_seed
from reconciler.simulator.tenant import Job
from tests.helpers import find_job


def job(i: int, created: datetime, filename: str | None = None, status: str = "finished") -> Any:
    return {
        "id": i,
        "created_at": created.isoformat(),
        "filename": filename or f"j{i}.json",
        "rows": [],
        "status": status,
    }


def job_list_gets(sim: SimulatorHandle) -> list[str]:
    return [r["query"] for r in sim.requests if r["path"].endswith("/bulk/users/jobs")]


def test_more_than_one_page_is_read_in_full(sim_factory, client_for) -> None:
    now = datetime.now(UTC)
    sim = sim_factory({**default_seed(), "jobs": [job(i, now) for i in range(1, 131)]})
    with client_for(sim) as client:
        jobs = client.jobs()
    assert [j.id for j in jobs] == list(range(130, 0, -1))
    assert job_list_gets(sim) == ["page=1&per_page=100", "page=2&per_page=100"]


def test_reading_stops_a_day_before_the_newest_job(sim_factory, client_for) -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=2)
    seeded = [job(i, old if i <= 100 else now) for i in range(1, 251)]
    sim = sim_factory({**default_seed(), "jobs": seeded})
    with client_for(sim) as client:
        jobs = client.jobs()
    # Page 2 (ids 150..51) reaches two days back: page 3 is never asked for.
    assert len(job_list_gets(sim)) == 2
    assert jobs[0].id == 250 and jobs[-1].id == 51


def test_own_job_on_page_two_is_found(sim_factory, client_for) -> None:
    now = datetime.now(UTC)
    seeded = [job(i, now, "mine.json" if i == 10 else None, "valid_scheme") for i in range(1, 151)]
    sim = sim_factory({**default_seed(), "jobs": seeded})
    with client_for(sim) as client:
        found = find_job(client, "mine.json")
    assert found is not None and found.id == 10


def test_the_lookup_after_an_ambiguous_upload_reads_past_page_one(
    sim: SimulatorHandle, client_for
) -> None:
    rows = [{"email": "a@example.com", "first_name": "A", "last_name": "B"}]
    with client_for(sim) as client:
        client.jobs()  # what the client knew before the upload
        mine = client.upload(rows, "mine.json")
        with sim.tenant.lock:  # 100 other jobs arrive before the lookup
            for i in range(mine.id + 1, mine.id + 101):
                sim.tenant.jobs[i] = Job(
                    id=i, created_at=sim.clock.now(), filename=f"o{i}.json", rows=[]
                )
            sim.tenant.next_job_id = mine.id + 101
        found = client._find_new_job("mine.json", set())
    assert found is not None and found.id == mine.id
