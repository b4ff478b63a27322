"""Hard world: ``plan --all-tenants`` when one tenant's API is down, or slowed (the real rate
limit, a neighbour taking its quota, 5xx and latency).

docs/config.md ("Commands"): a tenant that fails is shown under its heading with its error, the
others are still shown, and the exit code is 1."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from reconciler.simulator import SimulatorHandle
from tests.neighbour import neighbour

from .helpers import copy_example, invoke, tenant_env


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_a_tenant_that_is_down_is_reported_and_the_other_is_planned(
    sim_factory, tmp_path: Path
) -> None:
    production: SimulatorHandle = sim_factory(subdomain="demo", token="production-token")
    cfg = copy_example(tmp_path)
    down = f"http://127.0.0.1:{closed_port()}/apps/api/v1"
    env = {**tenant_env(production, production), "CCAI_BASE_URL_SANDBOX": down}
    env["CCAI_API_TOKEN_SANDBOX"] = "sandbox-token"
    started = time.monotonic()
    res = invoke(env, "plan", "-c", str(cfg), "--all-tenants", "--detailed-exitcode")
    elapsed = time.monotonic() - started
    assert res.exit_code == 1, res.output  # an error wins over "changes" (2)
    out = res.stdout
    assert out.startswith("2 tenants: production (changes), sandbox (error).\n")
    prod, _, sand = out.partition("\n=== Tenant sandbox ===\n")
    assert "\n=== Tenant production ===\n" in prod and "Plan: " in prod
    assert "ana.lopez@example.com" in prod
    # the sandbox's heading holds its error: what failed and where, no traceback, no plan
    assert "GET /bulk/users/template failed" in sand and "127.0.0.1" in sand
    assert "Plan: " not in sand and "Traceback" not in res.output
    assert "error: planning failed for sandbox" in res.stderr
    assert "sandbox-token" not in res.output and "production-token" not in res.output
    assert elapsed < 90, f"a down tenant held the run for {elapsed:.0f}s"


@pytest.mark.slow
def test_a_slowed_tenant_still_plans_and_the_fast_one_is_not_held_back(
    sim_factory, tmp_path: Path
) -> None:
    sandbox: SimulatorHandle = sim_factory(
        subdomain="demo-sandbox",
        token="sandbox-token",
        rate_limit=1.0,
        faults="5xx=0.25,latency=0.3",
        fault_seed=7,
    )
    production: SimulatorHandle = sim_factory(subdomain="demo", token="production-token")
    cfg = copy_example(tmp_path)
    env = {**tenant_env(sandbox, production), "CCAI_RATE": "1"}
    with neighbour(sandbox):
        res = invoke(env, "plan", "-c", str(cfg), "--all-tenants", "--detailed-exitcode")
    assert res.exit_code == 2, res.output
    assert res.stdout.startswith("2 tenants: production (changes), sandbox (changes).\n")
    prod, _, sand = res.stdout.partition("\n=== Tenant sandbox ===\n")
    assert "Plan: " in prod and "Plan: " in sand
    assert "test.agent1@example.com" in sand
    statuses = [r["status"] for r in sandbox.requests if not r["path"].endswith("/jobs")]
    assert 429 in statuses and any(s is not None and s >= 500 for s in statuses)
    # production was planned concurrently: its calls started before the sandbox's ended
    first_prod = production.requests[0]["time"]
    last_sand = max(r["time"] for r in sandbox.requests if not r["path"].endswith("/jobs"))
    assert first_prod < last_sand
