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
the real platform (1 request per second) is projected next to them.

Then the cost of a no-change `plan --base-ref HEAD` against the floor (issue 12 section 3), for
each size in BENCH_SIZES (default 1000,10000,50000; DNC numbers scale with the users, BENCH_DNC
per BENCH_USERS) and both config styles (group-centric `config/` and user-centric `config-user/`,
see generate.py): the plan's CPU seconds, peak RSS and API calls, each in a child process
(resource.getrusage), next to the floor measured in the same run: ijson's C backend streaming the
template (the same `ijson.items(..., "item")` the client uses) plus PyYAML's C composer
(`yaml.compose` with CSafeLoader) over the config files. The ratio plan CPU / floor CPU is shown
against the goal 0.75, the peak RSS against 200 MB. BENCH_REPEAT=N measures N rounds (each the
floor's two parts, then the plan, one after the other: the machine's speed drifts during a run)
and keeps the least CPU of each figure (noise on a shared machine only ever adds); the ratio of
each round is printed too.

Last, the change set of issue 12 section 1 (benchmarks/changeset.py: 6,000 users and 2,500 DNC
numbers, a commit that changes 5,000 last names, adds 2,000 numbers and deletes 500): the calls
of its plan and apply against their goals.

BENCH_PARTS picks what runs: `calls` (the scenarios above), `scale` (the table against the
floor), `changeset`; all by default. Results are printed as tables and written to
.bench/results.json.
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

import requests

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench"
PY = sys.executable

USERS = int(os.environ.get("BENCH_USERS", "50000"))
DNC = int(os.environ.get("BENCH_DNC", "20000"))
DRIFT = int(os.environ.get("BENCH_DRIFT", "100"))
DNC_EDIT = int(os.environ.get("BENCH_DNC_EDIT", "10"))
BUDGET = int(os.environ.get("BENCH_REFRESH_BUDGET", "500"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,50000").split(",") if n]
PARTS = set(os.environ.get("BENCH_PARTS", "calls,scale,changeset").split(","))
REPEAT = max(1, int(os.environ.get("BENCH_REPEAT", "1")))
CPU_GOAL = 0.75  # plan CPU at most this times the floor's (issue 12: at 50,000 users)
GOAL_USERS = 50_000
RSS_GOAL_MB = 200.0
STYLES = {"group": "config", "user": "config-user"}  # generate.py's two config directories

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
    # The floor: what merely parsing the inputs costs, with the fastest parsers at hand.
    "floor-template": """
import ijson
with open(TEMPLATE, "rb") as f:
    rows = sum(1 for _ in ijson.items(f, "item", use_float=True))
extra = {"rows": rows, "ijson_backend": ijson.backend}
""",
    "floor-config": """
from pathlib import Path
import yaml
files = sorted(p for p in Path(CONFIG).rglob("*") if p.suffix in (".yaml", ".yml"))
for path in files:
    yaml.compose(path.read_text(), Loader=yaml.CSafeLoader)
extra = {"files": len(files)}
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


def ensure_data(users: int, dnc: int, drift: int) -> Path:
    """The generated tenant and its configs for this size (generated once, kept in .bench)."""
    data = OUT / f"u{users}-d{dnc}-x{drift}"
    if not (data / "config-user").exists():
        print(f"generating {users} users, {dnc} DNC numbers ...", file=sys.stderr)
        gen = [PY, str(ROOT / "benchmarks" / "generate.py"), str(data)]
        sh(*gen, "--users", str(users), "--dnc", str(dnc), "--drift", str(drift))
    return data


def make_repo(config: Path, repo: Path) -> Path:
    """A git repo of the config for --base-ref (plumbing reads the base without a checkout)."""
    if repo.exists():
        sh("rm", "-rf", str(repo))
    sh("cp", "-r", str(config), str(repo))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    return repo


def least(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: r["cpu_s"])


def main() -> None:
    results: dict[str, Any] = {
        "users": USERS,
        "dnc": DNC,
        "drift": DRIFT,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    # The package's bytecode, compiled once as an install compiles it (and as the floor's
    # ijson and PyYAML are): with PYTHONDONTWRITEBYTECODE set, every measured run would
    # otherwise compile reconciler's sources again (about 0.05 s each).
    sh(PY, "-m", "compileall", "-q", str(ROOT / "reconciler"))
    if "calls" in PARTS:
        calls_part(results)
    if "scale" in PARTS:
        results["scale"] = scale_part()
    if "changeset" in PARTS:
        from changeset import changeset_part

        results["changeset"] = changeset_part()
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    if "calls" in PARTS:
        print_table(results)
    if "scale" in PARTS:
        print_scale(results["scale"])
    if "changeset" in PARTS:
        from changeset import print_changeset

        print_changeset(results["changeset"])


def scale_part() -> list[dict[str, Any]]:
    """The no-change plan of each size and style next to the floor, measured in this run."""
    rows: list[dict[str, Any]] = []
    for users in SIZES:
        dnc = max(1, DNC * users // USERS)
        data = ensure_data(users, dnc, DRIFT)
        sim = Simulator(data / "tenant.json", OUT / "requests.jsonl")
        try:
            template = OUT / f"template-{users}.json"
            fetch_template(sim, template)
            env = {**os.environ, "CCAI_BASE_URL": sim.url, "CCAI_API_TOKEN": "bench-token"}
            for style, dirname in STYLES.items():
                config = data / dirname
                repo = make_repo(config, OUT / f"repo-{style}")
                print(f"scale: {users} users, {style}-centric plan ...", file=sys.stderr)
                # Round by round, the plan next to the floor (the machine's speed drifts over
                # a run: measured apart, the two would not see the same machine).
                plans, floors_t, floors_c, rounds = [], [], [], []
                for _ in range(REPEAT):
                    floors_t.append(measure("floor-template", {"TEMPLATE": str(template)}))
                    floors_c.append(measure("floor-config", {"CONFIG": str(config)}))
                    before = sim.calls()
                    args = ["plan", "-c", ".", "--base-ref", "HEAD", "--rate", "1000"]
                    res = measure_cli([*args, "--format", "json", "--out", "plan.json"], env, repo)
                    res["calls"] = sum((sim.calls() - before).values())
                    plans.append(res)
                    floor = floors_t[-1]["cpu_s"] + floors_c[-1]["cpu_s"]
                    rounds.append(round(res["cpu_s"] / floor, 2) if floor else None)
                plan, floor_t, floor_c = least(plans), least(floors_t), least(floors_c)
                floor_cpu = floor_t["cpu_s"] + floor_c["cpu_s"]
                saved = json.loads((repo / "plan.json").read_text())
                changes = {k: len(saved.get(k) or []) for k in ("user_changes", "dnc_changes")}
                rows.append(
                    {
                        "users": users,
                        "dnc": dnc,
                        "style": style,
                        "config_mb": round(mb(config), 1),
                        "template_mb": round(template.stat().st_size / 1e6, 1),
                        "plan": plan,
                        "plan_changes": changes,
                        "floor_template": floor_t,
                        "floor_config": floor_c,
                        "floor_cpu_s": round(floor_cpu, 2),
                        "ratio": round(plan["cpu_s"] / floor_cpu, 2) if floor_cpu else None,
                        "round_ratios": rounds,
                    }
                )
            template.unlink()
        finally:
            sim.stop()
    return rows


def mb(config: Path) -> float:
    return sum(f.stat().st_size for f in config.rglob("*.yaml")) / 1e6


def fetch_template(sim: Simulator, dest: Path) -> None:
    """The template body as the client receives it (one GET), saved for the floor."""
    url = sim.url.rstrip("/") + "/bulk/users/template"
    with requests.get(url, auth=(sim.subdomain, "bench-token"), stream=True, timeout=600) as r:
        r.raise_for_status()
        with dest.open("wb") as f:
            for chunk in r.iter_content(1 << 20):
                f.write(chunk)


def calls_part(results: dict[str, Any]) -> None:
    data = ensure_data(USERS, DNC, DRIFT)
    config = data / "config"
    results["config_mb"] = round(mb(config), 1)

    print("load ...", file=sys.stderr)
    results["load"] = measure("load", {"CONFIG": str(config)})
    repo = make_repo(config, OUT / "repo")

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


def print_table(r: dict[str, Any]) -> None:
    print(
        f"\nccai-reconciler benchmark: {r['users']:,} users, {r['dnc']:,} DNC numbers, "
        f"{r['drift']} drifted users, config {r['config_mb']} MB "
        f"(Python {r['python']}, {r['cpus']} CPUs)\n"
    )
    print(f"{'stage':<14} {'wall s':>8} {'cpu s':>8} {'max RSS MB':>11} {'API calls':>10}  notes")
    stages: tuple[str, ...] = (
        "load",
        "fetch",
        "diff",
        "plan",
        "plan-dnc",
        "plan-dnc-check",
        "apply",
    )
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


def print_scale(rows: list[dict[str, Any]]) -> None:
    """The issue-12 section-3 table: the no-change plan against the floor of the same run."""
    print(
        "\nno-change `plan --base-ref HEAD` against the floor (ijson C backend over the template "
        "+ PyYAML CSafeLoader compose over the config), measured in this run\n"
    )
    head = f"{'users':>7} {'style':<6} {'cfg MB':>6} {'calls':>5} {'plan cpu s':>10} "
    head += f"{'plan RSS MB':>11} {'floor cpu s':>11} {'(ijson+yaml)':>13} {'ratio':>6}  goals"
    print(head)
    for r in rows:
        p = r["plan"]
        split = f"{r['floor_template']['cpu_s']}+{r['floor_config']['cpu_s']}"
        cpu_ok = r["ratio"] is not None and r["ratio"] <= CPU_GOAL
        rss_ok = p["max_rss_mb"] <= RSS_GOAL_MB
        if r["users"] >= GOAL_USERS:
            goals = f"cpu {'met' if cpu_ok else 'NOT met'} (<= {CPU_GOAL}), "
        else:  # a fixed cost (start-up, imports: about 0.3 s) is most of a small plan
            goals = f"(the cpu goal is for {GOAL_USERS:,} users), "
        goals += f"rss {'met' if rss_ok else 'NOT met'} (<= {RSS_GOAL_MB:.0f} MB)"
        print(
            f"{r['users']:>7} {r['style']:<6} {r['config_mb']:>6} {p['calls']:>5} "
            f"{p['cpu_s']:>10} {p['max_rss_mb']:>11} {r['floor_cpu_s']:>11} {split:>13} "
            f"{r['ratio']!s:>6}  {goals}"
        )
        if len(r.get("round_ratios") or []) > 1:
            print(
                f"{'':>15}ratio round by round (plan / the floor measured just before it): "
                + ", ".join(str(x) for x in r["round_ratios"])
            )
    by_style: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_style.setdefault(r["style"], []).append(r)
    for style, rs in by_style.items():
        if len(rs) < 2:
            continue
        a, b = rs[-2], rs[-1]
        grow = b["users"] / a["users"]
        cpu = b["plan"]["cpu_s"] / a["plan"]["cpu_s"]
        print(
            f"scaling ({style}): {a['users']:,} -> {b['users']:,} users is x{grow:g}; "
            f"plan CPU x{cpu:.2f}, calls {a['plan']['calls']} -> {b['plan']['calls']}"
        )


if __name__ == "__main__":
    main()
