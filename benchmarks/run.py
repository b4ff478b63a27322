"""`make bench`: scale and API-call benchmarks.

Generates a large tenant and its config (see generate.py; 50,000 users, 40 teams and 20,000 DNC
numbers by default, override with BENCH_USERS, BENCH_DNC, BENCH_DRIFT), starts the simulator
from the command line with its rate limit off, and measures each stage in its own Python
process so that CPU time and peak memory (max RSS) belong to that stage alone:

- load:   the config directory, parsed and validated (reconciler.config.load_config)
- fetch:  one template GET through the client, decoded into LiveState
- diff:   the pure diff of DesiredState and LiveState
- plan:   the `plan` command end to end with --base-ref and no DNC change (API calls counted)
- plan-dnc: `plan --base-ref HEAD~1` after a commit that edits BENCH_DNC_EDIT DNC entries: the
  changed numbers are planned from git as upserts, no checks (calls = 1)
- plan-dnc-check: the same with `--refresh changed`, a check per changed number (1 + edits)
- apply:  `apply --auto-approve --base-ref HEAD~1` of the drift (BENCH_DRIFT users differ) and
  the edited DNC entries (upserts in batches, no checks)
- plan-after: `plan --base-ref HEAD`, the applied commit (calls = 1, no DNC change)
- plan-budget: the nightly drift check, `plan --base-ref HEAD --refresh-budget BENCH_REFRESH_BUDGET`
  (500 by default: calls = 1 + 500, a full cycle of the DNC list in ceil(BENCH_DNC / 500) runs)
- apply-reassert: `apply --reassert-dnc`, every declared DNC number re-sent in batches of 500

API calls are counted from the simulator's request log, and the wall time they would take on
the real platform (1 request per second) is projected next to them. Results are printed as a
table and written to .bench/results.json.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench"
PY = sys.executable

USERS = int(os.environ.get("BENCH_USERS", "50000"))
DNC = int(os.environ.get("BENCH_DNC", "20000"))
DRIFT = int(os.environ.get("BENCH_DRIFT", "100"))
DNC_EDIT = int(os.environ.get("BENCH_DNC_EDIT", "10"))
BUDGET = int(os.environ.get("BENCH_REFRESH_BUDGET", "500"))

# Runs in a child process: executes STAGE code, then prints CPU seconds and max RSS as JSON.
MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    t0 = time.perf_counter()
    {body}
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print("BENCH " + json.dumps({{"wall_s": round(wall, 2),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
        "max_rss_mb": round(ru.ru_maxrss / 1024, 1), **extra}}))
    """
)

STAGES: dict[str, str] = {
    "load": """
from reconciler.config import load_config
res = load_config([CONFIG])
extra = {"users": len(res.state.users), "dnc": len(res.state.dnc)}
""",
    "fetch": """
from reconciler.platform import connect
from reconciler.state import Tenant
from reconciler.live import fetch_live
with connect(Tenant(subdomain="bench"), base_url=URL, token=TOKEN, rate=1000) as c:
    live = fetch_live(c)
extra = {"users": len(live.users), "calls": sum(c.calls.values())}
""",
    "diff": """
import time as _t
from datetime import UTC, datetime
from reconciler.config import load_config
from reconciler.diff import diff
from reconciler.live import fetch_live
from reconciler.platform import connect
from reconciler.state import Tenant
desired = load_config([CONFIG]).state
with connect(Tenant(subdomain="bench"), base_url=URL, token=TOKEN, rate=1000) as c:
    live = fetch_live(c)
d0 = _t.perf_counter()
plan = diff(desired, live, base=desired, now=datetime.now(UTC))
extra = {"diff_only_s": round(_t.perf_counter() - d0, 2), "user_changes": len(plan.user_changes)}
""",
}


def sh(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=3600
    )
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout


def measure(name: str, consts: dict[str, str]) -> dict[str, Any]:
    prelude = "".join(f"{k} = {v!r}\n" for k, v in consts.items())
    body = prelude + textwrap.dedent(STAGES[name])
    code = MEASURE.format(body=body)
    out = sh(PY, "-c", code)
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH "))
    return json.loads(line[6:])


def measure_cli(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run a CLI command under /usr/bin/time-like accounting (resource of the child)."""
    code = textwrap.dedent(
        f"""
        import json, resource, subprocess, sys, time
        t0 = time.perf_counter()
        p = subprocess.run({[PY, "-m", "reconciler", *args]!r}, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        sys.stderr.write(p.stderr[-2000:])
        print("BENCH " + json.dumps({{"wall_s": round(wall, 2), "exit": p.returncode,
            "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
            "max_rss_mb": round(ru.ru_maxrss / 1024, 1)}}))
        """
    )
    out = sh(PY, "-c", code, cwd=cwd, env=env)
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH "))
    return json.loads(line[6:])


class Simulator:
    def __init__(self, seed: Path, log: Path) -> None:
        self.log = log
        log.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [
                *(PY, "-m", "reconciler", "simulator", "--seed", str(seed), "--port", "0"),
                *("--rate-limit", "0", "--validation-delay", "0.2", "--request-log", str(log)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()  # blocks until the server prints its ready line
        m = re.search(r"serving tenant (\S+) at (\S+)", ready)
        if not m:
            self.proc.kill()
            raise SystemExit(f"simulator did not start: {ready!r}")
        self.subdomain, self.url = m.group(1), m.group(2)

    def calls(self) -> Counter[str]:
        if not self.log.exists():
            return Counter()
        counts: Counter[str] = Counter()
        for line in self.log.read_text().splitlines():
            rec = json.loads(line)
            path = re.sub(r"/\d+$", "/{id}", rec["path"].replace("/apps/api/v1", ""))
            counts[f"{rec['method']} {path}"] += 1
        return counts

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def git(repo: Path, *args: str) -> None:
    sh("git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args, cwd=repo)


def main() -> None:
    data = OUT / f"u{USERS}-d{DNC}-x{DRIFT}"
    if not (data / "tenant.json").exists():
        print(f"generating {USERS} users, {DNC} DNC numbers ...", file=sys.stderr)
        gen = [PY, str(ROOT / "benchmarks" / "generate.py"), str(data)]
        sh(*gen, "--users", str(USERS), "--dnc", str(DNC), "--drift", str(DRIFT))
    config = data / "config"
    size_mb = sum(f.stat().st_size for f in config.rglob("*.yaml")) / 1e6
    results: dict[str, Any] = {
        "users": USERS,
        "dnc": DNC,
        "drift": DRIFT,
        "config_mb": round(size_mb, 1),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }

    print("load ...", file=sys.stderr)
    results["load"] = measure("load", {"CONFIG": str(config)})

    # A git repo of the config for --base-ref (plumbing reads the base without a checkout).
    repo = OUT / "repo"
    if repo.exists():
        sh("rm", "-rf", str(repo))
    sh("cp", "-r", str(config), str(repo))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")

    sim = Simulator(data / "tenant.json", OUT / "requests.jsonl")
    try:
        env = {**os.environ, "CCAI_BASE_URL": sim.url, "CCAI_API_TOKEN": "bench-token"}
        consts = {"CONFIG": str(config), "URL": sim.url, "TOKEN": "bench-token"}
        print("fetch ...", file=sys.stderr)
        results["fetch"] = measure("fetch", consts)
        print("diff ...", file=sys.stderr)
        results["diff"] = measure("diff", consts)

        def cli(name: str, args: list[str]) -> None:
            before = sim.calls()
            print(f"{name} ...", file=sys.stderr)
            res = measure_cli(args, env, repo)
            calls = sim.calls() - before
            res["calls"] = dict(calls)
            res["calls_total"] = sum(calls.values())
            res["seconds_at_1rps"] = res["calls_total"]
            results[name] = res

        common = ["--rate", "1000", "--format", "json"]
        cli("plan", ["plan", "-c", ".", "--base-ref", "HEAD", *common, "--out", "plan.json"])

        dnc = repo / "dnc.yaml"
        lines = dnc.read_text().splitlines(keepends=True)
        for i in range(1, 1 + min(DNC_EDIT, len(lines) - 1)):  # change the expiry of N entries
            num = lines[i].strip()[2:].strip('"')
            lines[i] = f'  - {{phone_number: "{num}", expires_at: "2031-01-01 00:00:00 UTC"}}\n'
        dnc.write_text("".join(lines))
        git(repo, "commit", "-qam", "edit dnc")
        cli("plan-dnc", ["plan", "-c", ".", "--base-ref", "HEAD~1", *common])
        checked = ["--refresh", "changed"]
        cli("plan-dnc-check", ["plan", "-c", ".", "--base-ref", "HEAD~1", *checked, *common])

        apply = ["apply", "-c", ".", "--auto-approve", "--rate", "1000"]
        cli("apply", [*apply, "--base-ref", "HEAD~1"])
        cli("plan-after", ["plan", "-c", ".", "--base-ref", "HEAD", *common])
        budget = ["--refresh-budget", str(BUDGET), "--refresh-slot", "0"]
        cli("plan-budget", ["plan", "-c", ".", "--base-ref", "HEAD", *budget, *common])
        reassert = ["apply", "-c", ".", "--base-ref", "HEAD", "--auto-approve", "--rate", "1000"]
        cli("apply-reassert", [*reassert, "--reassert-dnc"])
    finally:
        sim.stop()

    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print_table(results)


def print_table(r: dict[str, Any]) -> None:
    print(
        f"\nccai-reconciler benchmark: {r['users']:,} users, {r['dnc']:,} DNC numbers, "
        f"{r['drift']} drifted users, config {r['config_mb']} MB "
        f"(Python {r['python']}, {r['cpus']} CPUs)\n"
    )
    print(f"{'stage':<14} {'wall s':>8} {'cpu s':>8} {'max RSS MB':>11} {'API calls':>10}  notes")
    stages = ("load", "fetch", "diff", "plan", "plan-dnc", "plan-dnc-check", "apply")
    stages += ("plan-after", "plan-budget", "apply-reassert")
    for stage in stages:
        s = r.get(stage)
        if not s:
            continue
        calls = s.get("calls_total", s.get("calls", ""))
        notes = ", ".join(
            f"{k}={v}"
            for k, v in s.items()
            if k not in {"wall_s", "cpu_s", "max_rss_mb", "calls", "calls_total"}
        )
        if isinstance(s.get("calls"), dict) and s["calls"]:
            notes += (", " if notes else "") + " ".join(f"{k}:{v}" for k, v in s["calls"].items())
        print(
            f"{stage:<14} {s['wall_s']:>8} {s['cpu_s']:>8} {s['max_rss_mb']:>11} "
            f"{calls!s:>10}  {notes}"
        )
    print("\nAPI calls cost one second each on the real platform (1 request/second).")


if __name__ == "__main__":
    main()
