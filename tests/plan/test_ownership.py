"""policy.ownership_role end to end against the simulator over real HTTP: the users this config
owns hold a marker role; holders not in the config are offboarded without --base-ref; users
without it are never touched; export --ownership-role writes only the owned users."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle
from reconciler.state import UserStatus
from tests.helpers import cli_env

OWNER = "Managed by Git"


def _user(email: str, first: str, roles: list[str], status: str = "Active") -> dict[str, Any]:
    return {
        "email": email,
        "first_name": first,
        "last_name": "Test",
        "agent_number": "",
        "status": status,
        "location": None,
        "max_chat_limit": None,
        "max_chat_limit_enabled": False,
        "roles": roles,
        "teams": [],
    }


SEED: dict[str, Any] = {
    "subdomain": "acme",
    "token": "ownership-test-token-77",
    "roles": ["Admin", "Agent", OWNER],
    "teams": ["Tier 1"],
    "locations": [],
    "max_chat_limit": 10,
    "users": [
        _user("boss@acme-corp.com", "Bea", ["Admin", OWNER]),  # owned, in the config
        _user("ana@acme-corp.com", "Ana", ["Agent"]),  # in the config, not yet marked
        _user("gone@acme-corp.com", "Gus", ["Agent", OWNER]),  # owned, deleted from the config
        _user("portal@acme-corp.com", "Pat", ["Agent"]),  # another tool's user: never touched
    ],
    "dnc": [],
}

TENANT_YAML = f"""version: 1
tenant:
  subdomain: acme
policy:
  unmanaged_users: deactivate
  max_deactivations: 2
  ownership_role: {OWNER}
"""

USERS_YAML = """users:
  - email: boss@acme-corp.com
    first_name: Bea
    last_name: Test
    roles: [Admin]
  - email: ana@acme-corp.com
    first_name: Ana
    last_name: Test
    roles: [Agent]
  - email: new@acme-corp.com
    first_name: Nia
    last_name: Test
    roles: [Agent]
"""


def run(sim: SimulatorHandle, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=cli_env(sim, CCAI_BASE_REF=""))


@pytest.fixture
def acme(sim_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    return sim_factory(json.loads(json.dumps(SEED)))


def write_config(tmp_path: Path) -> Path:
    """The ownership config (tenant.yaml, users.yaml) in ``tmp_path/config``."""
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "tenant.yaml").write_text(TENANT_YAML)
    (cfg / "users.yaml").write_text(USERS_YAML)
    return cfg


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


def _users(sim: SimulatorHandle) -> dict[str, tuple[str, frozenset[str]]]:
    with sim.tenant.lock:
        return {
            u.email.lower(): (str(u.status), frozenset(u.roles)) for u in sim.tenant.users.values()
        }


def _plan(sim: SimulatorHandle, config: Path, *args: str) -> dict[str, Any]:
    res = run(sim, "plan", "-c", str(config), "--format", "json", *args)
    assert res.exit_code == 0, res.output
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def test_plan_marks_declared_users_and_offboards_owned_without_base_ref(
    acme: SimulatorHandle, config: Path
) -> None:
    data = _plan(acme, config)
    by = {c["email"].lower(): c for c in data["user_changes"]}
    assert set(by) == {
        "ana@acme-corp.com",
        "new@acme-corp.com",
        "gone@acme-corp.com",
    }  # never portal@
    ana = by["ana@acme-corp.com"]
    assert ana["action"] == "update"
    assert [(r["name"], r["assign"], r["ownership"]) for r in ana["roles"]] == [(OWNER, True, True)]
    assert ana["reason"] == f"ownership role {OWNER!r} (policy.ownership_role)"
    new = by["new@acme-corp.com"]
    assert new["action"] == "create"
    assert {(r["name"], r["ownership"]) for r in new["roles"]} == {("Agent", False), (OWNER, True)}
    gone = by["gone@acme-corp.com"]
    assert gone["action"] == "deactivate"
    assert gone["reason"] == f"holds the ownership role {OWNER!r} and is not in the config"
    assert not any("no --base-ref" in w["message"] for w in data["warnings"])
    text = run(acme, "plan", "-c", str(config)).output
    assert f"+ role {OWNER}  # ownership role (policy.ownership_role)" in text


def test_apply_converges_and_leaves_unowned_users_alone(
    acme: SimulatorHandle, config: Path
) -> None:
    before = _users(acme)
    res = run(acme, "apply", "--poll-interval", "0.01", "-c", str(config), "--auto-approve")
    assert res.exit_code == 0, res.output
    after = _users(acme)
    assert after["portal@acme-corp.com"] == before["portal@acme-corp.com"]  # untouched
    assert after["gone@acme-corp.com"][0] == UserStatus.INACTIVE.value
    for email in ("boss@acme-corp.com", "ana@acme-corp.com", "new@acme-corp.com"):
        assert after[email][0] == UserStatus.ACTIVE.value and OWNER in after[email][1]
    again = _plan(acme, config)
    assert again["user_changes"] == []


def test_same_result_with_a_base_ref(acme: SimulatorHandle, config: Path) -> None:
    """With a base ref in which gone@ and portal@ were declared, the outcome is the same:
    gone@ (owned) is offboarded, portal@ (not owned) is not."""
    repo = config.parent
    users = config / "users.yaml"
    declared = users.read_text()
    extra = "".join(
        f"  - email: {e}\n    first_name: {f}\n    last_name: Test\n    roles: [Agent]\n"
        for e, f in (("gone@acme-corp.com", "Gus"), ("portal@acme-corp.com", "Pat"))
    )
    users.write_text(declared + extra)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base")
    users.write_text(declared)
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "delete two users")
    old = os.getcwd()
    os.chdir(repo)
    try:
        data = _plan(acme, Path("config"), "--base-ref", "HEAD~1")
    finally:
        os.chdir(old)
    deact = {c["email"].lower() for c in data["user_changes"] if c["action"] == "deactivate"}
    assert deact == {"gone@acme-corp.com"}


def test_missing_role_is_a_plan_error_with_its_line(
    sim_factory: Callable[..., SimulatorHandle], config: Path
) -> None:
    seed = json.loads(json.dumps(SEED))
    seed["roles"] = ["Admin", "Agent"]
    for u in seed["users"]:
        u["roles"] = [r for r in u["roles"] if r != OWNER]
    sim = sim_factory(seed)
    res = run(sim, "plan", "-c", str(config))
    assert res.exit_code == 1
    assert f"tenant.yaml:7:19: error: policy.ownership_role {OWNER!r} does not exist" in res.output


def test_config_naming_the_role_is_an_error(acme: SimulatorHandle, config: Path) -> None:
    users = config / "users.yaml"
    users.write_text(users.read_text().replace("roles: [Admin]", f"roles: [Admin, {OWNER}]"))
    res = run(acme, "plan", "-c", str(config))
    assert res.exit_code == 1
    assert "users.yaml:5:20: error: role 'Managed by Git' is policy.ownership_role" in res.output


def test_export_writes_only_owned_users_and_plans_no_changes(
    acme: SimulatorHandle, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    res = run(acme, "export", "--out", str(out), "--ownership-role", OWNER)
    assert res.exit_code == 0, res.output
    assert "2 users without the role 'Managed by Git': not exported" in res.output
    text = "".join(p.read_text() for p in sorted(out.rglob("*.yaml")))
    assert "boss@acme-corp.com" in text and "gone@acme-corp.com" in text
    assert "portal@acme-corp.com" not in text and "ana@acme-corp.com" not in text
    assert f"ownership_role: {OWNER}" in text
    assert _plan(acme, out)["user_changes"] == []
    bad = run(acme, "export", "--out", str(tmp_path / "x"), "--ownership-role", "Nope")
    assert bad.exit_code == 1 and "--ownership-role 'Nope' does not exist" in bad.output
