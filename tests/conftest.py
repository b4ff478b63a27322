"""Shared fixtures: a simulated tenant over real HTTP on loopback.

``sim`` is the default tenant (the reference's template example; subdomain ``demo``, token
``demo-token``) with the rate limit off and a 0.05 s validation delay. ``sim_factory(**kwargs)``
starts one with any :func:`reconciler.simulator.run_simulator` options (``seed``, ``now``,
``faults``, ``rate_limit``, ``state_file``, ...). Both stop their servers after the test.

``simulator(seed=None, **options)`` is the apply tests' tenant (tests/apply/helpers.py: SEED)
with a 0.01 s validation delay. ``client_for(sim, **connect_options)`` opens a client for a
handle with the throttle wide open and a short, seeded backoff (closed after the test).
Helpers that are not fixtures are in tests/helpers.py.

Every test gets its own cache directory (``CCAI_CACHE_DIR``), so the client's shared pace files
never touch the user's cache nor another test's.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from reconciler.platform import PlatformClient, RetryPolicy
from reconciler.simulator import SimulatorHandle, run_simulator
from tests.apply.helpers import SEED as APPLY_SEED
from tests.helpers import connect_to

# Short backoff so fault tests converge in well under a second.
FAST_RETRY = {"base": 0.01, "cap": 0.05, "deadline": 10.0, "max_attempts": 20}

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


@pytest.fixture
def client_for() -> Iterator[Callable[..., PlatformClient]]:
    opened: list[PlatformClient] = []

    def make(sim: SimulatorHandle, **kwargs: Any) -> PlatformClient:
        kwargs.setdefault("retry", RetryPolicy(**FAST_RETRY, rng=random.Random(1)))
        c = connect_to(sim, **kwargs)
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


@pytest.fixture
def simulator(sim_factory: Callable[..., SimulatorHandle]) -> Callable[..., SimulatorHandle]:
    """``simulator(seed=None, **options)``: the apply tests' tenant (SEED), rate limit off,
    tiny validation delay; stopped after the test."""

    def start(seed: dict[str, Any] | None = None, **kw: Any) -> SimulatorHandle:
        kw.setdefault("validation_delay", 0.01)
        return sim_factory(copy.deepcopy(seed if seed is not None else APPLY_SEED), **kw)

    return start
