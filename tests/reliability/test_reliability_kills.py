"""Slice of the campaign (reliability/kills.py): SIGKILL ``apply -c`` at a few points of a
slow job, re-run it at once, and require exactly one job, one upload, no row sent twice, no
DNC call repeated beyond the interrupted one, exit 0 and a clean plan. The client runs at
5 requests/s so the re-run's planning (template + five DNC checks) outlasts the job's rest."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from reliability.harness import Kill, is_call
from reliability.kills import KillSettings, one_kill

SETTINGS = KillSettings(rate=0.0, row_delay=0.4, poll_interval=0.1, client=5.0)


def _proceed(r: dict[str, Any]) -> bool:
    return is_call(r, "POST", "bulk/users/proceed")


def _dnc_add(r: dict[str, Any]) -> bool:
    return is_call(r, "POST", "outbound_dialer/dnc")


POLL_DELAY = round(random.Random(9).uniform(0.2, 1.6), 2)  # seeded: while the job runs

POINTS = {
    "right after proceed": Kill(when=_proceed),
    f"{POLL_DELAY} s after proceed (polling)": Kill(when=_proceed, delay=POLL_DELAY),
    "right after the first DNC add": Kill(when=_dnc_add),
}


@pytest.mark.slow
@pytest.mark.parametrize("point", list(POINTS))
def test_kill_then_rerun_converges_with_one_job(tmp_path: Path, point: str) -> None:
    case = one_kill(SETTINGS, tmp_path, point, POINTS[point])
    assert case.killed, "the run ended before the kill point"
    assert case.ok, f"{point}: {case.problems} {case.detail}"
