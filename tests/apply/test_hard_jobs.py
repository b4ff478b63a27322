"""Hard world: ``ccai-reconciler jobs`` on a busy tenant: more than 20 jobs (the list is paged,
newest first), another tool's job in progress, this tool's job with its apply report, a job
whose update errors come from a real race with another tool, and a job id that does not exist.
The calls are counted at the simulator: the listing is one call (``per_page`` = ``--limit``),
``jobs show`` is the job, plus its update errors when it has any (docs/apply.md, "jobs")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.simulator import SimulatorHandle
from tests.neighbour import foreign_job

from .helpers import CONFIG, seed, write_config
from .runs import spawn
from .test_jobs_cmd import api_calls, job_list_gets, old_job, run


def _apply(sim: SimulatorHandle, cfg: Path, report: Path) -> Any:
    return run(
        sim, "apply", "--poll-interval", "0.02", "-c", str(cfg), "--auto-approve",
        "--report", str(report),
    )  # fmt: skip


def _job(sim: SimulatorHandle, prefix: str) -> Any:
    with sim.tenant.lock:
        return next(
            (j for j in sim.tenant.jobs.values() if (j.filename or "").startswith(prefix)), None
        )


def test_listing_a_busy_tenant_is_one_call_newest_first(simulator, tmp_path: Path) -> None:
    sim = simulator(seed(jobs=[old_job(i) for i in range(1, 26)]), row_delay=0.5)
    cfg = write_config(tmp_path)
    report = tmp_path / "report.json"
    applied = _apply(sim, cfg, report)
    assert applied.exit_code == 0, applied.output
    mine = json.loads(report.read_text())
    # another tool's job, still running (row delay) while we list
    rows = [{"email": f"s{i}@acme-corp.com", "first_name": "S", "last_name": "Y"} for i in range(4)]
    foreign = foreign_job(sim, rows, wait_for="in_progress")
    start = len(sim.requests)
    listed = run(sim, "jobs", "--report", str(report), "--format", "json")
    text = run(sim, "jobs")
    assert listed.exit_code == 0 and text.exit_code == 0, listed.output + text.output
    assert job_list_gets(sim)[-2:] == ["page=1&per_page=20"] * 2
    assert len(sim.requests) - start == 2  # one call per listing

    items = json.loads(listed.output)
    assert len(items) == 20
    assert [i["id"] for i in items] == [foreign, mine["job_id"], *range(25, 7, -1)]
    assert items[0]["status"] == "in_progress" and items[0]["mine"] is False
    assert items[0]["filename"] == "directory-sync.json" and items[0]["plan_hash"] is None
    assert items[1]["status"] == "finished" and items[1]["mine"] is True
    assert items[1]["plan_hash"] == mine["plan_hash"]
    assert all(not i["mine"] for i in items[2:])
    rows = text.output.splitlines()
    assert rows[1].split()[:1] == [str(foreign)] and "in_progress" in rows[1]
    assert rows[2].startswith("*") and mine["job_filename"] in rows[2]
    assert sim.token not in text.output


ZED = """\
  - email: zed.new@acme-corp.com
    first_name: Zed
    last_name: New
    roles: [Agent]
"""
RACE_CONFIG = CONFIG.replace("dnc:\n", ZED + "dnc:\n")


def test_show_maps_update_errors_of_a_real_race_to_yaml_lines(simulator, tmp_path: Path) -> None:
    """Our job creates zed.new@ (row 2: creates come first, by e-mail) while another tool
    creates the same address between our proceed and that row: the row fails with an update
    error, which ``jobs show`` maps to the user's YAML line."""
    sim = simulator(row_delay=1.0)
    cfg = write_config(tmp_path, RACE_CONFIG)
    report = tmp_path / "report.json"
    proc = spawn(sim, "-c", str(cfg), "--auto-approve", "--report", str(report))
    try:
        # rows: create new.cy@ (row 1, applied at proceed), create zed.new@ (row 2, 1 s later)
        def first_row_done(_tenant: object) -> bool:
            j = _job(sim, "ccai-reconciler-")
            return j is not None and j.processed >= 1

        if not sim.tenant.wait_for(first_row_done, timeout=30):
            assert proc.poll() is None, proc.communicate()
            raise AssertionError("timed out waiting for our job's first row")
        foreign_job(sim, [{"email": "zed.new@acme-corp.com", "first_name": "Z", "last_name": "Z"}])
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err
    data = json.loads(report.read_text())
    assert data["outcome"] == "applied_with_errors"
    job_id = data["job_id"]
    users_yaml = cfg / "users.yaml"
    zed_line = RACE_CONFIG.splitlines().index("  - email: zed.new@acme-corp.com") + 1

    start = len(sim.requests)
    shown = run(sim, "jobs", "show", str(job_id), "-c", str(cfg), "--report", str(report))
    assert shown.exit_code == 0, shown.output
    assert [r["path"].rsplit("/bulk/", 1)[1] for r in sim.requests[start:]] == [
        f"users/jobs/{job_id}",
        f"users/errors/update/{job_id}",
    ]
    [line] = [x for x in shown.output.splitlines() if "already used" in x]
    assert line.startswith(f"{users_yaml}:{zed_line}:")
    assert "error: email zed.new@acme-corp.com is already used by another user" in line
    assert "(user zed.new@acme-corp.com, job row" in line
    assert f"job {job_id} (" in shown.output and "made by ccai-reconciler: plan " in shown.output


def test_show_of_a_job_that_does_not_exist(simulator) -> None:
    sim = simulator(seed(jobs=[old_job(1)]))
    res = run(sim, "jobs", "show", "999")
    assert res.exit_code == 1
    assert res.output == (
        "error: job 999 does not exist in tenant acme (GET /bulk/users/jobs/999, HTTP 404); "
        "`ccai-reconciler jobs` lists the newest jobs\n"
    )
    assert len(api_calls(sim)) == 1


def test_show_of_a_foreign_job_in_progress_is_one_call(simulator) -> None:
    sim = simulator(row_delay=2.0)
    rows = [{"email": f"s{i}@acme-corp.com", "first_name": "S", "last_name": "Y"} for i in range(3)]
    job = foreign_job(sim, rows, wait_for="in_progress")
    start = len(sim.requests)
    res = run(sim, "jobs", "show", str(job))
    assert res.exit_code == 0, res.output
    assert f"job {job} (directory-sync.json): in_progress, 3 rows" in res.output
    assert "made by ccai-reconciler" not in res.output
    assert "No scheme or update errors." in res.output
    assert len(sim.requests) - start == 1
