"""Faults: the scenario applied against a simulator injecting 5xx, spurious 429s, connection
resets (before and after the server applied the request) and latency, for 30+ fault seeds;
and a simulator restarted mid-job on its ``--state`` file with ``apply`` killed too. Each
must converge (re-running ``apply -c`` a bounded number of times) to exactly the tenant a
fault-free run produces, with one job per plan and no row sent by two jobs."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .harness import Kill, Sim, facts, is_call, run_cli, simulator, tail
from .scenario import write_config

SPEC = "5xx=0.1,429=0.05,reset=0.05,latency=0.2"
MAX_ATTEMPTS = 4


@dataclass
class FaultCase:
    name: str
    attempts: int
    converged: bool
    same_as_clean: bool
    jobs: int
    jobs_per_plan: int
    rows_twice: int
    seconds: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def tenant_image(sim: Sim) -> dict[str, Any]:
    """What a run must leave behind: the users (without ids) and the DNC list."""
    users = sorted(
        ({k: v for k, v in u.items() if k != "id"} for u in sim.handle.tenant.users_snapshot()),
        key=lambda u: u["email"].lower(),
    )
    return {"users": users, "dnc": dict(sorted(sim.handle.tenant.dnc_snapshot().items()))}


def _args(cfg: Path) -> list[str]:
    return [
        "apply", "-c", str(cfg), "--auto-approve", "--dnc-batch-size", "1",
        "--poll-interval", "0.1", "--timeout", "60",
    ]  # fmt: skip


def reference_image(work: Path, row_delay: float) -> dict[str, Any]:
    cfg = write_config(work / "config")
    with simulator(rate_limit=0.0, row_delay=row_delay) as sim:
        run = run_cli(_args(cfg), sim.env(50.0, work), work)
        assert run.returncode == 0, run.output
        return tenant_image(sim)


def _judge(case: FaultCase, sim: Sim, expected: dict[str, Any], last_output: str) -> FaultCase:
    sim.wait_jobs_settled()
    f = facts(sim)
    case.jobs, case.rows_twice = f.jobs, f.rows_twice
    case.jobs_per_plan = max(f.filenames.values(), default=0)
    case.same_as_clean = tenant_image(sim) == expected
    if not case.converged:
        case.problems.append(f"not converged in {case.attempts} runs: {tail(last_output)}")
    if not case.same_as_clean:
        case.problems.append("tenant differs from the fault-free run")
    if case.jobs_per_plan > 1:
        case.problems.append(f"{case.jobs_per_plan} jobs for one plan")
    if case.rows_twice:
        case.problems.append(f"{case.rows_twice} rows sent by two jobs")
    return case


def one_fault_seed(seed: int, work: Path, expected: dict[str, Any], row_delay: float) -> FaultCase:
    cfg = write_config(work / "config")
    started = time.monotonic()
    with simulator(rate_limit=0.0, row_delay=row_delay, faults=SPEC, fault_seed=seed) as sim:
        env = sim.env(50.0, work)
        case = FaultCase(f"seed {seed}", 0, False, False, 0, 0, 0, 0.0)
        output = ""
        while case.attempts < MAX_ATTEMPTS and not case.converged:
            case.attempts += 1
            run = run_cli(_args(cfg), env, work)
            output = run.output
            if "Traceback" in output:
                case.problems.append("traceback: " + tail(run.stderr))
            case.converged = run.returncode == 0
        case.seconds = time.monotonic() - started
        return _judge(case, sim, expected, output)


def one_restart(delay: float, work: Path, expected: dict[str, Any], row_delay: float) -> FaultCase:
    """Kill apply ``delay`` s after its proceed, stop the simulator (its state file holds the
    half-done job), start a new one on the state file, re-run apply."""
    cfg = write_config(work / "config")
    state = work / "state.json"
    started = time.monotonic()
    case = FaultCase(f"restart {delay:g} s after proceed", 1, False, False, 0, 0, 0, 0.0)
    with simulator(rate_limit=0.0, row_delay=row_delay, state_file=state) as sim:
        kill = Kill(when=lambda r: is_call(r, "POST", "bulk/users/proceed"), delay=delay)
        run_cli(_args(cfg), sim.env(50.0, work), work, sim=sim, kill=kill)
    with simulator(None, rate_limit=0.0, row_delay=row_delay, state_file=state) as sim:
        output = ""
        while case.attempts <= MAX_ATTEMPTS and not case.converged:
            case.attempts += 1
            run = run_cli(_args(cfg), sim.env(50.0, work), work)
            output = run.output
            case.converged = run.returncode == 0
        case.seconds = time.monotonic() - started
        return _judge(case, sim, expected, output)


def run_faults(
    seeds: range = range(1, 33),
    restarts: tuple[float, ...] = (0.1, 0.6, 1.2),
    row_delay: float = 0.3,
    echo: Callable[[str], None] = print,
) -> list[FaultCase]:
    cases = []
    with tempfile.TemporaryDirectory(prefix="rel-fault-") as tmp:
        expected = reference_image(Path(tmp) / "ref", row_delay)
        for s in seeds:
            cases.append(one_fault_seed(s, Path(tmp) / f"s{s}", expected, row_delay))
        for d in restarts:
            cases.append(one_restart(d, Path(tmp) / f"r{d}", expected, row_delay))
        for c in cases:
            verdict = "ok" if c.ok else "FAIL: " + "; ".join(c.problems)
            echo(f"faults {c.name}: {c.attempts} run(s), {verdict} ({c.seconds:.1f} s)")
    return cases
