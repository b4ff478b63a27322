"""Slice of the campaign (reliability/hostile.py): a loopback server that answers HTML,
truncated or wrong-typed JSON, a huge body, a trickle, a job that never finishes or 404s
mid-poll. Each command exits 1 with an ``error:`` line, no traceback, no token, before the
cap (a command still running at the cap is killed and fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliability.hostile import one_hostile

CAP = 12.0  # the trickles configure a 3 s per-call deadline, and apply --timeout 4

CASES = [
    ("html", "plan"),
    ("truncated", "apply"),
    ("wrong_type", "plan"),
    ("huge", "plan"),
    ("never_finishes", "apply"),
    ("job_404", "apply"),
]


@pytest.mark.parametrize(
    ("mode", "command"),
    [
        *CASES,
        ("trickle", "plan"),
        ("trickle_http10", "plan"),  # the watchdog keeps the socket of a closing answer
        ("trickle_poll", "apply"),  # apply --timeout bounds the proceed and its job read
    ],
)
def test_hostile_server_gives_a_clear_error_in_bounded_time(
    tmp_path: Path, mode: str, command: str
) -> None:
    case = one_hostile(mode, command, tmp_path, cap=CAP, request_timeout="3", apply_timeout=4)
    assert case.ok, f"exit {case.rc} after {case.seconds:.1f} s: {case.problems} {case.message}"
