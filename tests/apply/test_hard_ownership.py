"""Hard world: ``policy.ownership_role`` while another tool takes the marker role away.

docs/config.md: a user without the role who is not in the config is **never touched**; a
declared user gains the role; a saved plan made before the tenant changed is refused as stale
(docs/apply.md). Another tool removes the role through the API (its own bulk job, same
credentials), between plan and apply, between two applies, and while apply starts."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle
from tests.helpers import cli_env
from tests.neighbour import foreign_job, job_status, remove_role_row
from tests.plan.test_ownership import OWNER, SEED, TENANT_YAML, USERS_YAML

from .runs import uploads

GUS = remove_role_row("gone@acme-corp.com", "Gus", "Test", OWNER)


def run(sim: SimulatorHandle, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=cli_env(sim, CCAI_BASE_REF=""))


def apply(sim: SimulatorHandle, *args: str) -> Result:
    return run(sim, "apply", "--poll-interval", "0.02", "--auto-approve", *args)


def config(tmp_path: Path, users_yaml: str = USERS_YAML) -> Path:
    cfg = tmp_path / "config"
    cfg.mkdir(exist_ok=True)
    (cfg / "tenant.yaml").write_text(TENANT_YAML)
    (cfg / "users.yaml").write_text(textwrap.dedent(users_yaml))
    return cfg


def users(sim: SimulatorHandle) -> dict[str, tuple[str, frozenset[str]]]:
    with sim.tenant.lock:
        return {
            u.email.lower(): (str(u.status), frozenset(u.roles)) for u in sim.tenant.users.values()
        }


def start(sim_factory: Any, **kw: Any) -> SimulatorHandle:
    sim: SimulatorHandle = sim_factory(json.loads(json.dumps(SEED)), validation_delay=0.01, **kw)
    return sim


def test_saved_plan_made_before_the_role_was_removed_is_refused(sim_factory, tmp_path) -> None:
    sim = start(sim_factory)
    cfg = config(tmp_path)
    plan_file = tmp_path / "plan.json"
    res = run(sim, "plan", "-c", str(cfg), "--out", str(plan_file))
    assert res.exit_code == 0, res.output
    planned = json.loads(plan_file.read_text())
    assert {c["email"]: c["action"] for c in planned["user_changes"]}["gone@acme-corp.com"] == (
        "deactivate"
    )
    foreign_job(sim, [GUS])  # the directory sync takes gone@ back
    before = users(sim)
    assert OWNER not in before["gone@acme-corp.com"][1]

    res = apply(sim, str(plan_file))
    assert res.exit_code == 1, res.output
    assert "the tenant changed since this plan was made; run plan again" in res.output
    assert users(sim) == before  # gone@ (no role now) is not deactivated, nothing else either
    assert len(uploads(sim)) == 1  # the other tool's upload only: apply sent nothing

    # a fresh apply -c follows docs/config.md: gone@ has no role and is not declared: untouched
    res = apply(sim, "-c", str(cfg))
    assert res.exit_code == 0, res.output
    after = users(sim)
    assert after["gone@acme-corp.com"] == before["gone@acme-corp.com"]
    assert after["portal@acme-corp.com"] == before["portal@acme-corp.com"]
    for email in ("boss@acme-corp.com", "ana@acme-corp.com", "new@acme-corp.com"):
        assert after[email][0] == "Active" and OWNER in after[email][1]


def test_role_removed_between_two_applies(sim_factory, tmp_path) -> None:
    sim = start(sim_factory)
    cfg = config(tmp_path)
    assert apply(sim, "-c", str(cfg)).exit_code == 0
    # the other tool unmarks a declared user (boss@) and one that is about to leave (ana@)
    foreign_job(
        sim,
        [
            remove_role_row("boss@acme-corp.com", "Bea", "Test", OWNER),
            remove_role_row("ana@acme-corp.com", "Ana", "Test", OWNER),
        ],
    )
    # ana@ is deleted from the config; boss@ stays declared
    without_ana = USERS_YAML.replace(
        "  - email: ana@acme-corp.com\n    first_name: Ana\n    last_name: Test\n"
        "    roles: [Agent]\n",
        "",
    )
    assert "ana@" not in without_ana
    config(tmp_path, without_ana)
    before = users(sim)
    res = apply(sim, "-c", str(cfg))
    assert res.exit_code == 0, res.output
    after = users(sim)
    assert after["ana@acme-corp.com"] == before["ana@acme-corp.com"]  # no role: never touched
    assert after["ana@acme-corp.com"][0] == "Active"
    assert OWNER in after["boss@acme-corp.com"][1]  # declared: marked again
    assert after["portal@acme-corp.com"] == before["portal@acme-corp.com"]


def test_apply_waits_for_the_tool_removing_the_role_then_leaves_the_user_alone(
    sim_factory, tmp_path
) -> None:
    """The other tool's job runs (row delay) when apply starts: apply must wait for it and plan
    from the tenant after it, or it would deactivate gone@, whose role that job takes away."""
    sim = start(sim_factory, row_delay=1.5)
    cfg = config(tmp_path)
    job = foreign_job(sim, [GUS], wait_for="in_progress")
    res = apply(sim, "-c", str(cfg))
    assert res.exit_code == 0, res.output
    assert job_status(sim, job) == "finished"
    after = users(sim)
    assert after["gone@acme-corp.com"] == ("Active", frozenset({"Agent"}))
    assert "gone@acme-corp.com" not in res.output
    assert after["portal@acme-corp.com"] == ("Active", frozenset({"Agent"}))
