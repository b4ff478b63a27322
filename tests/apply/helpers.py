"""Helpers for the apply tests: a simulator per test (rate limit off), a client with a high
rate, and plans computed the way ``plan`` computes them."""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.errors import ApplyError
from reconciler.platform import PlatformClient
from reconciler.simulator import SimulatorHandle
from tests.helpers import connect_to
from tests.helpers import make_plan as make_plan  # the real pipeline

ROLES = ["Admin", "Manager", "Agent"]
TEAMS = ["Tier 1", "Tier 2"]


def user(email: str, first: str, last: str, **kw: Any) -> dict[str, Any]:
    u: dict[str, Any] = {
        "email": email,
        "first_name": first,
        "last_name": last,
        "agent_number": "",
        "status": "Active",
        "location": None,
        "max_chat_limit": None,
        "max_chat_limit_enabled": False,
        "roles": [],
        "teams": [],
    }
    u.update(kw)
    return u


SEED: dict[str, Any] = {
    "subdomain": "acme",
    "token": "s3cret-token-for-tests",
    "roles": ROLES,
    "teams": TEAMS,
    "locations": ["Mexico", "Austin"],
    "max_chat_limit": 10,
    "users": [
        user("boss@acme-corp.com", "Bea", "Boss", roles=["Admin"]),
        user("ana@acme-corp.com", "Ana", "Lopez", roles=["Agent"], teams=["Tier 1"]),
        user("old.bob@acme-corp.com", "Bob", "Stone", roles=["Agent"]),
        user("outsider@acme-corp.com", "Otto", "Side"),
    ],
    "dnc": [{"phone_number": "+14155550100", "expires_at": None}],
}

CONFIG = """\
users:
  - email: boss@acme-corp.com
    first_name: Bea
    last_name: Boss
    roles: [Admin]
  - email: ana@acme-corp.com
    first_name: Ana
    last_name: Lopez
    location: Austin
    roles: [Agent, Manager]
    teams: [Tier 2]
  - email: bob@acme-corp.com
    renamed_from: old.bob@acme-corp.com
    first_name: Bob
    last_name: Stone
    roles: [Agent]
  - email: new.cy@acme-corp.com
    first_name: Cy
    last_name: New
    location: Mexico
    roles: [Agent]
    teams: [Tier 1]
dnc:
  - "+1 415 555 0101"
  - "+1 415 555 0102"
  - phone_number: "+1 415 555 0103"
    expires_at: "2099-01-01T00:00:00Z"
  - phone_number: "+1 415 555 0100"
    state: absent
"""


def seed(**changes: Any) -> dict[str, Any]:
    s = copy.deepcopy(SEED)
    s.update(changes)
    return s


def write_config(tmp_path: Path, text: str = CONFIG, name: str = "users.yaml") -> Path:
    d = tmp_path / "config"
    d.mkdir(exist_ok=True)
    (d / name).write_text(textwrap.dedent(text))
    return d


def client_for(sim: SimulatorHandle, rate: float = 1000.0) -> PlatformClient:
    """A client for ``sim`` with the default retry policy (a context manager: ``with``)."""
    return connect_to(sim, rate=rate)


def jobs_named(sim: SimulatorHandle, filename: str) -> list[int]:
    with sim.tenant.lock:
        return [j.id for j in sim.tenant.jobs.values() if j.filename == filename]


def calls_to(sim: SimulatorHandle, path_end: str, method: str = "POST") -> list[dict[str, Any]]:
    return [r for r in sim.requests if r["method"] == method and r["path"].endswith(path_end)]


class ApplyInterrupted(ApplyError):
    """Raised by an ``on_stage`` hook to stop the driver at an exact point."""


def interrupt_at(
    stage: str, when: Callable[[dict[str, Any]], bool] = lambda d: True
) -> Callable[[str, dict[str, Any]], None]:
    """An ``on_stage`` hook that stops the apply driver at ``stage`` (when ``when`` holds), as a
    kill at that point would."""

    def hook(name: str, details: dict[str, Any]) -> None:
        if name == stage and when(details):
            raise ApplyInterrupted(f"interrupted at {stage}")

    return hook
