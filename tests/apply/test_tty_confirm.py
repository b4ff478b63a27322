"""On a terminal, apply asks before changing anything (a real pseudo-terminal, a subprocess)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reconciler.simulator import SimulatorHandle
from tests.helpers import cli_env, foreign_job

from .helpers import client_for, write_config

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")


def read_until(fd: int, needle: bytes, proc: subprocess.Popen[bytes], deadline: float) -> bytes:
    """Read from the pty until ``needle`` shows up or the process ends (bounded)."""
    out = b""
    while needle not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {needle!r}; got {out!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    return out


PROMPT = b"Apply these changes to the tenant?"


@contextmanager
def apply_on_tty(
    sim: SimulatorHandle, cfg: Path, *extra: str
) -> Iterator[tuple[int, subprocess.Popen[bytes], float]]:
    """``apply -c cfg`` in a subprocess on a real pseudo-terminal: (pty master, process,
    deadline). The process is killed and the pty closed afterwards."""
    master, slave = pty.openpty()
    env = cli_env(sim, inherit=True, NO_COLOR="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            "-c",
            str(cfg),
            "--poll-interval",
            "0.01",
            *extra,
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    try:
        yield master, proc, time.monotonic() + 60
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def read_to_end(fd: int, proc: subprocess.Popen[bytes], deadline: float) -> tuple[int, bytes]:
    out = read_until(fd, b"\x00never\x00", proc, deadline)
    return proc.wait(timeout=max(1.0, deadline - time.monotonic())), out


def run_on_tty(sim: SimulatorHandle, cfg: Path, answer: bytes, *extra: str) -> tuple[int, str]:
    with apply_on_tty(sim, cfg, *extra) as (master, proc, deadline):
        out = read_until(master, PROMPT, proc, deadline)
        os.write(master, answer + b"\n")
        code, rest = read_to_end(master, proc, deadline)
    return code, (out + rest).decode(errors="replace")


@pytest.mark.slow
def test_terminal_confirmation(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    report = tmp_path / "r.json"
    code, out = run_on_tty(sim, cfg, b"n", "--report", str(report))
    assert code == 1, out
    assert "Plan:" in out and "Aborted" in out
    assert json.loads(report.read_text())["outcome"] == "refused"  # not confirmed
    assert not [r for r in sim.requests if r["method"] == "POST"]
    code, out = run_on_tty(sim, cfg, b"y")
    assert code == 0, out
    assert "Applied: 1 user created" in out


@pytest.mark.slow
def test_a_plan_made_again_after_a_foreign_job_is_confirmed_again(
    simulator, tmp_path: Path
) -> None:
    # The plan shown first was confirmed; then another job changed the tenant, apply waited for
    # it and planned again. The new plan is a different change set: it is asked about too.
    sim = simulator(faults="stall=job,stall_time=2")
    cfg = write_config(tmp_path)
    with apply_on_tty(sim, cfg) as (master, proc, deadline):
        out = read_until(master, PROMPT, proc, deadline)
        # The plan is made; now someone else's job starts changing the tenant.
        with client_for(sim) as client:
            foreign_job(
                sim,
                client,
                [{"email": "ana@acme-corp.com", "first_name": "Ana", "last_name": "Lopez-Diaz"}],
                "someone-else.json",
                finish=False,
            )
        os.write(master, b"y\n")
        out += read_until(master, b"planning again", proc, deadline)
        out += read_until(master, PROMPT, proc, deadline)
        asked_again = out.count(PROMPT) == 2
        if asked_again:
            os.write(master, b"n\n")
        code, rest = read_to_end(master, proc, deadline)
        out += rest
    text = out.decode(errors="replace")
    assert asked_again, text
    assert code == 1 and "Aborted" in text, text
    with sim.tenant.lock:
        # The job uploaded for the first plan saw, right before proceed, that the other job had
        # started: it was retired (renamed, never proceeded), and nothing else was uploaded.
        names = [(j.filename, j.process_requested_at) for j in sim.tenant.jobs.values()]
    assert names[0][0] == "someone-else.json"
    assert [n for n, _ in names[1:]] == [n for n, _ in names[1:] if n.endswith(".retired.json")]
    assert all(requested is None for _, requested in names[1:])
