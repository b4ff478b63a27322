"""Hard world: ``plan --refresh-budget N --refresh-slot K`` at the platform's real rate limit
(1 request/second) while another client takes slots of the same quota.

The run must still check exactly its window, say so in ``stats.dnc_rotation``, and cost
1 + N *admitted* calls (the simulator's request log, status != 429). The 429s it met are extra
attempts of the same calls: they are not in the plan; with ``-v`` each is one
``rate limited (HTTP 429): waiting ...`` line on stderr."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from tests.apply.helpers import SEED
from tests.neighbour import NEIGHBOUR_PATH, neighbour

NUMBERS = [f"+1415555{n:04d}" for n in range(200, 207)]  # 7 declared numbers
BUDGET, SLOT = 3, 4

CONFIG = """\
users:
  - email: boss@acme-corp.com
    first_name: Bea
    last_name: Boss
    roles: [Admin]
dnc:
""" + "".join(f'  - "{n}"\n' for n in NUMBERS)


def expected_window() -> list[str]:
    """docs/plan.md: numbers ordered by the SHA-256 of the number, cut into ceil(7/3) = 3
    windows; slot 4 checks window 4 mod 3 = 1 (0-based), i.e. the second."""
    ring = sorted(NUMBERS, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    windows = math.ceil(len(ring) / BUDGET)
    w = SLOT % windows
    return sorted(ring[w * BUDGET : (w + 1) * BUDGET])


@pytest.mark.slow
def test_budgeted_window_under_a_neighbour_taking_the_quota(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory(copy.deepcopy(SEED), rate_limit=1.0)
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "users.yaml").write_text(CONFIG)
    env = {
        "CCAI_BASE_URL": sim.base_url,
        "CCAI_API_TOKEN": sim.token,
        "CCAI_SUBDOMAIN": sim.subdomain,
        "CCAI_BASE_REF": "",
        "CCAI_RATE": "1",  # the platform's rate, not the tests' usual 1000
    }
    args = ["plan", "-c", str(cfg), "--format", "json", "-v"]
    args += ["--refresh-budget", str(BUDGET), "--refresh-slot", str(SLOT)]
    with neighbour(sim) as n:
        start = len(sim.requests)
        res = CliRunner().invoke(cli, args, env=env)
        log = sim.requests[start:]
    assert res.exit_code == 0, res.output
    ours = [r for r in log if not r["path"].endswith(NEIGHBOUR_PATH)]
    admitted = [r for r in ours if r["status"] != 429]
    refused = [r for r in ours if r["status"] == 429]
    assert 200 in n.statuses  # the neighbour really used the quota during the run

    # exactly the window, each number once, 1 + N admitted calls
    checks = [parse_qs(r["query"])["phone_number"][0] for r in admitted if "/dnc/" in r["path"]]
    assert sorted(checks) == expected_window()
    assert [r["path"].rsplit("/v1/", 1)[1] for r in admitted if "/dnc/" not in r["path"]] == [
        "bulk/users/template"
    ]
    assert len(admitted) == 1 + BUDGET and all(r["status"] == 200 for r in admitted)

    # the neighbour held the quota when the plan started: its first call met a 429 for sure
    assert refused, "no 429 met: the neighbour did not contend"
    assert ours[0]["status"] == 429
    # each 429 is one -v line on stderr, nothing in the plan itself
    assert res.stderr.count("rate limited (HTTP 429)") == len(refused)
    data = json.loads(res.stdout)
    assert data["stats"]["dnc_rotation"] == {
        "budget": BUDGET,
        "slot": SLOT,
        "window": SLOT % 3 + 1,
        "windows": 3,
        "checked": BUDGET,
        "declared": len(NUMBERS),
        "runs_to_cycle_end": 3 - 1 - SLOT % 3,
        "cycle_ends_on": None,
    }
    assert data["stats"]["dnc_checked"] == BUDGET
    # none of the 7 numbers is listed: exactly the window's numbers are planned as adds
    assert sorted(c["number"] for c in data["dnc_changes"]) == expected_window()
    assert sim.token not in res.output
