"""Test support shared by every test folder (fixtures are in tests/conftest.py).

Reading helpers over a :class:`PlatformClient` that only tests need: the package itself reads
the template row by row (``iter_template``) and finds its job through the job queue protocol.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reconciler.plan import Plan
from reconciler.planning import compute_plan
from reconciler.platform import PlatformClient
from reconciler.platform import models as m


def template(client: PlatformClient) -> list[m.TemplateRow]:
    """Every user with all roles and teams (one GET), as a list."""
    return list(client.iter_template())


def find_job(client: PlatformClient, filename: str) -> m.Job | None:
    """The newest job carrying ``filename``, or None (the paged job list, see ``jobs()``)."""
    matches = [j for j in client.jobs() if j.filename == filename]
    return max(matches, key=lambda j: j.id) if matches else None


def total_calls(client: PlatformClient) -> int:
    """Every HTTP request the client sent, retries included."""
    return sum(client.calls.values())


def make_plan(config_dir: Path, client: PlatformClient, now: datetime | None = None) -> Plan:
    """The plan ``plan -c config_dir`` makes, by the real pipeline (no base ref: every declared
    number is checked). The one place the tests call ``compute_plan``."""
    plan, _loaded = compute_plan([config_dir], client, refresh="changed", now=now)
    return plan
