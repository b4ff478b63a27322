"""Errors the template already proves are reported before any DNC check (issue 9, defect 5):
with an unknown role and 30 declared DNC numbers, `plan` makes exactly one call (the template)
before printing the error, not 1 + 30."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle
from tests.helpers import cli_env

EXAMPLES = Path(__file__).parents[2] / "examples"

NUMBERS = [f"+1415555{n:04d}" for n in range(100, 130)]


def _config(tmp_path: Path, users: str) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    (config / "tenant.yaml").write_text("version: 1\ntenant:\n  subdomain: demo\n")
    (config / "users.yaml").write_text(users)
    (config / "dnc.yaml").write_text("dnc:\n" + "".join(f'  - "{n}"\n' for n in NUMBERS))
    return config


def _plan(sim: SimulatorHandle, config: Path):
    env = cli_env(sim, CCAI_BASE_REF="")
    return CliRunner().invoke(cli, ["plan", "-c", str(config), "--refresh", "all"], env=env)


def _user(email: str, *extra: str) -> str:
    lines = [f"  - email: {email}", "    first_name: Some", "    last_name: One", *extra]
    return "users:\n" + "".join(f"{line}\n" for line in lines)


@pytest.fixture
def demo(sim_factory) -> SimulatorHandle:
    return sim_factory(json.loads((EXAMPLES / "tenant.json").read_text()))


MARIA = "maria.garcia@example.com"


@pytest.mark.parametrize(
    ("users", "error"),
    [
        (
            _user(MARIA, "    roles: [Admin, Supervisor]"),
            "role 'Supervisor' does not exist in the tenant",
        ),
        (
            _user(MARIA, "    roles: [Admin]", "    teams: [Night Shift]"),
            "team 'Night Shift' does not exist in the tenant",
        ),
        (
            _user("new.name@example.com", "    renamed_from: nobody@example.com"),
            "cannot rename nobody@example.com to new.name@example.com: neither exists",
        ),
    ],
    ids=["role", "team", "rename"],
)
def test_a_template_error_costs_one_call(
    demo: SimulatorHandle, tmp_path: Path, users: str, error: str
) -> None:
    res = _plan(demo, _config(tmp_path, users))
    assert res.exit_code == 1, res.output
    assert error in res.output
    assert [r["path"].rsplit("/v1/", 1)[-1] for r in demo.requests] == ["bulk/users/template"]


def test_without_errors_every_number_is_still_checked(demo: SimulatorHandle, tmp_path: Path):
    res = _plan(demo, _config(tmp_path, _user(MARIA, "    roles: [Admin, Manager]")))
    assert res.exit_code in (0, 2), res.output
    paths = [r["path"].rsplit("/v1/", 1)[-1] for r in demo.requests]
    assert paths == ["bulk/users/template"] + ["outbound_dialer/dnc/check"] * len(NUMBERS)
