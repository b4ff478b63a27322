"""Two applies at once against one tenant (issue 9, defect 2), over real HTTP with real
``python -m reconciler apply`` subprocesses: of two runs exactly one proceeds first, the other
waits and then plans again (``apply -c``) or is refused as stale (a saved plan)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from .helpers import client_for, make_plan, write_config
from .runs import CONFIG_A, CONFIG_B, config_dir, jobs, plans_clean, spawn


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rate", "validation"), [(0.0, 2.0), (4.0, 1.0)], ids=["no-rate-limit", "rate-limit-4"]
)
def test_two_config_applies_at_once_the_later_one_replans(
    simulator, tmp_path: Path, rate: float, validation: float
) -> None:
    # Defect 2: both planned from one state and both proceeded; the tenant matched neither.
    # (The slow validation keeps A's job unproceeded while B plans: the window of the defect.)
    sim = simulator(validation_delay=validation, row_delay=0.2, rate_limit=rate)
    a = config_dir(tmp_path, "a", CONFIG_A)
    b = config_dir(tmp_path, "b", CONFIG_B)
    client_rate = rate or 1000.0
    first = spawn(sim, "-c", str(a), "--auto-approve", rate=client_rate)
    try:
        # B starts 0.3 s after A uploaded its job (the offset of the scenario, not a wait for
        # something to happen: B plans while A's job validates).
        assert sim.tenant.wait_for(lambda t: bool(t.jobs), 30)
        threading.Event().wait(0.3)
        second = spawn(sim, "-c", str(b), "--auto-approve", rate=client_rate)
        out_b, err_b = second.communicate(timeout=120)
    finally:
        out_a, err_a = first.communicate(timeout=120)
    assert first.returncode == 0, out_a + err_a
    assert second.returncode == 0, out_b + err_b
    proceeded = sorted(
        (j for j in jobs(sim) if j["process_requested_at"] is not None), key=lambda j: j["id"]
    )
    assert all(j["status"] == "finished" for j in proceeded)
    assert not any(j["filename"].endswith(".retired.json") for j in proceeded)
    with sim.tenant.lock:
        last_rows = sim.tenant.jobs[proceeded[-1]["id"]].rows
    bob = next(r for r in last_rows if r["email"] == "old.bob@acme-corp.com")
    last = "b" if bob["first_name"] == "Robert" else "a"
    # The config of the run that proceeded last plans clean; the other does not (the later
    # run re-planned after the earlier job and declared the other user as it was).
    assert plans_clean(sim, b if last == "b" else a), (out_a + err_a, out_b + err_b)
    assert not plans_clean(sim, a if last == "b" else b)
    if len(proceeded) == 2:  # computed after the earlier job finished: it carries both users
        assert {r["email"] for r in last_rows} == {"ana@acme-corp.com", "old.bob@acme-corp.com"}


@pytest.mark.slow
def test_two_saved_plans_from_one_state_exactly_one_is_applied(simulator, tmp_path: Path) -> None:
    sim = simulator(validation_delay=2.0, row_delay=0.1)
    a = config_dir(tmp_path, "a", CONFIG_A)
    b = config_dir(tmp_path, "b", CONFIG_B)
    plan_a, plan_b = tmp_path / "a.json", tmp_path / "b.json"
    with client_for(sim) as client:
        make_plan(a, client).save(plan_a)
        make_plan(b, client).save(plan_b)
    first = spawn(sim, str(plan_a))
    try:
        assert sim.tenant.wait_for(lambda t: bool(t.jobs), 30)  # A uploaded; B 0.3 s later
        threading.Event().wait(0.3)
        second = spawn(sim, str(plan_b))
        out_b, err_b = second.communicate(timeout=60)
    finally:
        out_a, err_a = first.communicate(timeout=60)
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 1], (out_a + err_a, out_b + err_b)
    refused = err_a if first.returncode else err_b
    assert "changed the tenant" in refused or "tenant changed" in refused
    applied = a if first.returncode == 0 else b
    assert plans_clean(sim, applied)
    finished = [j for j in jobs(sim) if j["status"] == "finished"]
    assert len(finished) == 1


def test_a_young_foreign_job_proceeded_while_apply_waits_makes_it_plan_again(
    simulator, tmp_path: Path
) -> None:
    sim = simulator(row_delay=0.2)
    cfg = write_config(tmp_path)
    rows = [{"email": "outsider@acme-corp.com", "first_name": "Otto", "last_name": "Other"}]
    with client_for(sim) as other:
        foreign = other.upload(rows, "other-tool.json")
        sim.tenant.wait_job(foreign.id, "valid_scheme")
        proc = spawn(sim, "-c", str(cfg), "--auto-approve")
        try:
            assert sim.tenant.wait_for(
                lambda t: any(
                    j.id > foreign.id and j.status == "valid_scheme" for j in t.jobs.values()
                ),
                30,
            )
            other.proceed(foreign.id)  # the other tool goes first after all
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, out + err
    listed = sorted(jobs(sim), key=lambda j: j["id"])
    ours = [j for j in listed if j["id"] != foreign.id]
    proceeded = [j for j in ours if j["process_requested_at"] is not None]
    # Exactly one job of ours was proceeded, after the foreign one finished; the one uploaded
    # before was retired, never proceeded.
    assert len(proceeded) == 1 and proceeded[0]["id"] == listed[-1]["id"]
    assert all(j["filename"].endswith(".retired.json") for j in ours if j not in proceeded)
    assert plans_clean(sim, cfg)
