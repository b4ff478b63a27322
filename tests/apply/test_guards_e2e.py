"""End to end against the simulator: leaving memberships out changes nothing, and every guard
on a destructive kind of change refuses apply (nothing sent, exit 1) and shows in every plan
format, until ``--allow-mass-changes``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.simulator import SimulatorHandle

from .helpers import seed, user, write_config
from .test_cli_apply import run as run_apply

N = 40
NUMBERS = [f"+1415555{i:04d}" for i in range(200, 210)]


def tenant() -> dict[str, Any]:
    """40 active agents in Tier 1 or Tier 2, each with a location and a chat limit; agent 0 is
    the Admin; 10 DNC numbers."""
    users = [
        user(
            f"agent{i}@acme-corp.com",
            f"First{i}",
            f"Last{i}",
            roles=["Admin", "Agent"] if i == 0 else ["Agent"],
            teams=["Tier 1" if i % 2 else "Tier 2"],
            location="Mexico",
            max_chat_limit=3,
            max_chat_limit_enabled=True,
        )
        for i in range(N)
    ]
    dnc = [{"phone_number": n, "expires_at": None} for n in NUMBERS]
    return seed(users=users, dnc=dnc)


def users_yaml(extra: str = "", *, first0: str = "First0", **per_user: str) -> str:
    """Every tenant user with its names, plus ``extra`` lines for each user; ``agentN="..."``
    gives agent N other lines instead."""
    out = ["users:"]
    for i in range(N):
        out.append(f"  - email: agent{i}@acme-corp.com")
        out.append(f"    first_name: {first0 if i == 0 else f'First{i}'}")
        out.append(f"    last_name: Last{i}")
        lines = per_user.get(f"agent{i}", extra)
        out += [f"    {line}" for line in lines.splitlines() if line]
    return "\n".join(out) + "\n"


def memberships(sim: SimulatorHandle) -> dict[str, tuple[list[str], list[str]]]:
    return {u["email"]: (u["roles"], u["teams"]) for u in sim.tenant.users_snapshot()}


def posts(sim: SimulatorHandle) -> list[dict[str, Any]]:
    return [r for r in sim.requests if r["method"] in ("POST", "PUT", "PATCH", "DELETE")]


def plan_cli(sim: SimulatorHandle, *args: str) -> Any:
    from tests.plan.test_cli_plan import run as run_plan

    return run_plan(sim, "plan", *args)


# ---- what is left out is not managed -------------------------------------------------------


def test_names_only_config_plans_and_applies_no_membership_change(simulator, tmp_path) -> None:
    sim = simulator(tenant())
    before = memberships(sim)
    # One real change (agent 0's first name), so that apply has a job to run.
    cfg = write_config(tmp_path, users_yaml(first0="Zero"))
    res = plan_cli(sim, "-c", str(cfg), "--format", "json")
    assert res.exit_code == 0, res.output
    p = json.loads(res.stdout)
    assert [(u["email"], u["roles"], u["teams"]) for u in p["user_changes"]] == [
        ("agent0@acme-corp.com", [], [])
    ]
    assert p["safety"] == []
    assert p["scope"]["roles"] == {"policy": "declared", "names": [], "users": 0, "sections": []}
    text = plan_cli(sim, "-c", str(cfg)).output
    assert "Roles managed (named in the config): none the tenant has" in text
    res = run_apply(sim, "-c", str(cfg), "--auto-approve")
    assert res.exit_code == 0, res.output
    assert memberships(sim) == before
    assert sim.tenant.user_by_email("agent0@acme-corp.com").first_name == "Zero"


def test_roles_only_config_does_not_touch_teams(simulator, tmp_path) -> None:
    # The reported defect: every user's roles but no teams removed every team membership.
    sim = simulator(tenant())
    before = memberships(sim)
    cfg = write_config(tmp_path, users_yaml("roles: [Agent]", agent0="roles: [Admin, Agent]"))
    res = plan_cli(sim, "-c", str(cfg), "--detailed-exitcode")
    assert res.exit_code == 0, res.output  # no changes: every role matches, teams unmanaged
    assert "Roles managed (named in the config): Admin, Agent: all for 40 of 40 users" in res.output
    assert "Teams managed (named in the config): none the tenant has" in res.output
    # Taking agent 5 off Agent is one role change; the teams stay as they are, also with
    # manage_teams: all (it widens the scope, not which users' teams are managed).
    text = users_yaml("roles: [Agent]", agent0="roles: [Admin, Agent]", agent5="roles: []")
    cfg = write_config(tmp_path, text + "policy: {manage_teams: all}\n")
    res = run_apply(sim, "-c", str(cfg), "--auto-approve")
    assert res.exit_code == 0, res.output
    after = memberships(sim)
    assert after["agent5@acme-corp.com"] == ([], before["agent5@acme-corp.com"][1])
    assert {e: t for e, (_, t) in after.items()} == {e: t for e, (_, t) in before.items()}


# ---- every guard ---------------------------------------------------------------------------

GUARDS: dict[str, tuple[str, str, str]] = {
    # kind: (config, message, policy key)
    "deactivations": (
        users_yaml("status: Inactive").replace("    status: Inactive\n", "    status: Active\n", 1),
        "would deactivate 39 of 40 active users (98%), limit 10% (= 4, policy.max_deactivations)",
        "deactivations",
    ),
    "role_removals": (
        users_yaml("roles: []", agent0="roles: [Admin, Agent]"),
        "would remove 39 of 41 role memberships (95%) from 39 of 40 users that have one, "
        "limit 10% (= 4, policy.max_role_removals)",
        "role_removals",
    ),
    "team_removals": (
        users_yaml() + "teams:\n  Tier 1: []\n  Tier 2: {members: []}\n",
        "would remove 40 of 40 team memberships (100%) from 40 of 40 users that have one, "
        "limit 10% (= 4, policy.max_team_removals)",
        "team_removals",
    ),
    "location_clears": (
        users_yaml("location: null"),
        "would clear the location of 40 of 40 users that have one (100%), limit 10% "
        "(= 4, policy.max_field_clears)",
        "field_clears",
    ),
    "chat_limit_clears": (
        "defaults:\n  max_chat_limit_enabled: false\n" + users_yaml(),
        "would disable the chat limit (max_chat_limit_enabled: false) of 40 of 40 users that "
        "have it enabled (100%), limit 10% (= 4, policy.max_field_clears)",
        "field_clears",
    ),
    "dnc_removals": (
        users_yaml()
        + "dnc:\n"
        + "".join(f"  - {{phone_number: '{n}', state: absent}}\n" for n in NUMBERS),
        "would remove 10 of 10 DNC numbers (100%), limit 30% (= 5, policy.max_dnc_removals)",
        "dnc_removals",
    ),
}


@pytest.mark.parametrize("case", list(GUARDS))
def test_guard_refuses_apply_and_shows_in_every_plan_format(
    simulator, tmp_path: Path, case: str
) -> None:
    config, message, kind = GUARDS[case]
    sim = simulator(tenant())
    before_users, before_dnc = sim.tenant.users_snapshot(), sim.tenant.dnc_snapshot()
    cfg = write_config(tmp_path, config)

    res = plan_cli(sim, "-c", str(cfg), "--format", "json")
    assert res.exit_code == 0, res.output
    [v] = json.loads(res.stdout)["safety"]
    assert (v["kind"], v["message"]) == (kind, message)
    text = plan_cli(sim, "-c", str(cfg)).output
    assert "Unsafe (apply will refuse without an explicit override):" in text
    assert f"  ! {message}" in text
    md = plan_cli(sim, "-c", str(cfg), "--format", "markdown").output
    assert "> **Apply will refuse this plan** without an explicit override:" in md
    assert f"> - {message}" in md

    report = tmp_path / "report.json"
    res = run_apply(sim, "-c", str(cfg), "--auto-approve", "--report", str(report))
    assert res.exit_code == 1
    assert "error: refusing to apply:\n" in res.output
    assert f"error: {message} (use --allow-mass-changes to apply anyway)" in res.output
    assert json.loads(report.read_text())["outcome"] == "refused"
    assert posts(sim) == []  # nothing sent
    assert sim.tenant.users_snapshot() == before_users
    assert sim.tenant.dnc_snapshot() == before_dnc

    res = run_apply(sim, "-c", str(cfg), "--auto-approve", "--allow-mass-changes")
    assert res.exit_code == 0, res.output
    assert posts(sim)
