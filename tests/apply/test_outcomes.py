"""Every apply given --report writes one, whatever the outcome (issue 9, defect 6), SIGTERM ends
like Ctrl-C (exit 143), and a saved plan names its tenant (defect 7)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle
from tests.helpers import cli_env, foreign_job

from .helpers import CONFIG, client_for, make_plan, write_config


def run(sim: SimulatorHandle, *args: str, subdomain: str | None = "acme") -> Result:
    env = cli_env(sim, CCAI_SUBDOMAIN=subdomain)
    return CliRunner().invoke(cli, ["apply", "--poll-interval", "0.01", *args], env=env)


def report_of(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_a_safety_refusal_writes_a_refused_report(simulator, tmp_path: Path) -> None:
    sim = simulator()
    policy = "policy:\n  max_dnc_removals: 0\nusers:\n"
    cfg = write_config(tmp_path, CONFIG.replace("users:\n", policy, 1))
    out = tmp_path / "r.json"
    result = run(sim, "-c", str(cfg), "--auto-approve", "--report", str(out))
    assert result.exit_code == 1
    saved = report_of(out)
    assert saved["outcome"] == "refused" and saved["plan_hash"]
    assert saved["diagnostics"][0]["message"] == "refusing to apply:"
    assert any("--allow-mass-changes" in d["message"] for d in saved["diagnostics"][1:])


def test_a_stale_saved_plan_writes_a_refused_report(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    plan_file = tmp_path / "plan.json"
    with client_for(sim) as client:
        make_plan(cfg, client).save(plan_file)
        foreign_job(
            sim,
            client,
            [{"email": "ana@acme-corp.com", "first_name": "Ana", "last_name": "Changed"}],
            "x.json",
        )
    out = tmp_path / "r.json"
    result = run(sim, str(plan_file), "--report", str(out))
    assert result.exit_code == 1
    assert "the tenant changed since this plan was made" in result.output
    assert report_of(out)["outcome"] == "refused"


def test_a_saved_plan_uses_its_own_tenant_when_nothing_else_names_one(
    simulator, tmp_path: Path
) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)  # no tenant: section
    plan_file = tmp_path / "plan.json"
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
    plan = plan.model_copy(update={"tenant": "acme"})
    plan.save(plan_file)
    result = run(sim, str(plan_file), subdomain=None)
    assert result.exit_code == 0, result.output
    assert "no subdomain" not in result.output
    other = run(sim, str(plan_file), subdomain="someone-else")
    assert other.exit_code == 1
    assert "was made for tenant 'acme', not 'someone-else'" in other.output


def test_sigterm_during_the_job_writes_an_incomplete_report_and_exits_143(
    simulator, tmp_path: Path
) -> None:
    sim = simulator(row_delay=5.0)  # the job runs for 20 s: SIGTERM surely comes during it
    cfg = write_config(tmp_path)
    out = tmp_path / "r.json"
    env = cli_env(sim, inherit=True)
    args = ["apply", "-c", str(cfg), "--auto-approve", "--report", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args, "--poll-interval", "0.05"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.tenant.wait_for(
            lambda t: any(j.status == "in_progress" for j in t.jobs.values()), 30
        )
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert "interrupted (SIGTERM); a re-run resumes" in err
    assert "Traceback" not in err
    saved = report_of(out)
    assert saved["outcome"] == "incomplete" and saved["job_id"] == 1, (saved, err)


def test_a_foreign_job_stuck_in_progress_is_bounded_by_timeout(simulator, tmp_path: Path) -> None:
    sim = simulator(faults="stall=job,stall_time=30")
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        foreign_job(
            sim,
            client,
            [{"email": "ana@acme-corp.com", "first_name": "Ana", "last_name": "L"}],
            "stuck.json",
            finish=False,
        )
    out = tmp_path / "r.json"
    result = run(sim, "-c", str(cfg), "--auto-approve", "--timeout", "0.3", "--report", str(out))
    assert result.exit_code == 1
    assert "timed out after 0.3 s waiting for job 1 (stuck.json) to finish" in result.output
    assert "Traceback" not in result.output
    assert not [r for r in sim.requests if r["path"].endswith("/bulk/users/template")]
    assert report_of(out)["outcome"] == "failed"
