"""Generate a large tenant (simulator seed) and the matching config directory.

The shape follows "Scale facts" in the design notes: 50,000 users, 10 roles, 40 teams and
20,000 DNC numbers by default, with users split over 50 files. ``drift`` users differ between the
tenant and the config, so that the plan has work to do.

The same desired state is written in two config styles:

- ``config/``, group-centric: each user block lists its ``roles:`` inline, and ``teams.yaml``
  lists each team's members;
- ``config-user/``, user-centric: one user per block with its own ``roles:`` and ``teams:``
  block lists, no ``teams.yaml``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROLES = [
    "Admin",
    "Manager",
    "Agent",
    "Developer",
    "Manager Admin",
    "Manager Team",
    "Manager Data",
    "Supervisor",
    "Auditor",
    "Trainer",
]
LOCATIONS = ["Mexico", "Remote", "Austin", "Dublin"]


def team_names(n: int) -> list[str]:
    return [f"Team {i:02d}" for i in range(1, n + 1)]


def phone(i: int) -> str:
    # +1 415 2xx xxxx: possible numbers in one area code, distinct per i.
    return f"+1415{2000000 + i:07d}"


def generate(out: Path, users: int, teams: int, dnc: int, drift: int, files: int) -> None:
    tnames = team_names(teams)
    tenant_users = []
    config_users: list[list[str]] = [[] for _ in range(files)]
    user_centric: list[list[str]] = [[] for _ in range(files)]
    memberships: dict[str, list[str]] = {t: [] for t in tnames}
    for i in range(users):
        email = f"user{i:06d}@example.com"
        roles = ["Admin"] if i < 5 else ["Agent"] + (["Manager"] if i % 50 == 0 else [])
        team = tnames[i % teams]
        loc = LOCATIONS[i % len(LOCATIONS)]
        first, last = f"First{i}", f"Last{i}"
        live_first = first
        live_roles = roles
        if i < drift:  # the tenant differs: a changed name and a missing role
            live_first = f"Old{i}"
            live_roles = [r for r in roles if r != "Agent"]
        tenant_users.append(
            {
                "email": email,
                "first_name": live_first,
                "last_name": last,
                "agent_number": f"A-{i:06d}",
                "status": "Active",
                "location": loc,
                "max_chat_limit": 3,
                "max_chat_limit_enabled": True,
                "roles": live_roles,
                "teams": [team],
            }
        )
        memberships[team].append(email)
        role_list = ", ".join(json.dumps(r) for r in roles)
        block = (
            f"  - email: {email}\n"
            f"    first_name: {first}\n"
            f"    last_name: {last}\n"
            f"    agent_number: A-{i:06d}\n"
            f"    status: Active\n"
            f"    location: {loc}\n"
            f"    max_chat_limit: 3\n"
            f"    max_chat_limit_enabled: true\n"
        )
        config_users[i % files].append(f"{block}    roles: [{role_list}]\n")
        lists = "    roles:\n" + "".join(f"      - {r}\n" for r in roles)
        user_centric[i % files].append(f"{block}{lists}    teams:\n      - {team}\n")
    numbers = [phone(i) for i in range(dnc)]
    seed_doc = {
        "subdomain": "bench",
        "token": "bench-token",
        "roles": ROLES,
        "teams": tnames,
        "locations": LOCATIONS,
        "max_chat_limit": 10,
        "users": tenant_users,
        "dnc": [{"phone_number": n, "expires_at": None} for n in numbers],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "tenant.json").write_text(json.dumps(seed_doc))
    cfg = out / "config"
    (cfg / "users").mkdir(parents=True, exist_ok=True)
    (cfg / "tenant.yaml").write_text("version: 1\ntenant:\n  subdomain: bench\n")
    for k, chunk in enumerate(config_users):
        (cfg / "users" / f"users-{k:03d}.yaml").write_text("users:\n" + "".join(chunk))
    lines = ["teams:\n"]
    for t, members in memberships.items():
        lines.append(f"  {t}:\n    members:{'' if members else ' []'}\n")  # empty: an error
        lines.extend(f"      - {m}\n" for m in members)
    (cfg / "teams.yaml").write_text("".join(lines))
    dnc_text = "dnc:\n" + "".join(f'  - "{n}"\n' for n in numbers)
    (cfg / "dnc.yaml").write_text(dnc_text)
    ucfg = out / "config-user"
    (ucfg / "users").mkdir(parents=True, exist_ok=True)
    (ucfg / "tenant.yaml").write_text("version: 1\ntenant:\n  subdomain: bench\n")
    for k, chunk in enumerate(user_centric):
        (ucfg / "users" / f"users-{k:03d}.yaml").write_text("users:\n" + "".join(chunk))
    (ucfg / "dnc.yaml").write_text(dnc_text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("--users", type=int, default=50_000)
    ap.add_argument("--teams", type=int, default=40)
    ap.add_argument("--dnc", type=int, default=20_000)
    ap.add_argument("--drift", type=int, default=100)
    ap.add_argument("--files", type=int, default=50)
    a = ap.parse_args()
    generate(a.out, a.users, a.teams, a.dnc, a.drift, a.files)


if __name__ == "__main__":
    main()
