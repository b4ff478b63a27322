"""Slice of the campaign (reliability/faults.py): a few fault seeds (5xx, spurious 429, resets
before and after the server applied, latency) and a simulator restarted mid-job on its state
file with apply killed too: re-running apply converges to the tenant a fault-free run
makes, with one job per plan and no row sent by two jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reliability.faults import one_fault_seed, one_restart, reference_image

ROW_DELAY = 0.2


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return reference_image(tmp_path_factory.mktemp("ref"), ROW_DELAY)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 7, 11])
def test_faults_converge(tmp_path: Path, expected: dict[str, Any], seed: int) -> None:
    case = one_fault_seed(seed, tmp_path, expected, ROW_DELAY)
    assert case.ok, case.problems


@pytest.mark.slow
def test_simulator_restart_mid_job_with_apply_killed(
    tmp_path: Path, expected: dict[str, Any]
) -> None:
    case = one_restart(0.4, tmp_path, expected, ROW_DELAY)
    assert case.ok, case.problems
