"""Interrupt apply at each stage, run it again: it converges, with exactly one job for the plan
and no DNC call repeated beyond the interrupted batch. Interruptions are deterministic (a
stage hook that raises), waits are on the simulator's state, never sleeps."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import (
    ApplyOptions,
    ApplyTimeout,
    Journal,
    StalePlanError,
    apply_plan,
    job_filename,
)
from reconciler.plan import Plan
from reconciler.platform import connect
from reconciler.simulator import SimulatorHandle
from tests.helpers import foreign_job

from .helpers import ApplyInterrupted, client_for, interrupt_at, make_plan, write_config


def opts(**kw: Any) -> ApplyOptions:
    kw.setdefault("poll_initial", 0.01)
    kw.setdefault("poll_max", 0.05)
    kw.setdefault("dnc_batch_size", 1)
    return ApplyOptions(**kw)


def saved_opts(plan_file: Path, plan: Plan, **kw: Any) -> ApplyOptions:
    """Options of ``apply PLAN.json``: fingerprint check and the plan's journal."""
    return opts(saved_plan=True, journal=Journal.for_plan(plan_file, plan.hash), **kw)


def dnc_sent(sim: SimulatorHandle) -> Counter[str]:
    """How many times each number was sent to the add/remove endpoints (from the request
    bodies the simulator logged)."""
    out: Counter[str] = Counter()
    for r in sim.requests:
        if r["method"] == "POST" and r["path"].endswith("/outbound_dialer/dnc"):
            out["add"] += 1
        elif r["method"] == "POST" and r["path"].endswith("/outbound_dialer/dnc/remove"):
            out["remove"] += 1
    return out


def all_jobs(sim: SimulatorHandle) -> list[tuple[int, str, str]]:
    with sim.tenant.lock:
        return [(j.id, j.filename, j.status) for j in sim.tenant.jobs.values()]


def converge(sim: SimulatorHandle, cfg: Path, **kw: Any) -> None:
    """Re-run `apply -c` (re-plan, apply); a plan made while another job ran is re-made once,
    as the command does."""
    with client_for(sim) as client:
        for attempt in range(2):
            plan = make_plan(cfg, client)
            try:
                report = apply_plan(plan, client, options=opts(**kw))
            except StalePlanError:
                assert attempt == 0
                continue
            assert report.exit_code == 0, report.diagnostics
            break
        assert make_plan(cfg, client).is_empty


@pytest.mark.parametrize("stage", ["uploaded", "validated", "proceeded", "finished"])
def test_interrupt_job_stage_then_reapply(simulator, tmp_path: Path, stage: str) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        with pytest.raises(ApplyInterrupted):
            apply_plan(plan, client, options=opts(on_stage=interrupt_at(stage)))
    [(job_id, name, _)] = all_jobs(sim)
    assert name == job_filename(plan.hash)
    if stage in ("proceeded", "finished"):
        sim.tenant.wait_job(job_id, "finished")  # the tenant carries on without us
    converge(sim, cfg)
    assert [j[0] for j in all_jobs(sim)] == [job_id]  # still exactly one job
    # Every DNC number was sent once: the interruption came before the DNC stage.
    assert dnc_sent(sim) == Counter({"add": 3, "remove": 1})


def test_interrupt_during_polling_then_reapply_waits_for_the_same_job(
    simulator, tmp_path: Path
) -> None:
    # The job stays in progress for a moment (simulator stall), so the poll sees in_progress.
    sim = simulator(faults="stall=job,stall_time=0.3")
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        hook = interrupt_at("poll", lambda d: d["job"].status == "in_progress")
        with pytest.raises(ApplyInterrupted):
            apply_plan(plan, client, options=opts(on_stage=hook))
        [(job_id, _, status)] = all_jobs(sim)
        assert status == "in_progress"
        # Re-run while the job is still in progress: the plan (rows not applied yet during the
        # stall) is the same, so apply finds its own job and waits for it.
        again = make_plan(cfg, client)
        assert again.hash == plan.hash
        report = apply_plan(again, client, options=opts())
        assert report.resumed and report.job_id == job_id
        assert report.exit_code == 0
        assert make_plan(cfg, client).is_empty
    assert len(all_jobs(sim)) == 1


@pytest.mark.parametrize("hook_stage", ["dnc_batch", "dnc_sent"])
def test_interrupt_between_dnc_batches_config_mode(
    simulator, tmp_path: Path, hook_stage: str
) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        hook = interrupt_at(hook_stage, lambda d: d["batch"] == 2)
        with pytest.raises(ApplyInterrupted):
            apply_plan(plan, client, options=opts(on_stage=hook))
    first = dnc_sent(sim)
    # before sending batch 2: one call made; after sending it: two.
    assert sum(first.values()) == (1 if hook_stage == "dnc_batch" else 2)
    converge(sim, cfg)
    # 3 adds + 1 removal in batches of one: 4 calls, plus none repeated (the re-plan checks the
    # numbers, so the batch that was sent is in sync).
    assert dnc_sent(sim) == Counter({"add": 3, "remove": 1})
    assert len(all_jobs(sim)) == 1


def test_interrupt_between_dnc_batches_saved_plan_resumes_from_journal(
    simulator, tmp_path: Path
) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    plan_file = tmp_path / "plan.json"
    with client_for(sim) as client:
        make_plan(cfg, client).save(plan_file)
        plan = Plan.load(plan_file)

        hook = interrupt_at("dnc_sent", lambda d: d["batch"] == 2)
        with pytest.raises(ApplyInterrupted):
            apply_plan(plan, client, options=saved_opts(plan_file, plan, on_stage=hook))
        report = apply_plan(plan, client, options=saved_opts(plan_file, plan))
        assert report.exit_code == 0 and report.resumed
        # batch 2 (the interrupted one) is sent again; batches 1, 3 and 4 once.
        assert dnc_sent(sim) == Counter({"add": 4, "remove": 1})
        assert make_plan(cfg, client).is_empty
        with pytest.raises(Exception, match="already applied"):
            apply_plan(plan, client, options=saved_opts(plan_file, plan))
    assert len(all_jobs(sim)) == 1


def test_timeout_names_the_job_and_a_later_apply_resumes(simulator, tmp_path: Path) -> None:
    sim = simulator(faults="stall=job,stall_time=0.5")
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        with pytest.raises(ApplyTimeout) as err:
            apply_plan(plan, client, options=opts(timeout=0.1))
        [(job_id, name, _)] = all_jobs(sim)
        assert f"job {job_id} ({name})" in str(err.value)
        assert "run apply again" in str(err.value)
        report = apply_plan(plan, client, options=opts())
        assert report.resumed and report.job_id == job_id and report.exit_code == 0
    assert len(all_jobs(sim)) == 1


def test_foreign_job_in_progress_is_waited_for_then_the_plan_is_stale(
    simulator, tmp_path: Path
) -> None:
    sim = simulator(faults="stall=job,stall_time=0.2")
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        other = foreign_job(
            sim,
            client,
            [{"email": "outsider@acme-corp.com", "first_name": "O", "last_name": "S"}],
            "x.json",
            finish=False,
        )
        with pytest.raises(StalePlanError):
            apply_plan(plan, client, options=opts())
        assert sim.tenant.job_snapshot(other.id)["status"] == "finished"
    assert [j[1] for j in all_jobs(sim)] == ["x.json"]  # nothing uploaded over it
    converge(sim, cfg)


def test_faults_on_apply_still_converges(simulator, tmp_path: Path) -> None:
    sim = simulator(faults="5xx=0.1,429=0.05,reset=0.05,latency=0.005", fault_seed=7)
    cfg = write_config(tmp_path)
    # The client's retry back-off is scaled down (faults are spurious; the test is about
    # correctness, not waiting).
    with connect(
        base_url=sim.base_url,
        token=sim.token,
        rate=1000,
        env={"CCAI_SUBDOMAIN": sim.subdomain},
        sleep=lambda s: time.sleep(min(s, 0.01)),
    ) as client:
        for _ in range(2):
            plan = make_plan(cfg, client)
            try:
                report = apply_plan(plan, client, options=opts(dnc_batch_size=2))
                break
            except StalePlanError:
                continue
        assert report.exit_code == 0, report.diagnostics
        assert make_plan(cfg, client).is_empty
    names = [j[1] for j in all_jobs(sim)]
    assert len(names) == len(set(names)) == 1
    assert any((r["status"] or 0) >= 429 for r in sim.requests)  # the faults did happen


DEACTIVATE_OUTSIDER = """\
users:
  - email: boss@acme-corp.com
    first_name: Bea
    last_name: Boss
    roles: [Admin]
  - email: outsider@acme-corp.com
    first_name: Otto
    last_name: Side
    status: Inactive
"""


def change_outside_git(sim: SimulatorHandle, row: dict[str, Any], name: str) -> None:
    """Someone changes the tenant with their own bulk job (as the UI would), to the end."""
    with client_for(sim) as client:
        foreign_job(sim, client, [row], name)


def test_change_reverted_in_the_tenant_is_applied_again(simulator, tmp_path: Path) -> None:
    # Apply deactivates a user; someone re-activates them in the tenant. The next apply -c makes
    # the very same plan (same live state, same changes: same hash, same job file name). It must
    # apply it again, not report the old finished job as "applied" while the drift stays.
    sim = simulator()
    cfg = write_config(tmp_path, DEACTIVATE_OUTSIDER)
    with client_for(sim) as client:
        first = make_plan(cfg, client)
        assert apply_plan(first, client, options=opts()).exit_code == 0
        assert make_plan(cfg, client).is_empty
    reactivate = {"email": "outsider@acme-corp.com", "first_name": "Otto", "last_name": "Side"}
    change_outside_git(sim, {**reactivate, "status": "Active"}, "ui-change.json")
    with client_for(sim) as client:
        again = make_plan(cfg, client)
        assert again.hash == first.hash  # the same plan, hence the same job file name
        report = apply_plan(again, client, options=opts())
        assert report.exit_code == 0 and not report.resumed
        assert make_plan(cfg, client).is_empty
    user = sim.tenant.user_by_email("outsider@acme-corp.com")
    assert user is not None and user.status == "Inactive"


def test_saved_plan_resumed_before_proceed_is_refused_when_the_tenant_changed(
    simulator, tmp_path: Path
) -> None:
    # apply PLAN.json is killed after the upload; someone else then changes the tenant. The
    # re-run must not proceed the old job over that change: the saved plan is stale.
    sim = simulator()
    cfg = write_config(tmp_path)
    plan_file = tmp_path / "plan.json"
    with client_for(sim) as client:
        make_plan(cfg, client).save(plan_file)
    plan = Plan.load(plan_file)

    with client_for(sim) as client, pytest.raises(ApplyInterrupted):
        hook = interrupt_at("validated")
        apply_plan(plan, client, options=saved_opts(plan_file, plan, on_stage=hook))
    [(job_id, _, status)] = all_jobs(sim)
    assert status == "valid_scheme"
    change_outside_git(
        sim,
        {"email": "ana@acme-corp.com", "first_name": "Ana", "last_name": "Lopez-Diaz"},
        "ui-change.json",
    )
    with client_for(sim) as client, pytest.raises(StalePlanError, match="run plan again"):
        apply_plan(plan, client, options=saved_opts(plan_file, plan))
    assert sim.tenant.job_snapshot(job_id)["status"] == "valid_scheme"  # not proceeded
