"""Helpers for the client tests: a fast client for a simulator handle."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.platform import PlatformClient, RetryPolicy, connect
from reconciler.simulator import SimulatorHandle

# Short backoff so fault tests converge in well under a second.
FAST_RETRY = {"base": 0.01, "cap": 0.05, "deadline": 10.0, "max_attempts": 20}


def fast_client(sim: SimulatorHandle, **kwargs: Any) -> PlatformClient:
    """A client for ``sim`` with the throttle wide open unless ``rate`` is given."""
    options: dict[str, Any] = {
        "base_url": sim.base_url,
        "env": {"CCAI_API_TOKEN": sim.token, "CCAI_SUBDOMAIN": sim.subdomain},
        "rate": 1000.0,
        "retry": RetryPolicy(**FAST_RETRY, rng=random.Random(1)),
    }
    options.update(kwargs)
    return connect(**options)


@pytest.fixture
def client_for() -> Callable[..., PlatformClient]:
    opened: list[PlatformClient] = []

    def make(sim: SimulatorHandle, **kwargs: Any) -> PlatformClient:
        c = fast_client(sim, **kwargs)
        opened.append(c)
        return c

    yield make  # type: ignore[misc]
    for c in opened:
        c.close()
