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
# Known defects, reported to "throttle" in FINDINGS.md: the deadline's watchdog finds no socket
# to cut once http.client hands it to a closing (HTTP/1.0) response; the job read right after
# proceed is bounded by its 60 s default deadline, not by apply --timeout.
HTTP10 = pytest.mark.xfail(strict=False, reason="deadline not enforced on an HTTP/1.0 answer")
POLL = pytest.mark.xfail(strict=False, reason="apply --timeout does not bound the job read")


@pytest.mark.parametrize(
    ("mode", "command"),
    [
        *CASES,
        ("trickle", "plan"),
        pytest.param("trickle_http10", "plan", marks=HTTP10),
        pytest.param("trickle_poll", "apply", marks=POLL),
    ],
)
def test_hostile_server_gives_a_clear_error_in_bounded_time(
    tmp_path: Path, mode: str, command: str
) -> None:
    case = one_hostile(mode, command, tmp_path, cap=CAP, request_timeout="3", apply_timeout=4)
    assert case.ok, f"exit {case.rc} after {case.seconds:.1f} s: {case.problems} {case.message}"
