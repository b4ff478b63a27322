"""The campaign's harness: a simulator in this process (its request log wakes us on every
request), the CLI in subprocesses (killed on a request count or a time), and the facts checked
afterwards (jobs, uploads, DNC calls, rows sent by two jobs, a clean plan)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.simulator import SimulatorHandle, start_simulator

from .scenario import TOKEN, seed

PREFIX = "/apps/api/v1/"
CLI_TIMEOUT = 180.0  # no single CLI run of the campaign may take longer (a hang is a finding)


class _NotifyingLog(list[dict[str, Any]]):
    """The simulator's request log, notifying a condition on every entry."""

    def __init__(self, cond: threading.Condition) -> None:
        super().__init__()
        self.cond = cond

    def append(self, item: dict[str, Any]) -> None:
        super().append(item)
        with self.cond:
            self.cond.notify_all()


class Sim:
    """A simulator on a free loopback port whose request log can be waited on."""

    def __init__(self, tenant_seed: dict[str, Any] | None = None, **options: Any) -> None:
        options.setdefault("validation_delay", 0.2)
        self.options = options
        self.cond = threading.Condition()
        self.handle: SimulatorHandle = start_simulator(
            tenant_seed if tenant_seed is not None else seed(), **options
        )
        self.handle.app.requests = _NotifyingLog(self.cond)

    def stop(self) -> None:
        self.handle.stop()

    @property
    def log(self) -> list[dict[str, Any]]:
        return self.handle.requests

    def count(self) -> int:
        return len(self.handle.app.requests)

    def env(self, rate: float, workdir: Path) -> dict[str, str]:
        return cli_env(self.handle.base_url, rate, workdir, self.handle.subdomain)

    def jobs(self) -> list[Any]:
        with self.handle.tenant.lock:
            return sorted(self.handle.tenant.jobs.values(), key=lambda j: j.id)

    def wait_jobs_settled(self, timeout: float = 60.0) -> bool:
        """Wait (on the tenant's condition) until no proceeded job is still running."""
        return self.handle.tenant.wait_for(
            lambda t: all(j.status != "in_progress" for j in t.jobs.values()), timeout=timeout
        )


@contextmanager
def simulator(tenant_seed: dict[str, Any] | None = None, **options: Any) -> Iterator[Sim]:
    sim = Sim(tenant_seed, **options)
    try:
        yield sim
    finally:
        sim.stop()


def cli_env(base_url: str, rate: float, workdir: Path, subdomain: str = "acme") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCAI_")}
    env.update(
        CCAI_BASE_URL=base_url,
        CCAI_API_TOKEN=TOKEN,
        CCAI_SUBDOMAIN=subdomain,
        CCAI_RATE=str(rate),
        CCAI_CACHE_DIR=str(workdir / "cache"),  # the shared pace file, private to the campaign
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    killed: bool = False

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Kill:
    """When to SIGKILL a run: after the log holds ``after_requests`` more entries than at the
    start, or ``delay`` seconds after the first entry ``when`` accepts."""

    after_requests: int | None = None
    when: Callable[[dict[str, Any]], bool] | None = None
    delay: float = 0.0


def start_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(
    proc: subprocess.Popen[str], started: float, timeout: float = CLI_TIMEOUT, killed: bool = False
) -> Run:
    try:
        out, err = proc.communicate(timeout=max(0.1, timeout - (time.monotonic() - started)))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n[campaign: killed after {timeout:.0f} s without an answer]"
        return Run(_cli_args(proc), -9, out, err, time.monotonic() - started, True)
    rc = proc.returncode
    return Run(_cli_args(proc), rc, out, err, time.monotonic() - started, killed)


def _cli_args(proc: subprocess.Popen[str]) -> list[str]:
    args = proc.args
    return [str(a) for a in args][3:] if isinstance(args, list) else [str(args)]


def run_cli(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    *,
    sim: Sim | None = None,
    kill: Kill | None = None,
    timeout: float = CLI_TIMEOUT,
) -> Run:
    """Run the CLI; with ``kill``, SIGKILL it at that point of the simulator's log."""
    started = time.monotonic()
    base = sim.count() if sim is not None else 0
    proc = start_cli(args, env, cwd)
    if kill is None or sim is None:
        return finish(proc, started, timeout)
    log = sim.handle.app.requests
    deadline = started + timeout

    def reached() -> bool:
        if kill.after_requests is not None:
            return len(log) - base >= kill.after_requests
        assert kill.when is not None
        return any(kill.when(r) for r in log[base:])

    with sim.cond:
        while not reached() and proc.poll() is None and time.monotonic() < deadline:
            sim.cond.wait(0.2)
    if proc.poll() is None and reached():
        if kill.delay:
            with suppress(subprocess.TimeoutExpired):
                proc.wait(kill.delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            return finish(proc, started, timeout, killed=True)
    return finish(proc, started, timeout)


def is_call(r: dict[str, Any], method: str, endpoint: str) -> bool:
    return r["method"] == method and r["path"] == PREFIX + endpoint


def reached_server(r: dict[str, Any]) -> bool:
    """Possibly applied: a 2xx, or a dropped connection (the simulator may have applied it)."""
    return r["status"] is None or 200 <= r["status"] < 300


@dataclass
class Facts:
    jobs: int
    proceeded: int
    uploads_ok: int
    dnc_calls: int
    rows_twice: int
    filenames: Counter[str] = field(default_factory=Counter)


def facts(sim: Sim) -> Facts:
    jobs = sim.jobs()
    log = sim.log
    proceeded = [j for j in jobs if j.process_requested_at is not None or j.status == "finished"]
    touched: Counter[str] = Counter()
    for job in proceeded:
        for row in job.rows if isinstance(job.rows, list) else []:
            if isinstance(row, dict):
                touched[str(row.get("email", "")).lower()] += 1
    return Facts(
        jobs=len(jobs),
        proceeded=len(proceeded),
        uploads_ok=sum(
            1 for r in log if is_call(r, "POST", "bulk/users/upload") and reached_server(r)
        ),
        dnc_calls=sum(
            1
            for r in log
            if (
                is_call(r, "POST", "outbound_dialer/dnc")
                or is_call(r, "POST", "outbound_dialer/dnc/remove")
            )
            and reached_server(r)
        ),
        rows_twice=sum(n - 1 for n in touched.values() if n > 1),
        filenames=Counter(j.filename for j in jobs),
    )


def plan_clean(config: Path, env: dict[str, str], cwd: Path) -> Run:
    """``plan -c CONFIG --detailed-exitcode``: 0 is clean, 2 has changes, 1 an error."""
    return run_cli(["plan", "-c", str(config), "--detailed-exitcode"], env, cwd)


def tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])
