"""Helpers for the tests of concurrent runs and kills: real ``python -m reconciler apply``
subprocesses and in-process CLI runs against one simulator, and what the tenant holds after."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle
from tests.helpers import cli_env

from .helpers import client_for, make_plan

BASE = """\
users:
  - email: boss@acme-corp.com
    first_name: Bea
    last_name: Boss
    roles: [Admin]
  - email: ana@acme-corp.com
    first_name: Ana
    last_name: Lopez
    location: {ana_location}
    roles: [Agent]
    teams: [Tier 1]
  - email: old.bob@acme-corp.com
    first_name: {bob_first}
    last_name: Stone
    roles: [Agent]
"""
# A moves Ana to Austin, B renames Bob to Robert; each declares the other user as it was.
CONFIG_A = BASE.format(ana_location="Austin", bob_first="Bob")
CONFIG_B = BASE.format(ana_location="null", bob_first="Robert")


def env_for(sim: SimulatorHandle, rate: float = 1000.0) -> dict[str, str]:
    return cli_env(sim, rate=str(rate), inherit=True)


def spawn(sim: SimulatorHandle, *args: str, rate: float = 1000.0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--poll-interval", "0.05", *args],
        env=env_for(sim, rate),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def cli_apply(sim: SimulatorHandle, *args: str) -> Any:
    env = cli_env(sim)
    return CliRunner().invoke(cli, ["apply", "--poll-interval", "0.02", *args], env=env)


def jobs(sim: SimulatorHandle) -> list[dict[str, Any]]:
    with sim.tenant.lock:
        return [j.to_api() for j in sim.tenant.jobs.values()]


def uploads(sim: SimulatorHandle) -> list[dict[str, Any]]:
    return [
        r
        for r in sim.requests
        if r["method"] == "POST" and r["path"].endswith("/bulk/users/upload") and r["status"] == 200
    ]


def config_dir(tmp_path: Path, name: str, text: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "users.yaml").write_text(textwrap.dedent(text))
    return d


def plans_clean(sim: SimulatorHandle, cfg: Path) -> bool:
    with client_for(sim) as client:
        return make_plan(cfg, client).is_empty
