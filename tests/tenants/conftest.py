from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.simulator import SimulatorHandle


@pytest.fixture
def sandbox(sim_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    """The sandbox tenant (the subdomain examples/multi-tenant names for it)."""
    return sim_factory(subdomain="demo-sandbox", token="sandbox-token")


@pytest.fixture
def production(sim_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    return sim_factory(subdomain="demo", token="production-token")
