"""Shared fixtures: a simulated tenant over real HTTP on loopback.

``sim`` is the default tenant (the reference's template example; subdomain ``demo``, token
``demo-token``) with the rate limit off and a 0.05 s validation delay. ``sim_factory(**kwargs)``
starts one with any :func:`reconciler.simulator.run_simulator` options (``seed``, ``now``,
``faults``, ``rate_limit``, ``state_file``, ...). Both stop their servers after the test.

Every test gets its own cache directory (``CCAI_CACHE_DIR``), so the client's shared pace files
never touch the user's cache nor another test's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from reconciler.simulator import SimulatorHandle, run_simulator

SIM_DEFAULTS: dict[str, Any] = {"rate_limit": 0.0, "validation_delay": 0.05, "row_delay": 0.0}


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """The pace files of this test (and of the commands it runs) in a directory of its own."""
    monkeypatch.setenv("CCAI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def sim_factory() -> Iterator[Callable[..., SimulatorHandle]]:
    with ExitStack() as stack:

        def start(seed: dict[str, Any] | None = None, **kwargs: Any) -> SimulatorHandle:
            options = {**SIM_DEFAULTS, **kwargs}
            return stack.enter_context(run_simulator(seed, **options))

        yield start


@pytest.fixture
def sim(sim_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    return sim_factory()
