"""A DNC change set from git costs batches, not one check per number (issue 12, section 1).

A git repo with two commits: the tenant matches commit 1 (100 numbers listed); commit 2 adds
300 numbers and deletes 50, and changes one user. Calls are counted at the simulator's request
log (real HTTP). Drift the config does not know about: 10 of the added numbers are already
listed, 5 of the deleted ones are already gone, so the real outcomes differ from a label.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle
from tests.helpers import cli_env

from .helpers import seed
from .test_cli_apply import run as run_apply

KEPT = [f"+1415600{i:04d}" for i in range(50)]
DELETED = [f"+1415600{i:04d}" for i in range(50, 100)]
ADDED = [f"+1415600{i:04d}" for i in range(1000, 1300)]
ALREADY_LISTED = ADDED[:10]  # drift: listed before the config asks for them
ALREADY_GONE = DELETED[:5]  # drift: removed before the config deletes them
BATCH = 100

USERS = """\
users:
  - email: boss@acme-corp.com
    first_name: Bea
    last_name: Boss
    roles: [Admin]
  - email: ana@acme-corp.com
    first_name: Ana
    last_name: {last}
    roles: [Agent]
    teams: [Tier 1]
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def dnc_checked(sim: SimulatorHandle) -> list[str]:
    return sorted(
        parse_qs(r["query"])["phone_number"][0]
        for r in sim.requests
        if r["path"].endswith("/dnc/check")
    )


def _write(repo: Path, last: str, numbers: list[str]) -> None:
    cfg = repo / "config"
    cfg.mkdir(exist_ok=True)
    (cfg / "users.yaml").write_text(USERS.format(last=last))
    (cfg / "dnc.yaml").write_text("dnc:\n" + "".join(f'  - "{n}"\n' for n in numbers))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    _write(r, "Lopez", KEPT + DELETED)
    git(r, "init", "-q", "-b", "main")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "one")
    _write(r, "Lopez-Diaz", KEPT + ADDED)
    git(r, "commit", "-q", "-am", "two: 300 numbers added, 50 deleted, one user changed")
    monkeypatch.chdir(r)
    return r


@pytest.fixture
def sim(simulator: Any) -> SimulatorHandle:
    listed = [n for n in KEPT + DELETED if n not in ALREADY_GONE] + ALREADY_LISTED
    handle: SimulatorHandle = simulator(
        seed(dnc=[{"phone_number": n, "expires_at": None} for n in listed])
    )
    return handle


def paths(sim: SimulatorHandle) -> list[str]:
    return [f"{r['method']} {r['path'].rsplit('/v1/', 1)[-1]}" for r in sim.requests]


def plan(sim: SimulatorHandle, *args: str) -> Result:
    env = cli_env(sim)
    return CliRunner().invoke(cli, ["plan", "-c", "config", *args], env=env)


def test_plan_of_a_git_change_set_is_one_call(sim: SimulatorHandle, repo: Path) -> None:
    res = plan(sim, "--base-ref", "HEAD~1", "--format", "json")
    assert res.exit_code == 0, res.output
    assert paths(sim) == ["GET bulk/users/template"]
    data = json.loads(res.stdout)
    actions = {(c["action"], c["checked"]) for c in data["dnc_changes"]}
    assert actions == {("upsert", False), ("remove", False)}
    assert sorted(c["number"] for c in data["dnc_changes"] if c["action"] == "upsert") == ADDED
    assert sorted(c["number"] for c in data["dnc_changes"] if c["action"] == "remove") == DELETED
    text = plan(sim, "--base-ref", "HEAD~1").output
    assert "300 DNC numbers to add or update (upsert), 50 to remove." in text
    assert len(sim.requests) == 2


def test_refresh_changed_still_checks_each_changed_number(sim: SimulatorHandle, repo: Path) -> None:
    res = plan(sim, "--base-ref", "HEAD~1", "--refresh", "changed", "--format", "json")
    assert res.exit_code == 0, res.output
    assert dnc_checked(sim) == sorted(ADDED + DELETED)
    assert len(sim.requests) == 1 + 350
    data = json.loads(res.stdout)
    got = {(c["action"], c["number"]) for c in data["dnc_changes"]}
    assert got == {("add", n) for n in ADDED if n not in ALREADY_LISTED} | {
        ("remove", n) for n in DELETED if n not in ALREADY_GONE
    }


def test_max_dnc_removals_counts_removals_known_from_git(sim: SimulatorHandle, repo: Path) -> None:
    _write(repo, "Lopez-Diaz", KEPT[:10])  # 90 of the 100 numbers deleted, nothing added
    git(repo, "commit", "-q", "-am", "three: mass removal")
    res = plan(sim, "--base-ref", "HEAD~2", "--format", "json")
    assert res.exit_code == 0, res.output
    assert paths(sim) == ["GET bulk/users/template"]
    [violation] = json.loads(res.stdout)["safety"]
    assert violation["kind"] == "dnc_removals"
    assert (violation["count"], violation["total"]) == (90, 100)
    applied = run_apply(sim, "-c", "config", "--base-ref", "HEAD~2", "--auto-approve")
    assert applied.exit_code == 1
    assert "would remove 90 of 100 DNC numbers" in applied.output
    assert not [p for p in paths(sim) if p.startswith("POST")]


def test_apply_sends_batches_and_reports_real_outcomes(sim: SimulatorHandle, repo: Path) -> None:
    report_file = repo.parent / "report.json"
    res = run_apply(
        sim,
        *("-c", "config", "--base-ref", "HEAD~1", "--auto-approve"),
        *("--dnc-batch-size", str(BATCH), "--report", str(report_file)),
    )
    assert res.exit_code == 0, res.output
    calls = paths(sim)
    assert not [p for p in calls if "dnc/check" in p]
    assert calls.count("POST outbound_dialer/dnc") == math.ceil(len(ADDED) / BATCH) == 3
    assert calls.count("POST outbound_dialer/dnc/remove") == 1
    assert calls.count("GET bulk/users/template") == 1
    polls = [p for p in calls if p.startswith("GET bulk/users/jobs/")]
    besides_polls = [p for p in calls if p not in polls]
    assert len(besides_polls) <= 12, besides_polls

    # Each number's outcome is the tenant's answer, not the plan's label.
    report = json.loads(report_file.read_text())
    outcomes = {d["number"]: (d["action"], d["outcome"]) for d in report["dnc"]}
    assert outcomes == {
        **{n: ("upsert", "updated" if n in ALREADY_LISTED else "created") for n in ADDED},
        **{n: ("remove", "not_found" if n in ALREADY_GONE else "removed") for n in DELETED},
    }
    assert set(sim.tenant.dnc_snapshot()) == set(KEPT + ADDED)
    assert (
        "290 DNC numbers added, 10 updated, 45 removed, 5 not listed (nothing to remove)"
        in res.output
    )

    # The applied commit as the base: one call, no changes.
    before = len(sim.requests)
    after = plan(sim, "--base-ref", "HEAD")
    assert after.exit_code == 0, after.output
    assert "No changes" in after.output
    assert paths(sim)[before:] == ["GET bulk/users/template"]
