"""`make bench`'s `changeset` part: the DNC and user change set of issue 12, section 1.

A tenant of 6,000 users and 2,500 DNC numbers matches the config at commit 1 (group-centric,
generate.py); commit 2 changes 5,000 users' last names, adds 2,000 DNC numbers and deletes 500.
Measured at the simulator's request log (rate limit off; each call would cost a second on the
real platform):

- `plan --base-ref HEAD~1`: the template and nothing else (goal: at most 2 calls), the numbers
  planned from git as upserts and removals;
- `apply --base-ref HEAD~1`: one bulk job (upload, proceed, polls) and the DNC batches (goal: at
  most 12 calls besides the job polls, at most 10 polls);
- `plan --base-ref HEAD` after it: 1 call and no change.

Sizes: BENCH_CS_USERS, BENCH_CS_DNC, BENCH_CS_RENAMED, BENCH_CS_ADDED, BENCH_CS_DELETED.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from generate import phone
from run import OUT, Simulator, ensure_data, git, make_repo, measure_cli

USERS = int(os.environ.get("BENCH_CS_USERS", "6000"))
DNC = int(os.environ.get("BENCH_CS_DNC", "2500"))
RENAMED = int(os.environ.get("BENCH_CS_RENAMED", "5000"))  # last names changed
ADDED = int(os.environ.get("BENCH_CS_ADDED", "2000"))
DELETED = int(os.environ.get("BENCH_CS_DELETED", "500"))
PLAN_GOAL = 2  # calls
APPLY_GOAL = 12  # calls besides the job polls
POLL_GOAL = 10
POLL = "GET /bulk/users/jobs/{id}"


def commit_change_set(repo: Path) -> None:
    """Commit 2: RENAMED last names changed, ADDED numbers added, the last DELETED removed."""
    last = re.compile(r"^(    last_name: )Last(\d+)$", re.M)

    def rename(m: re.Match[str]) -> str:
        return f"{m.group(1)}Changed{m.group(2)}" if int(m.group(2)) < RENAMED else m.group(0)

    for path in sorted((repo / "users").glob("*.yaml")):
        path.write_text(last.sub(rename, path.read_text()))
    kept = [phone(i) for i in range(DNC - DELETED)]
    added = [phone(1_000_000 + i) for i in range(ADDED)]  # (+1415 3xx xxxx)
    (repo / "dnc.yaml").write_text("dnc:\n" + "".join(f'  - "{n}"\n' for n in kept + added))
    git(repo, "commit", "-qam", "change set: last names, DNC numbers added and deleted")


def changeset_part() -> dict[str, Any]:
    data = ensure_data(USERS, DNC, 0)  # drift 0: the tenant matches commit 1
    repo = make_repo(data / "config", OUT / "repo-changeset")
    commit_change_set(repo)
    sim = Simulator(data / "tenant.json", OUT / "requests-changeset.jsonl")
    out: dict[str, Any] = {
        "users": USERS,
        "dnc": DNC,
        "renamed": RENAMED,
        "added": ADDED,
        "deleted": DELETED,
    }
    try:
        env = {**os.environ, "CCAI_BASE_URL": sim.url, "CCAI_API_TOKEN": "bench-token"}

        def run(name: str, args: list[str]) -> dict[str, Any]:
            print(f"changeset: {name} ...", file=sys.stderr)
            before = sim.calls()
            res = measure_cli(args, env, repo)
            res["calls"] = dict(sim.calls() - before)
            res["calls_total"] = sum(res["calls"].values())
            out[name] = res
            return res

        fmt = ["--rate", "1000", "--format", "json", "--out", "plan.json"]
        run("plan", ["plan", "-c", ".", "--base-ref", "HEAD~1", *fmt])
        out["plan"]["summary"] = summary(repo / "plan.json")
        apply = ["apply", "-c", ".", "--auto-approve", "--rate", "1000"]
        run("apply", [*apply, "--base-ref", "HEAD~1"])
        run("plan-after", ["plan", "-c", ".", "--base-ref", "HEAD", *fmt])
        saved = json.loads((repo / "plan.json").read_text())
        out["plan-after"]["changes"] = len(saved["user_changes"]) + len(saved["dnc_changes"])
    finally:
        sim.stop()
    return out


def summary(plan_file: Path) -> dict[str, int]:
    """The saved plan's change counts by kind."""
    saved = json.loads(plan_file.read_text())
    counts: dict[str, int] = {}
    for change in saved["user_changes"]:
        counts[f"users {change['action']}"] = counts.get(f"users {change['action']}", 0) + 1
    for change in saved["dnc_changes"]:
        counts[f"dnc {change['action']}"] = counts.get(f"dnc {change['action']}", 0) + 1
    return counts


def calls(n: int) -> str:
    return f"{n} call{'s' if n != 1 else ''}"


def print_changeset(r: dict[str, Any]) -> None:
    print(
        f"\nchange set of issue 12 section 1: a tenant of {r['users']:,} users and {r['dnc']:,} "
        f"DNC numbers; the commit changes {r['renamed']:,} last names, adds {r['added']:,} "
        f"numbers and deletes {r['deleted']:,}\n"
    )
    plan, apply, after = r["plan"], r["apply"], r["plan-after"]
    polls = apply["calls"].get(POLL, 0)
    others = apply["calls_total"] - polls
    rows = [
        (
            "plan --base-ref HEAD~1",
            calls(plan["calls_total"]),
            plan["exit"] == 0 and plan["calls_total"] <= PLAN_GOAL,
            f"<= {PLAN_GOAL} calls; planned: {plan['summary']}",
        ),
        (
            "apply --base-ref HEAD~1",
            f"{calls(others)} + {polls} polls",
            apply["exit"] == 0 and others <= APPLY_GOAL and polls <= POLL_GOAL,
            f"<= {APPLY_GOAL} calls + <= {POLL_GOAL} polls; {apply['calls']}",
        ),
        (
            "plan --base-ref HEAD after it",
            f"{calls(after['calls_total'])}, {after['changes']} changes",
            after["exit"] == 0 and after["calls_total"] == 1 and after["changes"] == 0,
            "1 call, no change",
        ),
    ]
    for name, got, ok, goal in rows:
        print(f"  {name:<30} {got:<22} {'met' if ok else 'NOT met':<8} goal {goal}")
