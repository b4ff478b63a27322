"""End to end through the CLI in subprocesses: plan → apply → plan = no changes, for
examples/config against examples/tenant.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import cli_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_examples_plan_apply_plan_no_changes(sim_factory, tmp_path: Path) -> None:
    seed = json.loads((EXAMPLES / "tenant.json").read_text())
    sim = sim_factory(seed, validation_delay=0.01)
    env = cli_env(sim, inherit=True, CCAI_BASE_REF=None)
    config = str(EXAMPLES / "config")
    plan = cli("plan", "-c", config, "--detailed-exitcode", env=env)
    assert plan.returncode == 2, plan.stdout + plan.stderr  # there is something to do
    report_file = tmp_path / "report.json"
    applied = cli(
        "apply",
        "-c",
        config,
        "--auto-approve",
        "--poll-interval",
        "0.01",
        "--report",
        str(report_file),
        env=env,
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Applied:" in applied.stdout
    assert "Traceback" not in applied.stderr
    report = json.loads(report_file.read_text())
    assert report["outcome"] == "applied"
    assert sim.token not in report_file.read_text()
    assert sim.token not in applied.stdout + applied.stderr
    after = cli("plan", "-c", config, "--detailed-exitcode", env=env)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "No changes" in after.stdout
    with sim.tenant.lock:
        assert len(sim.tenant.jobs) == 1  # one job for all the user changes
