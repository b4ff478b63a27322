"""End-to-end: the plan command against the simulator over real HTTP, counted API calls."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jsonschema
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.plan import Plan
from reconciler.simulator import SimulatorHandle
from tests.helpers import cli_env

DATA = Path(__file__).parent / "data"
SEED: dict[str, Any] = json.loads((DATA / "seed.json").read_text())
SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())


def run(sim: SimulatorHandle, *args: str, cwd: Path | None = None) -> Result:
    env = cli_env(sim, CCAI_BASE_REF="")
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, list(args), env=env)
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), env=env)
    finally:
        os.chdir(old)


def calls(sim: SimulatorHandle) -> list[tuple[str, str]]:
    return [(r["method"], r["path"].rsplit("/v1/", 1)[-1]) for r in sim.requests]


def dnc_checked(sim: SimulatorHandle) -> list[str]:
    return sorted(
        parse_qs(r["query"])["phone_number"][0]
        for r in sim.requests
        if r["path"].endswith("/dnc/check")
    )


@pytest.fixture
def acme(sim_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    return sim_factory(copy.deepcopy(SEED))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    dst = tmp_path / "config"
    shutil.copytree(DATA / "config", dst)
    return dst


def test_plan_json_matches_expected_and_schema(
    acme: SimulatorHandle, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = str(tmp_path / "p.json")
    made: list[bytes] = []
    json_bytes = Plan.json_bytes

    def counted(self: Plan) -> bytes:
        made.append(json_bytes(self))
        return made[-1]

    monkeypatch.setattr(Plan, "json_bytes", counted)
    res = run(acme, "plan", "-c", str(config), "--format", "json", "--out", out)
    assert res.exit_code == 0, res.output
    # serialised once for both; stdout has the file's bytes
    assert len(made) == 1 and res.stdout_bytes == (tmp_path / "p.json").read_bytes()
    data = json.loads(res.stdout)
    jsonschema.validate(data, SCHEMA)
    plan = Plan.load(tmp_path / "p.json")
    assert plan.hash == data["hash"]
    users = {u["email"]: u for u in data["user_changes"]}
    assert {e: u["action"] for e, u in users.items()} == {
        "new.cy@acme-corp.com": "create",
        "old.bob@acme-corp.com": "rename",
        "Ana@acme-corp.com": "update",
    }
    assert users["old.bob@acme-corp.com"]["new_email"] == "bob@acme-corp.com"
    ana = users["Ana@acme-corp.com"]
    assert [(f["field"], f["before"], f["after"]) for f in ana["fields"]] == [
        ("location", None, "Austin")
    ]
    assert [(m["name"], m["assign"]) for m in ana["roles"]] == [("Manager", True)]
    assert [(m["name"], m["assign"]) for m in ana["teams"]] == [("Tier 1", False)]
    assert ana["fields"][0]["loc"]["file"].endswith("users/team.yaml")
    assert ana["fields"][0]["loc"]["line"] == 9
    cy = users["new.cy@acme-corp.com"]
    assert [(m["name"], m["assign"]) for m in cy["teams"]] == [("Tier 1", True)]
    assert cy["teams"][0]["loc"]["file"].endswith("teams.yaml")
    dnc = [(c["action"], c["number"]) for c in data["dnc_changes"]]
    assert dnc == [
        ("add", "+14155550103"),
        ("update", "+14155550101"),
        ("remove", "+14155550102"),
    ]
    assert data["dnc_changes"][1]["expires_after"].startswith("2031-01-01T00:00:00")
    assert data["tenant"] == "acme"
    assert data["stats"]["dnc_in_sync"] == 1
    # 1 template + one check per declared number (no base ref)
    assert calls(acme).count(("GET", "bulk/users/template")) == 1
    assert len(acme.requests) == 1 + 4


def test_plan_text_output_and_exit_codes(acme: SimulatorHandle, config: Path) -> None:
    res = run(acme, "plan", "-c", str(config))
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "+ new.cy@acme-corp.com (create)" in out
    assert "~ old.bob@acme-corp.com -> bob@acme-corp.com (rename)" in out
    assert "users/team.yaml:16" in out
    assert "- +14155550102  # state: absent" in out
    assert out.rstrip().endswith(
        "Plan: 1 user to create, 1 to update, 1 to rename, 0 to deactivate; "
        "1 DNC number to add, 1 to update, 1 to remove."
    )
    assert "\x1b[" not in out  # no colour when not a terminal
    assert acme.token not in res.output
    res2 = run(acme, "plan", "-c", str(config), "--detailed-exitcode")
    assert res2.exit_code == 2


def test_plan_markdown_and_parts(acme: SimulatorHandle, config: Path, tmp_path: Path) -> None:
    res = run(acme, "plan", "-c", str(config), "--format", "markdown", "--out-dir", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("### ccai-reconciler plan")
    assert "<details>" in res.stdout and "| Users | 1 | 1 | 1 | 0 |" in res.stdout
    assert (tmp_path / "plan-1.md").read_text() == res.stdout


def test_config_error_makes_no_api_call(acme: SimulatorHandle, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("users:\n  - email: a@x.com\n    first_nam: A\n    last_name: B\n")
    res = run(acme, "plan", "-c", str(bad))
    assert res.exit_code == 1
    assert "bad.yaml:3" in res.stderr
    assert "Traceback" not in res.output
    assert acme.requests == []


def test_unknown_role_is_an_error_after_one_call(acme: SimulatorHandle, tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "users:\n  - email: boss@acme-corp.com\n    first_name: Bea\n    last_name: Boss\n"
        "    roles: [Admin, Supervisor]\n"
    )
    res = run(acme, "plan", "-c", str(cfg))
    assert res.exit_code == 1
    assert "c.yaml:5" in res.stderr and "role 'Supervisor' does not exist" in res.stderr
    assert "created in the platform's settings first" in res.stderr
    assert len(acme.requests) == 1


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    shutil.copytree(DATA / "config", r / "config")
    git(r, "init", "-q", "-b", "main")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "base")
    return r


def test_base_ref_no_change_is_exactly_one_call(acme: SimulatorHandle, repo: Path) -> None:
    res = run(acme, "plan", "-c", "config", "--base-ref", "main", "--format", "json", cwd=repo)
    assert res.exit_code == 0, res.output
    assert calls(acme) == [("GET", "bulk/users/template")]
    data = json.loads(res.stdout)
    assert data["base_ref"] == "main"
    assert data["config_commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert data["dnc_changes"] == []  # nothing checked, nothing planned


def _edit_dnc(repo: Path) -> None:
    """Commit: one expiry changed, one number deleted, one added."""
    dnc = repo / "config" / "dnc.yaml"
    text = dnc.read_text()
    text = text.replace('"2031-01-01 00:00:00 UTC"', '"2032-02-02 00:00:00 UTC"')  # changed
    first = '  - phone_number: "+14155550100"\n    comment: already listed, permanent\n'
    assert first in text
    text = text.replace(first, "")
    text += '  - phone_number: "+1 415 555 0104"\n'  # new
    dnc.write_text(text)
    git(repo, "commit", "-q", "-am", "edit dnc")


def test_base_ref_plans_changed_numbers_from_git(acme: SimulatorHandle, repo: Path) -> None:
    """The default refresh mode ("git"): the numbers changed since the base are planned as
    upserts and removals without a check: the template is the only call."""
    _edit_dnc(repo)
    res = run(acme, "plan", "-c", "config", "--base-ref", "HEAD~1", "--format", "json", cwd=repo)
    assert res.exit_code == 0, res.output
    assert calls(acme) == [("GET", "bulk/users/template")]
    data = json.loads(res.stdout)
    got = {(c["action"], c["number"], c["checked"]) for c in data["dnc_changes"]}
    assert got == {
        ("upsert", "+14155550104", False),  # added since the base
        ("upsert", "+14155550101", False),  # expiry changed since the base
        ("remove", "+14155550100", False),  # gone from the config since the base
    }
    assert data["stats"]["dnc_checked"] == 0
    assert data["stats"]["dnc_from_git"] == 3
    text = run(acme, "plan", "-c", "config", "--base-ref", "HEAD~1", cwd=repo).output
    assert "2 DNC numbers to add or update (upsert), 1 to remove." in text
    assert (
        "+14155550104 (+1 415 555 0104) add or update, expires never  # added since base ref HEAD~1"
        in text
    )
    assert "(was at config/dnc.yaml:2:19); removed if listed" in text


def test_base_ref_refresh_changed_checks_changed_numbers(acme: SimulatorHandle, repo: Path) -> None:
    _edit_dnc(repo)
    res = run(
        acme,
        "plan",
        *("-c", "config", "--base-ref", "HEAD~1", "--refresh", "changed", "--format", "json"),
        cwd=repo,
    )
    assert res.exit_code == 0, res.output
    assert dnc_checked(acme) == ["+14155550100", "+14155550101", "+14155550104"]
    assert len(acme.requests) == 1 + 3
    data = json.loads(res.stdout)
    got = {(c["action"], c["number"]) for c in data["dnc_changes"]}
    assert got == {
        ("add", "+14155550104"),
        ("update", "+14155550101"),
        ("remove", "+14155550100"),  # gone from the config since the base
    }
    removed = next(c for c in data["dnc_changes"] if c["action"] == "remove")
    assert "deleted from config since base ref HEAD~1" in removed["reason"]


def test_base_ref_offboards_deleted_user(acme: SimulatorHandle, repo: Path) -> None:
    users = repo / "config" / "users" / "team.yaml"
    users.write_text(
        users.read_text()
        + "  - email: leaver@acme-corp.com\n    first_name: Lee\n    last_name: Ver\n"
        "    roles: [Agent]\n"
    )
    git(repo, "commit", "-q", "-am", "add leaver")
    base = git(repo, "rev-parse", "HEAD").strip()
    text = users.read_text()
    users.write_text(text[: text.index("  - email: leaver@")])
    res = run(acme, "plan", "-c", "config", "--base-ref", base, "--format", "json", cwd=repo)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    leaver = next(u for u in data["user_changes"] if u["email"] == "leaver@acme-corp.com")
    assert leaver["action"] == "deactivate"
    assert leaver["reason"].startswith(f"deleted from config since base ref {base}")
    assert "team.yaml:" in leaver["reason"]
    assert not any("--base-ref" in w["message"] for w in data["warnings"])
    assert calls(acme) == [("GET", "bulk/users/template")]


def test_bad_base_ref_fails_before_any_call(acme: SimulatorHandle, repo: Path) -> None:
    res = run(acme, "plan", "-c", "config", "--base-ref", "nope", cwd=repo)
    assert res.exit_code == 1
    assert "--base-ref 'nope': no such commit" in res.stderr
    assert acme.requests == []


def test_base_ref_outside_git(acme: SimulatorHandle, config: Path) -> None:
    res = run(acme, "plan", "-c", str(config), "--base-ref", "main")
    assert res.exit_code == 1
    assert "not in one" in res.stderr or "git repository" in res.stderr
    assert acme.requests == []


def test_refresh_all_progress_lines(acme: SimulatorHandle, repo: Path) -> None:
    res = run(acme, "plan", "-c", "config", "--base-ref", "main", "--refresh", "all", cwd=repo)
    assert res.exit_code == 0, res.output
    assert len(dnc_checked(acme)) == 4
    assert "Checking 4 DNC numbers" in res.stderr
    assert "Checking DNC numbers: 4/4 (100%)" in res.stderr


def test_refresh_all_with_base_ref_removes_numbers_deleted_since_base(
    acme: SimulatorHandle, repo: Path
) -> None:
    dnc = repo / "config" / "dnc.yaml"
    first = '  - phone_number: "+14155550100"\n    comment: already listed, permanent\n'
    dnc.write_text(dnc.read_text().replace(first, ""))
    git(repo, "commit", "-q", "-am", "delete a number")
    args = ("plan", "-c", "config", "--base-ref", "HEAD~1", "--format", "json")
    res = run(acme, *args, "--refresh", "all", cwd=repo)
    assert res.exit_code == 0, res.output
    assert "+14155550100" in dnc_checked(acme)
    data = json.loads(res.stdout)
    assert ("remove", "+14155550100") in {(c["action"], c["number"]) for c in data["dnc_changes"]}


# ---- --refresh-budget: drift checks within a call budget -------------------------------------


def _checks_since(sim: SimulatorHandle, start: int) -> tuple[int, list[str]]:
    """The calls since request ``start`` of the log, and the DNC numbers they checked."""
    log = sim.requests[start:]
    numbers = [parse_qs(r["query"])["phone_number"][0] for r in log if r["path"].endswith("/check")]
    return len(log), sorted(numbers)


def _plan_json(sim: SimulatorHandle, repo: Path, *args: str) -> dict[str, Any]:
    res = run(sim, "plan", "-c", "config", "--format", "json", *args, cwd=repo)
    assert res.exit_code == 0, res.output
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def test_refresh_budget_rotation_finds_all_drift_of_refresh_all(
    acme: SimulatorHandle, repo: Path
) -> None:
    """Nothing changed since the base, so the default plan checks nothing; a budget of 2 checks
    2 numbers a run, and one cycle of runs checks every declared number once and finds exactly
    the drift that ``--refresh all`` finds, at 1 + 2 calls a run."""
    full = _plan_json(acme, repo, "--base-ref", "HEAD", "--refresh", "all")
    declared = len(full["desired"]["dnc"])
    want = {(c["action"], c["number"]) for c in full["dnc_changes"]}
    assert want, "the seed must have DNC drift for this test to mean anything"
    windows = -(-declared // 2)
    assert windows >= 2
    seen: list[str] = []
    found: set[tuple[str, str]] = set()
    for slot in range(windows):
        start = len(acme.requests)
        data = _plan_json(acme, repo, "--base-ref", "HEAD", "--refresh-budget", "2",
                          "--refresh-slot", str(slot))  # fmt: skip
        n_calls, checked = _checks_since(acme, start)
        assert len(checked) <= 2 and n_calls == 1 + len(checked)
        rot = data["stats"]["dnc_rotation"]
        assert (rot["window"], rot["windows"], rot["checked"]) == (slot + 1, windows, len(checked))
        assert rot["runs_to_cycle_end"] == windows - 1 - slot and rot["cycle_ends_on"] is None
        seen += checked
        found |= {(c["action"], c["number"]) for c in data["dnc_changes"]}
        assert {c["number"] for c in data["dnc_changes"]} <= set(checked)
    assert sorted(seen) == sorted({c["number"] for c in full["desired"]["dnc"]})  # each once
    assert found == want
    # the slot wraps around: run `windows` checks window 1 again
    again = _plan_json(acme, repo, "--base-ref", "HEAD", "--refresh-budget", "2",
                       "--refresh-slot", str(windows))  # fmt: skip
    assert again["stats"]["dnc_rotation"]["window"] == 1


def test_refresh_budget_default_slot_is_the_day_and_text_says_coverage(
    acme: SimulatorHandle, repo: Path
) -> None:
    _edit_dnc(repo)
    res = run(acme, "plan", "-c", "config", "--base-ref", "HEAD~1", "--refresh-budget", "4",
              cwd=repo)  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "DNC drift check (--refresh-budget 4): window " in res.output
    assert "with one run a day)" in res.output or "this run completes the cycle" in res.output
    # the numbers changed since the base are still planned from git (no check needed)
    data = _plan_json(acme, repo, "--base-ref", "HEAD~1", "--refresh-budget", "4")
    rot = data["stats"]["dnc_rotation"]
    assert rot["checked"] <= 4 and rot["cycle_ends_on"] is not None
    assert {c["number"] for c in data["dnc_changes"]} >= {"+14155550104", "+14155550100"}


def test_refresh_budget_refuses_refresh_all_before_any_call(
    acme: SimulatorHandle, repo: Path
) -> None:
    res = run(acme, "plan", "-c", "config", "--base-ref", "HEAD", "--refresh", "all",
              "--refresh-budget", "3", cwd=repo)  # fmt: skip
    assert res.exit_code == 1
    assert "--refresh all checks every one: choose one of them" in res.output
    assert acme.requests == []
    res = run(acme, "plan", "-c", "config", "--refresh-budget", "0", cwd=repo)
    assert res.exit_code == 1 and "Invalid value for '--refresh-budget'" in res.output
