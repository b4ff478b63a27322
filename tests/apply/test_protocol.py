"""Concurrent runs and kills against one tenant, over real HTTP: the protocol on the job list
(docs/apply.md, "Concurrent runs and the job list").

A plan's view (the template) is never read while a job runs; a job is proceeded only when no
job runs, no live unproceeded job has a lower id, and nothing was proceeded since the view.
Subprocesses are real ``python -m reconciler apply`` runs; waits are on the simulator's state.
"""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import ApplyOptions, apply_plan, job_filename, user_row
from reconciler.platform import PlatformClient
from reconciler.simulator import SimulatorHandle

from .helpers import ApplyInterrupted, client_for, interrupt_at, make_plan, seed, write_config
from .runs import cli_apply, jobs, plans_clean, spawn, uploads


def record_views(monkeypatch: pytest.MonkeyPatch, sim: SimulatorHandle) -> list[list[str]]:
    """Record the tenant's running jobs at every template read (the plan's view)."""
    seen: list[list[str]] = []

    def running() -> list[str]:
        with sim.tenant.lock:
            return [
                f"{j.id}:{j.status}"
                for j in sim.tenant.jobs.values()
                if j.status == "in_progress"
                or (j.process_requested_at is not None and j.status != "finished")
            ]

    for name in ("iter_template",):  # the plan reads the template only this way
        original = getattr(PlatformClient, name)

        def wrapped(self: PlatformClient, _original: Any = original) -> Any:
            seen.append(running())
            return _original(self)

        monkeypatch.setattr(PlatformClient, name, wrapped)
    return seen


# --------------------------------------------------------------------------- kills


def test_rerun_after_kill_during_polls_takes_its_view_only_when_no_job_runs(
    simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Defect 1: the re-run planned from a half-applied tenant while the first job still ran.
    sim = simulator(row_delay=0.4)
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        kill_while_running = interrupt_at("poll", lambda d: d["job"].status == "in_progress")
        options = ApplyOptions(poll_initial=0.01, poll_max=0.05, on_stage=kill_while_running)
        with pytest.raises(ApplyInterrupted):
            apply_plan(plan, client, options=options)
    [first] = jobs(sim)
    assert first["status"] == "in_progress"
    views = record_views(monkeypatch, sim)
    result = cli_apply(sim, "-c", str(cfg), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "is already used" not in result.output
    assert views and all(v == [] for v in views), views  # never planned while a job ran
    assert [j["id"] for j in jobs(sim)] == [first["id"]]  # exactly one job
    assert len(uploads(sim)) == 1
    assert plans_clean(sim, cfg)


def test_sigkill_right_after_proceed_then_rerun_converges_with_one_job(
    simulator, tmp_path: Path
) -> None:
    sim = simulator(row_delay=0.5)
    cfg = write_config(tmp_path)
    proc = spawn(sim, "-c", str(cfg), "--auto-approve")
    try:
        assert sim.tenant.wait_for(
            lambda t: any(j.process_requested_at is not None for j in t.jobs.values()), 30
        )
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    rerun = spawn(sim, "-c", str(cfg), "--auto-approve")
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, out + err
    assert "is already used" not in out + err
    assert len(jobs(sim)) == 1 and jobs(sim)[0]["status"] == "finished"
    assert len(uploads(sim)) == 1
    assert plans_clean(sim, cfg)


def test_rerun_after_the_killed_runs_job_finished_plans_no_changes(
    simulator, tmp_path: Path
) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        with pytest.raises(ApplyInterrupted):
            apply_plan(plan, client, options=ApplyOptions(on_stage=interrupt_at("proceeded")))
    sim.tenant.wait_job(1, "finished")
    result = cli_apply(sim, "-c", str(cfg), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert len(jobs(sim)) == 1


# --------------------------------------------------------------------------- abandoned jobs


def _old_job(job_id: int, status: str, minutes: float, filename: str) -> dict[str, Any]:
    created = datetime.now(UTC) - timedelta(minutes=minutes)
    return {
        "id": job_id,
        "created_at": created.isoformat(),
        "filename": filename,
        "rows": [{"email": "outsider@acme-corp.com", "first_name": "O", "last_name": "S"}],
        "status": status,
    }


def test_a_foreign_unproceeded_job_older_than_the_lease_does_not_block(
    simulator, tmp_path: Path
) -> None:
    sim = simulator(seed(jobs=[_old_job(1, "valid_scheme", 60, "left-behind.json")]))
    cfg = write_config(tmp_path)
    result = cli_apply(sim, "-c", str(cfg), "--auto-approve")
    assert result.exit_code == 0, result.output
    statuses = {j["filename"]: j["status"] for j in jobs(sim)}
    assert statuses["left-behind.json"] == "valid_scheme"  # left alone, never proceeded
    assert plans_clean(sim, cfg)


def test_a_young_foreign_unproceeded_job_with_a_lower_id_goes_first(
    simulator, tmp_path: Path
) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    rows = [{"email": "outsider@acme-corp.com", "first_name": "Otto", "last_name": "Side"}]
    with client_for(sim) as other:
        foreign = other.upload(rows, "other-tool.json")
        sim.tenant.wait_job(foreign.id, "valid_scheme")
        with client_for(sim) as client:
            plan = make_plan(cfg, client)
            outcome: dict[str, Any] = {}
            waited = threading.Semaphore(0)

            def on_stage(stage: str, details: dict[str, Any]) -> None:
                if stage == "gate" and details["verdict"] == "wait":
                    waited.release()

            def run() -> None:
                try:
                    options = ApplyOptions(
                        poll_initial=0.02, poll_max=0.05, timeout=60, on_stage=on_stage
                    )
                    outcome["report"] = apply_plan(plan, client, options=options)
                except BaseException as err:  # reported below
                    outcome["error"] = err

            thread = threading.Thread(target=run)
            thread.start()
            # apply uploads and validates its job, then reads the job list twice before
            # proceeding: both times the foreign job with the lower id is live, so it waits.
            assert waited.acquire(timeout=30) and waited.acquire(timeout=30)
            mine = next(j for j in jobs(sim) if j["filename"] == job_filename(plan.hash))
            assert mine["status"] == "valid_scheme" and mine["process_requested_at"] is None
            # The other tool gives up on its job (retires it): apply goes on.
            other.replace_upload(foreign.id, rows, "other-tool.retired.json")
            thread.join(30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["report"].exit_code == 0
    assert plans_clean(sim, cfg)


def test_resume_finds_its_own_job_on_page_two_of_the_job_list(simulator, tmp_path: Path) -> None:
    from reconciler.simulator.tenant import Job

    sim = simulator()
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        with pytest.raises(ApplyInterrupted):
            apply_plan(plan, client, options=ApplyOptions(on_stage=interrupt_at("validated")))
    with sim.tenant.lock:  # other integrations' finished jobs push ours onto page 2
        first = sim.tenant.next_job_id
        for i in range(first, first + 120):
            sim.tenant.jobs[i] = Job(
                id=i, created_at=sim.clock.now(), filename=f"o{i}.json", rows=[], status="finished"
            )
        sim.tenant.next_job_id = first + 120
    result = cli_apply(sim, "-c", str(cfg), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "resuming job 1" in result.output
    assert len(uploads(sim)) == 1
    assert plans_clean(sim, cfg)


def test_an_own_job_too_old_to_hold_its_turn_is_retired_and_uploaded_again(
    simulator, tmp_path: Path
) -> None:
    # A killed run left this plan's job unproceeded 12 minutes ago (by the tenant's clock: a
    # newer job shows the tenant's present). Other runs will hold it abandoned at 15 minutes,
    # so apply does not proceed it: it takes a fresh ticket for the same rows.
    cfg = write_config(tmp_path)
    with client_for(simulator()) as client:
        plan = make_plan(cfg, client)
    own = _old_job(1, "valid_scheme", 12, job_filename(plan.hash))
    own["rows"] = [user_row(c).row for c in plan.user_changes]
    newer = _old_job(2, "finished", 0, "someone-else.json")
    sim = simulator(seed(jobs=[own, newer]))
    result = cli_apply(sim, "-c", str(cfg), "--auto-approve")
    assert result.exit_code == 0, result.output
    listed = {j["id"]: j for j in jobs(sim)}
    assert listed[1]["filename"].endswith(".retired.json")
    assert listed[1]["process_requested_at"] is None
    assert listed[3]["filename"] == job_filename(plan.hash) and listed[3]["status"] == "finished"
    assert plans_clean(sim, cfg)
