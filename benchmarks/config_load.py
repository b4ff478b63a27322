"""CPU seconds and peak RSS of loading a large config, in both config styles.

Generates (once, in a temporary or given directory) a 50,000-user config in two styles:

- ``user``: one user per block with its own ``roles:`` and ``teams:`` lists (block lists);
- ``group``: users without lists, and ``roles:``/``teams:`` sections listing the members;

each with 20,000 DNC numbers, the users split over 50 files. Then, each in a fresh process, it
measures: our loader (``load_config``), PyYAML's C composer alone (the floor: libyaml with
locations, ``yaml.compose`` with ``CSafeLoader``) and, when installed, rapidyaml alone (parse
only). Prints one table row per (style, what): CPU seconds (user + system) and peak RSS.

Run: ``python benchmarks/config_load.py [--users N] [--dir DIR]``; ``main()`` is the entry.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROLES = ["Admin", "Manager", "Agent", "Supervisor", "Auditor"]
LOCATIONS = ["Mexico", "Remote", "Austin", "Dublin"]
MEASURES = ("loader", "pyyaml-c", "rapidyaml")


def _team(i: int) -> str:
    return f"Team {i % 40:02d}"


def _roles(i: int) -> list[str]:
    return ["Admin"] if i < 5 else ["Agent"] + (["Manager"] if i % 50 == 0 else [])


def _user_block(i: int, lists: bool) -> str:
    text = (
        f"  - email: user{i:06d}@example.com\n"
        f"    first_name: First{i}\n"
        f"    last_name: Last{i}\n"
        f"    agent_number: A-{i:06d}\n"
        f"    status: Active\n"
        f"    location: {LOCATIONS[i % len(LOCATIONS)]}\n"
        f"    max_chat_limit: 3\n"
        f"    max_chat_limit_enabled: true\n"
    )
    if lists:
        text += "    roles:\n" + "".join(f"      - {r}\n" for r in _roles(i))
        text += f"    teams:\n      - {_team(i)}\n"
    return text


def generate(out: Path, style: str, users: int, dnc: int = 20_000, files: int = 50) -> None:
    """A config directory of ``users`` users in ``style`` ('user' or 'group')."""
    (out / "users").mkdir(parents=True, exist_ok=True)
    (out / "tenant.yaml").write_text("version: 1\ntenant:\n  subdomain: bench\n")
    chunks: list[list[str]] = [[] for _ in range(files)]
    for i in range(users):
        chunks[i % files].append(_user_block(i, style == "user"))
    for k, chunk in enumerate(chunks):
        (out / "users" / f"users-{k:03d}.yaml").write_text("users:\n" + "".join(chunk))
    if style == "group":
        roles: dict[str, list[str]] = {r: [] for r in ROLES}
        teams: dict[str, list[str]] = {_team(i): [] for i in range(40)}
        for i in range(users):
            for r in _roles(i):
                roles[r].append(f"user{i:06d}@example.com")
            teams[_team(i)].append(f"user{i:06d}@example.com")
        for section, groups in (("roles", roles), ("teams", teams)):
            lines = [f"{section}:\n"]
            for name, members in groups.items():
                lines.append(f"  {name}:{' []' if not members else ''}\n")
                lines.extend(f"    - {m}\n" for m in members)
            (out / f"{section}.yaml").write_text("".join(lines))
    numbers = "".join(f'  - "+1415{2000000 + i:07d}"\n' for i in range(dnc))
    (out / "dnc.yaml").write_text("dnc:\n" + numbers)


def _files(cfg: Path) -> list[Path]:
    return sorted(p for p in cfg.rglob("*") if p.suffix in (".yaml", ".yml"))


def _measure(what: str, cfg: Path) -> None:
    """In this (fresh) process: do ``what`` on ``cfg`` and print its figures as JSON."""
    if what == "loader":
        from reconciler.config import load_config

        result = load_config([str(cfg)])
        count = len(result.state.users)
    elif what == "pyyaml-c":
        import yaml

        count = 0
        for path in _files(cfg):
            count += yaml.compose(path.read_text(), Loader=yaml.CSafeLoader) is not None
    else:
        import ryml

        count = 0
        for path in _files(cfg):
            tree = ryml.parse_in_arena(path.read_bytes())
            count += tree.size() > 0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {"cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024, "n": count}
        )
    )


def _available(what: str) -> bool:
    module = {"pyyaml-c": "yaml", "rapidyaml": "ryml"}.get(what)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    if module == "yaml":
        import yaml

        return bool(getattr(yaml, "__with_libyaml__", False))
    return True


def _child(what: str, cfg: Path) -> dict[str, float] | None:
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", what, str(cfg)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    if proc.returncode != 0:
        print(f"# {what} failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    got: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return got


def run(users: int, root: Path, repeat: int = 1) -> list[tuple[str, str, float, float, int]]:
    rows: list[tuple[str, str, float, float, int]] = []
    for style in ("user", "group"):
        cfg = root / f"config-{style}-{users}"
        if not cfg.exists():
            generate(cfg, style, users)
        size = sum(p.stat().st_size for p in _files(cfg))
        print(f"# {style}-centric: {users} users, {len(_files(cfg))} files, {size / 1e6:.1f} MB")
        for what in MEASURES:
            if not _available(what):
                print(f"# {what}: not installed, skipped")
                continue
            runs = [_child(what, cfg) for _ in range(repeat)]
            good = [r for r in runs if r is not None]
            if good:  # the least CPU of the runs: the machine's noise only ever adds
                best = min(good, key=lambda r: r["cpu"])
                rows.append((style, what, best["cpu"], best["rss_mb"], best["n"]))
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs per figure (the least CPU)")
    ap.add_argument("--dir", type=Path, help="where to generate (kept); default: a temp dir")
    ap.add_argument("--measure", nargs=2, metavar=("WHAT", "CONFIG"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.measure:
        _measure(a.measure[0], Path(a.measure[1]))
        return
    if a.dir is not None:
        a.dir.mkdir(parents=True, exist_ok=True)
        rows = run(a.users, a.dir, a.repeat)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = run(a.users, Path(tmp), a.repeat)
    print(f"{'style':<7} {'what':<10} {'cpu_s':>7} {'peak_rss_mb':>11}")
    for style, what, cpu, rss, _ in rows:
        print(f"{style:<7} {what:<10} {cpu:>7.2f} {rss:>11.0f}")


if __name__ == "__main__":
    main()
