"""Kill anywhere: SIGKILL ``apply -c`` after the N-th request of a clean run's request log (for
every N), and at seeded random times while it polls its job; re-run at once; then require exit
0, a clean plan, exactly one job, one successful upload, no row sent by two jobs and no DNC
call repeated except the interrupted one."""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .harness import Kill, Run, facts, is_call, plan_clean, run_cli, simulator, tail
from .scenario import write_config

USER_ROWS = 5  # the scenario's plan: ana, the rename, the deactivation, two creates
DNC_CALLS = 5  # three adds, two removals, in batches of one


@dataclass
class KillCase:
    point: str
    killed: bool
    rerun_rc: int
    plan_rc: int
    jobs: int
    uploads_ok: int
    dnc_calls: int
    dnc_allowed: int
    rows_twice: int
    seconds: float
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problems(self) -> list[str]:
        out = []
        if self.rerun_rc != 0:
            out.append(f"re-run exit {self.rerun_rc}")
        if self.plan_rc != 0:
            out.append(f"plan exit {self.plan_rc}")
        if self.jobs != 1:
            out.append(f"{self.jobs} jobs")
        if self.uploads_ok != 1:
            out.append(f"{self.uploads_ok} uploads")
        if self.rows_twice:
            out.append(f"{self.rows_twice} rows sent twice")
        if self.dnc_calls > self.dnc_allowed:
            out.append(f"{self.dnc_calls} DNC calls (at most {self.dnc_allowed})")
        return out


@dataclass
class KillSettings:
    rate: float = 1.0  # simulator limit and client rate (the real platform's 1 request/s)
    row_delay: float = 1.2  # seconds per row: the job is in_progress for about 6 s
    poll_interval: float = 1.0
    random_kills: int = 6
    seed: int = 9
    points: list[int] | None = None  # None: every request boundary of the clean run
    client: float | None = None  # the client's rate (default: the simulator's, or 50 when off)

    def sim_options(self) -> dict[str, Any]:
        return {"rate_limit": self.rate, "row_delay": self.row_delay}

    @property
    def client_rate(self) -> float:
        if self.client is not None:
            return self.client
        return self.rate if self.rate > 0 else 50.0


def apply_args(config: Path, settings: KillSettings) -> list[str]:
    return [
        "apply", "-c", str(config), "--auto-approve", "--dnc-batch-size", "1",
        "--poll-interval", str(settings.poll_interval), "--timeout", "120",
    ]  # fmt: skip


def clean_run(settings: KillSettings, work: Path) -> tuple[int, Run]:
    """The scenario applied without a kill: the number of requests it makes."""
    cfg = write_config(work / "config")
    with simulator(**settings.sim_options()) as sim:
        env = sim.env(settings.client_rate, work)
        run = run_cli(apply_args(cfg, settings), env, work)
        return sim.count(), run


def one_kill(settings: KillSettings, work: Path, point: str, kill: Kill) -> KillCase:
    cfg = write_config(work / "config")
    started = time.monotonic()
    with simulator(**settings.sim_options()) as sim:
        env = sim.env(settings.client_rate, work)
        first = run_cli(apply_args(cfg, settings), env, work, sim=sim, kill=kill)
        sent_dnc = any(
            is_call(r, "POST", "outbound_dialer/dnc")
            or is_call(r, "POST", "outbound_dialer/dnc/remove")
            for r in sim.log
        )
        rerun = run_cli(apply_args(cfg, settings), env, work)
        sim.wait_jobs_settled()
        plan = plan_clean(cfg, env, work)
        f = facts(sim)
        return KillCase(
            point=point,
            killed=first.killed,
            rerun_rc=rerun.returncode,
            plan_rc=plan.returncode,
            jobs=f.jobs,
            uploads_ok=f.uploads_ok,
            dnc_calls=f.dnc_calls,
            dnc_allowed=DNC_CALLS + (1 if sent_dnc and first.killed else 0),
            rows_twice=f.rows_twice,
            seconds=time.monotonic() - started,
            detail=tail(rerun.stderr) if rerun.returncode else "",
        )


def _proceeded(r: dict[str, Any]) -> bool:
    return is_call(r, "POST", "bulk/users/proceed")


def kill_points(settings: KillSettings, n: int) -> list[tuple[str, Kill]]:
    points = settings.points if settings.points is not None else list(range(1, n + 1))
    out = [(f"after request {p}", Kill(after_requests=p)) for p in points]
    rng = random.Random(settings.seed)
    window = USER_ROWS * settings.row_delay + 0.5
    for _ in range(settings.random_kills):
        delay = round(rng.uniform(0.0, window), 2)
        out.append((f"{delay:.2f} s after proceed", Kill(when=_proceeded, delay=delay)))
    return out


@dataclass
class KillSummary:
    clean_requests: int
    clean_rc: int
    cases: list[KillCase]


def run_kills(settings: KillSettings, echo: Callable[[str], None] = print) -> KillSummary:
    with tempfile.TemporaryDirectory(prefix="rel-kill-") as tmp:
        n, clean = clean_run(settings, Path(tmp) / "clean")
        echo(f"kill: clean run {n} requests, exit {clean.returncode} ({clean.seconds:.1f} s)")
        cases = []
        for i, (point, kill) in enumerate(kill_points(settings, n)):
            case = one_kill(settings, Path(tmp) / f"k{i}", point, kill)
            cases.append(case)
            verdict = "ok" if case.ok else "FAIL: " + ", ".join(case.problems)
            echo(f"kill {point}: {verdict} ({case.seconds:.1f} s) {case.detail}")
        return KillSummary(n, clean.returncode, cases)
