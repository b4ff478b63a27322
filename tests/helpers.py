"""Test support shared by every test folder (fixtures are in tests/conftest.py).

Reading helpers over a :class:`PlatformClient` that only tests need (the package itself reads
the template row by row, ``iter_template``, and finds its job through the job queue protocol);
plans made by the real pipeline; the environment of a command run against a simulator.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.config import load_config
from reconciler.pipeline import PlanRequest, compute_plan
from reconciler.plan import Plan
from reconciler.platform import PlatformClient, connect
from reconciler.platform import models as m
from reconciler.simulator import SimulatorHandle


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
    now = now or datetime.now(UTC)
    loaded = load_config([str(config_dir)], now=now)
    request = PlanRequest(refresh="changed")
    return compute_plan(loaded, client, config_paths=[config_dir], request=request, now=now)


def cli_env(
    sim: SimulatorHandle, *, rate: str = "1000", inherit: bool = False, **extra: str | None
) -> dict[str, Any]:
    """The environment of a command run against ``sim``: its URL, token and user name and a
    wide-open rate, updated with ``extra`` (``CCAI_BASE_REF=""``, ...). For ``CliRunner``, a
    ``None`` value unsets the variable; with ``inherit`` (a subprocess) the environment starts
    from ``os.environ`` and a ``None`` value removes the variable from it."""
    env: dict[str, Any] = {
        "CCAI_BASE_URL": sim.base_url,
        "CCAI_API_TOKEN": sim.token,
        "CCAI_SUBDOMAIN": sim.subdomain,
        "CCAI_RATE": rate,
        **extra,
    }
    if not inherit:
        return env
    merged: dict[str, Any] = {**os.environ, **env}
    return {k: v for k, v in merged.items() if v is not None}


def foreign_job(
    sim: SimulatorHandle,
    client: PlatformClient,
    rows: list[dict[str, Any]],
    filename: str = "someone-else.json",
    *,
    finish: bool = True,
) -> m.Job:
    """Another client (the UI, another tool) runs a bulk job: upload, validation, proceed, and
    unless ``finish`` is false, the wait until the tenant has finished it. Returns the job as
    uploaded."""
    job = client.upload(rows, filename)
    sim.tenant.wait_job(job.id, "valid_scheme")
    client.proceed(job.id)
    if finish:
        sim.tenant.wait_job(job.id, "finished")
    return job


def connect_to(sim: SimulatorHandle, **kwargs: Any) -> PlatformClient:
    """A client for ``sim``: its URL, token and user name, the throttle wide open unless
    ``rate`` is given; other :func:`reconciler.platform.connect` options pass through."""
    options: dict[str, Any] = {
        "base_url": sim.base_url,
        "env": {"CCAI_API_TOKEN": sim.token, "CCAI_SUBDOMAIN": sim.subdomain},
        "rate": 1000.0,
        **kwargs,
    }
    return connect(**options)
