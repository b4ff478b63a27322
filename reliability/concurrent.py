"""Concurrent runs: ``apply -c A`` and ``apply -c B`` (each changes one user and declares the
other as the tenant had it) started OFFSET seconds apart, and two saved plans made from one
state applied OFFSET seconds apart. With saved plans exactly one may apply and the other must
be refused as stale (exit 1); with ``-c`` both converge and the tenant ends up planning clean
against the config of the run whose job was proceeded last (no job computed from a stale
view)."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .harness import Run, facts, finish, plan_clean, run_cli, simulator, start_cli, tail
from .scenario import CONFIG_A, CONFIG_B, write_config

STALE = re.compile(r"changed (the tenant )?since|stale|run plan again", re.IGNORECASE)


@dataclass
class PairCase:
    mode: str  # "-c" or "saved"
    rate: float
    offset: float
    rcs: tuple[int, int]
    proceeded: int
    clean_against: list[str]  # the configs the final tenant plans clean against
    last: str | None  # the run whose job was proceeded last
    seconds: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _job_of(run: Run) -> int | None:
    found = re.findall(r"^job (\d+) \(", run.stdout, re.MULTILINE)
    return int(found[-1]) if found else None


def _race(args_a: list[str], args_b: list[str], env: dict[str, str], cwd: Path, offset: float):
    t0 = time.monotonic()
    a = start_cli(args_a, env, cwd)
    time.sleep(offset)  # the scenario: the second CI run starts OFFSET seconds later
    t1 = time.monotonic()
    b = start_cli(args_b, env, cwd)
    return finish(a, t0), finish(b, t1)


def one_pair(mode: str, rate: float, offset: float, work: Path, row_delay: float = 0.5) -> PairCase:
    cfg = {"A": write_config(work / "a", CONFIG_A), "B": write_config(work / "b", CONFIG_B)}
    client_rate = rate if rate > 0 else 50.0
    started = time.monotonic()
    with simulator(rate_limit=rate, row_delay=row_delay) as sim:
        env = sim.env(client_rate, work)
        common = [
            "--auto-approve",
            "--poll-interval",
            "0.2" if rate == 0 else "1",
            "--timeout",
            "120",
        ]
        if mode == "saved":
            for name in ("A", "B"):
                made = run_cli(
                    ["plan", "-c", str(cfg[name]), "--out", str(work / f"{name}.json")], env, work
                )
                assert made.returncode == 0, made.output
            args = {n: ["apply", str(work / f"{n}.json"), *common] for n in ("A", "B")}
        else:
            args = {n: ["apply", "-c", str(cfg[n]), *common] for n in ("A", "B")}
        run_a, run_b = _race(args["A"], args["B"], env, work, offset)
        sim.wait_jobs_settled()
        f = facts(sim)
        by_job = {_job_of(run_a): "A", _job_of(run_b): "B"}
        proceeded = sorted(
            (j for j in sim.jobs() if j.process_requested_at is not None),
            key=lambda j: j.process_requested_at,
        )
        last = by_job.get(proceeded[-1].id) if proceeded else None
        clean = [n for n in ("A", "B") if plan_clean(cfg[n], env, work).returncode == 0]
    case = PairCase(mode, rate, offset, (run_a.returncode, run_b.returncode), f.proceeded,
                    clean, last, time.monotonic() - started)  # fmt: skip
    runs = {"A": run_a, "B": run_b}
    if mode == "saved":
        winners = [n for n, r in runs.items() if r.returncode == 0]
        if len(winners) != 1:
            case.problems.append(f"{len(winners)} saved plans applied")
        for n, r in runs.items():
            if r.returncode != 0 and not STALE.search(r.output):
                case.problems.append(f"{n} failed without saying stale: {tail(r.stderr)}")
        if f.proceeded != 1:
            case.problems.append(f"{f.proceeded} jobs proceeded")
    else:
        for n, r in runs.items():
            if r.returncode != 0:
                case.problems.append(f"{n} exit {r.returncode}: {tail(r.stderr)}")
    if last is None or last not in clean:
        case.problems.append(
            f"tenant plans clean against {clean or 'neither'}, last proceeded {last}"
        )
    return case


def run_pairs(
    rates: tuple[float, ...] = (0.0, 1.0),
    offsets: tuple[float, ...] = (0.0, 0.3, 1.0, 2.0),
    modes: tuple[str, ...] = ("-c", "saved"),
    echo: Callable[[str], None] = print,
) -> list[PairCase]:
    cases = []
    with tempfile.TemporaryDirectory(prefix="rel-pair-") as tmp:
        i = 0
        for rate in rates:
            for mode in modes:
                for offset in offsets:
                    i += 1
                    case = one_pair(mode, rate, offset, Path(tmp) / f"p{i}")
                    cases.append(case)
                    verdict = "ok" if case.ok else "FAIL: " + "; ".join(case.problems)
                    echo(f"pair {mode} rate {rate:g} offset {offset:g}: exits {case.rcs} "
                         f"{verdict} ({case.seconds:.1f} s)")  # fmt: skip
    return cases
