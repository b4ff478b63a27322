"""``make reliability`` (``python -m reliability``): run the campaign and print its figures.

    python -m reliability [--quick] [--parts kill,pairs,faults,hostile] [--rate RPS]

The full campaign kills at rate 1 (the platform's limit) at every request boundary of a clean
run and takes about half an hour; --quick runs the kills with the rate limit off and fewer
races and fault seeds (a few minutes). Results go to .reliability/results.json; the exit code
is 1 when any case fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from .concurrent import run_pairs
from .faults import run_faults
from .hostile import run_hostile
from .kills import KillSettings, run_kills

OUT = Path(__file__).resolve().parent.parent / ".reliability"
Row = tuple[str, str, str, str]


class _Case(Protocol):
    @property
    def ok(self) -> bool: ...

    seconds: float


def log(line: str) -> None:
    print(line, flush=True)


def _timing(cases: Sequence[_Case], started: float) -> str:
    median = statistics.median([c.seconds for c in cases]) if cases else 0.0
    return f"median {median:.1f} s/case, {time.monotonic() - started:.0f} s in all"


def _failed(cases: Sequence[_Case]) -> str:
    return f"{sum(1 for c in cases if not c.ok)} failed"


def kill_part(quick: bool, rate: float | None, seed: int) -> tuple[Row, Any]:
    if quick:
        ks = KillSettings(rate=0.0, row_delay=0.4, poll_interval=0.1, client=5.0, seed=seed)
    else:
        ks = KillSettings(seed=seed)
    if rate is not None:
        ks.rate = rate
    t0 = time.monotonic()
    k = run_kills(ks, echo=log)
    c = k.cases
    figures = [
        f"jobs per plan max {max((x.jobs for x in c), default=0)}",
        f"{sum(1 for x in c if x.jobs > 1)} ended with two jobs",
        f"{sum(x.rows_twice for x in c)} rows re-sent",
        f"{sum(1 for x in c if x.dnc_calls > x.dnc_allowed)} repeated a DNC call",
        f"{sum(1 for x in c if x.rerun_rc)} re-runs exit != 0",
        _timing(c, t0),
    ]
    what = (
        f"{len(c)} kill points ({k.clean_requests} request boundaries + {ks.random_kills} "
        f"random while polling; simulator rate {ks.rate:g}, client {ks.client_rate:g})"
    )
    data = {
        "clean_requests": k.clean_requests,
        "cases": [asdict(x) | {"problems": x.problems} for x in c],
    }
    return ("kill anywhere", what, _failed(c), "; ".join(figures)), data


def pairs_part(quick: bool) -> tuple[Row, Any]:
    offsets = (0.0, 0.3, 1.0) if quick else (0.0, 0.3, 1.0, 2.0)
    t0 = time.monotonic()
    p = run_pairs(offsets=offsets, echo=log)
    figures = [
        f"{sum(1 for x in p if x.mode == 'saved' and x.rcs == (0, 0))} saved-plan races "
        "applied both",
        f"{sum(1 for x in p if not x.clean_against)} ended matching neither config",
        _timing(p, t0),
    ]
    shown = ", ".join(map(str, offsets))
    what = f"{len(p)} races (-c and saved plans; rate 0 and 1; offsets {shown} s)"
    return ("concurrent runs", what, _failed(p), "; ".join(figures)), [asdict(x) for x in p]


def faults_part(quick: bool) -> tuple[Row, Any]:
    seeds = range(1, 13) if quick else range(1, 33)
    t0 = time.monotonic()
    f = run_faults(seeds=seeds, echo=log)
    figures = [
        f"jobs per plan max {max((x.jobs_per_plan for x in f), default=0)}",
        f"{sum(x.rows_twice for x in f)} rows sent by two jobs",
        f"{sum(1 for x in f if not x.same_as_clean)} tenants differ from a fault-free run",
        f"runs to converge max {max((x.attempts for x in f), default=0)}",
        _timing(f, t0),
    ]
    what = f"{len(seeds)} fault seeds + {len(f) - len(seeds)} simulator restarts mid-job"
    return ("faults", what, _failed(f), "; ".join(figures)), [asdict(x) for x in f]


def hostile_part() -> tuple[Row, Any]:
    t0 = time.monotonic()
    h = run_hostile(echo=log)
    trickle = [x.seconds for x in h if x.mode.startswith("trickle")]
    figures = [
        f"trickle bound {max(trickle, default=0):.1f} s",
        f"slowest case {max((x.seconds for x in h), default=0):.1f} s",
        _timing(h, t0),
    ]
    row = ("hostile server", f"{len(h)} cases", _failed(h), "; ".join(figures))
    return row, [asdict(x) for x in h]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a fast rate and fewer cases")
    parser.add_argument("--parts", default="kill,pairs,faults,hostile")
    parser.add_argument("--rate", type=float, default=None, help="kill campaign rate (req/s)")
    parser.add_argument("--seed", type=int, default=9, help="seed of the random kills")
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    rows: list[Row] = []
    results: dict[str, Any] = {}
    for part in parts:
        if part == "kill":
            row, data = kill_part(args.quick, args.rate, args.seed)
        elif part == "pairs":
            row, data = pairs_part(args.quick)
        elif part == "faults":
            row, data = faults_part(args.quick)
        elif part == "hostile":
            row, data = hostile_part()
        else:
            parser.error(f"unknown part {part!r}")
        rows.append(row)
        results[part] = data
    print()
    print("| part | cases | failures | figures |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps({"table": rows, **results}, indent=1, default=str))
    return 1 if any(r[2] != "0 failed" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
