"""Hard world: two ``apply`` runs at once against a slow job (row delay: the job stays
``in_progress`` for seconds) with ``policy.ownership_role`` configured, as real
``python -m reconciler apply`` subprocesses.

docs/apply.md ("Concurrent runs and the job list"): of two runs exactly one proceeds; the other
waits for it and then plans again (``apply -c``: nothing left to do) or is refused / finds the
plan applied (a saved plan). Nothing is applied twice: one proceeded job, no row twice."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reconciler.simulator import SimulatorHandle
from tests.plan.test_ownership import OWNER, SEED
from tests.plan.test_ownership import write_config as write_ownership_config

from .helpers import client_for, make_plan
from .runs import jobs, spawn

ROW_DELAY = 1.0  # 3 rows (mark ana@, create new@, deactivate gone@): ~3 s in progress


def start(sim_factory: Any) -> SimulatorHandle:
    sim: SimulatorHandle = sim_factory(
        json.loads(json.dumps(SEED)), validation_delay=0.3, row_delay=ROW_DELAY
    )
    return sim


def config(tmp_path: Path) -> Path:
    return write_ownership_config(tmp_path)


def finish(*procs: subprocess.Popen[str]) -> list[tuple[int, str]]:
    out = []
    for p in procs:
        o, e = p.communicate(timeout=120)
        out.append((p.returncode, o + e))
    return out


def assert_applied_once(sim: SimulatorHandle) -> None:
    proceeded = [j for j in jobs(sim) if j["process_requested_at"] is not None]
    assert len(proceeded) == 1, proceeded
    [job] = proceeded
    assert job["status"] == "finished" and not job["filename"].endswith(".retired.json")
    with sim.tenant.lock:
        rows = sim.tenant.jobs[job["id"]].rows
        errors = list(sim.tenant.jobs[job["id"]].update_errors)
    assert sorted(r["email"] for r in rows) == [
        "ana@acme-corp.com",
        "gone@acme-corp.com",
        "new@acme-corp.com",
    ]
    assert errors == []  # not even a "nothing to update": no row met an already-applied user
    proceeds = [r for r in sim.requests if r["path"].endswith("/proceed") and r["status"] == 200]
    assert len(proceeds) == 1
    with sim.tenant.lock:
        users = {u.email: (str(u.status), set(u.roles)) for u in sim.tenant.users.values()}
    assert users["gone@acme-corp.com"][0] == "Inactive"
    assert users["portal@acme-corp.com"] == ("Active", {"Agent"})  # no role: never touched
    for email in ("boss@acme-corp.com", "ana@acme-corp.com", "new@acme-corp.com"):
        assert users[email][0] == "Active" and OWNER in users[email][1]


@pytest.mark.slow
def test_two_identical_config_applies_at_once(sim_factory, tmp_path: Path) -> None:
    """Same config, same tenant: the same plan hash, so the same job file name."""
    sim = start(sim_factory)
    cfg = config(tmp_path)
    a = spawn(sim, "-c", str(cfg), "--auto-approve")
    b = spawn(sim, "-c", str(cfg), "--auto-approve")
    results = finish(a, b)
    assert [code for code, _ in results] == [0, 0], results
    assert_applied_once(sim)


@pytest.mark.slow
def test_a_second_apply_while_the_first_job_runs_waits_then_has_nothing_to_do(
    sim_factory, tmp_path: Path
) -> None:
    sim = start(sim_factory)
    cfg = config(tmp_path)
    a = spawn(sim, "-c", str(cfg), "--auto-approve")
    try:
        assert sim.tenant.wait_for(
            lambda t: any(j.status == "in_progress" for j in t.jobs.values()), 60
        )
        b = spawn(sim, "-c", str(cfg), "--auto-approve")
    finally:
        results = finish(a, *([b] if "b" in locals() else []))
    assert [code for code, _ in results] == [0, 0], results
    assert "No changes" in results[1][1] or "resum" in results[1][1], results[1][1]
    assert_applied_once(sim)


@pytest.mark.slow
def test_one_saved_plan_applied_by_two_runs_at_once(sim_factory, tmp_path: Path) -> None:
    sim = start(sim_factory)
    cfg = config(tmp_path)
    plan = tmp_path / "plan.json"
    with client_for(sim) as client:
        make_plan(cfg, client).save(plan)
    a = spawn(sim, str(plan))
    b = spawn(sim, str(plan))
    results = finish(a, b)
    codes = sorted(code for code, _ in results)
    # one applies; the other finds the same job (resumes, 0) or refuses it as applied (1)
    assert codes in ([0, 0], [0, 1]), results
    assert_applied_once(sim)
