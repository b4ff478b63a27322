"""Fixtures of the apply tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.simulator import SimulatorHandle

from .helpers import SEED


@pytest.fixture
def simulator(sim_factory: Callable[..., SimulatorHandle]) -> Callable[..., SimulatorHandle]:
    """``simulator(seed=None, **options)``: the apply tests' tenant (SEED), rate limit off,
    tiny validation delay; stopped after the test."""

    def start(seed: dict[str, Any] | None = None, **kw: Any) -> SimulatorHandle:
        kw.setdefault("validation_delay", 0.01)
        return sim_factory(copy.deepcopy(seed if seed is not None else SEED), **kw)

    return start
