"""Pacing against the simulator's real rate limit (1 request/second): a lone 429 costs one
Retry-After pause and nothing more, and commands of this machine share the pace through the
pace file instead of refusing each other's first request (issue 9, defect 3)."""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

import pytest
import requests

from reconciler.platform.throttle import PACE_DIR_NAME, SharedPace
from reconciler.simulator.ratelimit import TOLERANCE
from tests.helpers import template

pytestmark = pytest.mark.slow


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def test_a_neighbours_slot_costs_one_pause_not_the_rate(sim_factory, client_for) -> None:
    """Another integration takes the slot just before our first request: that request is
    refused once, waits for Retry-After, and every later one runs at the configured rate."""
    sim = sim_factory(rate_limit=1.0)
    client = client_for(sim, rate=1.0)
    neighbour = requests.get(
        sim.url("outbound_dialer/dnc/check"),
        params={"phone_number": "+15550000000"},
        auth=sim.auth,
        timeout=10,
    )
    assert neighbour.status_code == 200
    for i in range(4):
        client.dnc_check(f"+1415555010{i}")
    ours = [r for r in sim.requests if "15550000000" not in r["query"]]
    assert [r["status"] for r in ours] == [429, 200, 200, 200, 200]
    assert client.throttle.rate == 1.0 and client.throttle.slowdowns == 0
    # Still at the configured pace: the next gaps are one interval, not two.
    assert all(gap < 1.5 for gap in _gaps([r["time"] for r in ours[1:]]))


def test_a_spurious_429_does_not_slow_the_rest(sim_factory, client_for) -> None:
    # A fault seed where the second request draws the only 429 of the first eight.
    sim = sim_factory(rate_limit=1.0, faults="429=0.2", fault_seed=_seed_with_one_429(0.2, 1, 8))
    client = client_for(sim, rate=1.0)
    for i in range(6):
        client.dnc_check(f"+1415555010{i}")
    statuses = [r["status"] for r in sim.requests]
    assert statuses == [200, 429, 200, 200, 200, 200, 200]
    assert client.throttle.rate == 1.0 and client.throttle.slowdowns == 0
    assert all(gap < 1.5 for gap in _gaps([r["time"] for r in sim.requests[2:]]))


def _seed_with_one_429(p: float, index: int, n: int) -> int:
    """A fault seed whose ``index``-th admitted request is the only 429 among the first ``n``
    (three draws per request, a 429 when the first is below ``p``: simulator/faults.py)."""
    import random

    for seed in range(10_000):
        rng = random.Random(seed)
        hits = [i for i in range(n) if [rng.random(), rng.random(), rng.random()][0] < p]
        if hits == [index]:
            return seed
    raise AssertionError("no seed")


def test_two_clients_share_the_pace_and_are_never_refused(sim_factory, client_for) -> None:
    """Two clients of one tenant (two commands of this machine) at once, each at the full
    rate: through the pace file they take turns, so the tenant refuses none of them."""
    sim = sim_factory(rate_limit=1.0)
    first, second = client_for(sim, rate=1.0), client_for(sim, rate=1.0)
    go = threading.Barrier(2)

    def run(client, base: int) -> None:
        go.wait(5)
        for i in range(3):
            client.dnc_check(f"+141555501{base + i:02d}")

    threads = [
        threading.Thread(target=run, args=(c, 10 * n)) for n, c in enumerate((first, second))
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    log = sim.requests
    assert [r["status"] for r in log] == [200] * 6
    # Spaced by the interval at sending; arrival jitter stays within the tenant's tolerance.
    assert min(_gaps([r["time"] for r in log])) >= 1.0 - TOLERANCE


def test_a_command_right_after_another_waits_for_its_slot(sim_factory, client_for) -> None:
    """The next command (a new client: a new process would be the same, the state is in the
    file) sends its first request one interval after the previous command's last one."""
    sim = sim_factory(rate_limit=1.0)
    with client_for(sim, rate=1.0) as previous:
        template(previous)
        previous.jobs()
    template(client_for(sim, rate=1.0))
    assert [r["status"] for r in sim.requests] == [200, 200, 200]
    pace = Path(os.environ["CCAI_CACHE_DIR"])
    files = list(pace.iterdir())
    assert len(files) == 1 and files[0].name.startswith("pace-")
    assert sim.token not in files[0].name and sim.token not in files[0].read_text()
    float(files[0].read_text())  # a time, nothing else


def test_no_pace_file_without_a_usable_cache_dir(sim_factory, client_for, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("CCAI_CACHE_DIR", str(blocker / PACE_DIR_NAME))
    sim = sim_factory()
    client = client_for(sim)
    assert template(client)
    assert client.dnc_check("+14155550100").do_not_call is False
    assert isinstance(client.throttle.pace, SharedPace) and not client.throttle.pace.enabled


CHILD = """
import sys
from reconciler.platform import connect
env = {"CCAI_API_TOKEN": sys.argv[2], "CCAI_SUBDOMAIN": sys.argv[3]}
with connect(base_url=sys.argv[1], env=env, rate=1.0) as client:
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(3):
        client.dnc_check(f"+14155550{120 + i}")
"""


def test_two_processes_share_the_pace(sim_factory, client_for) -> None:
    """The same across processes (the fcntl lock): a child process and this one, at once."""
    import subprocess
    import sys

    sim = sim_factory(rate_limit=1.0)
    client = client_for(sim, rate=1.0)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, sim.base_url, sim.token, sim.subdomain],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "ready"
    child.stdin.write("go\n")
    child.stdin.flush()
    for i in range(3):
        client.dnc_check(f"+14155550{130 + i}")
    assert child.wait(30) == 0
    log = sim.requests
    assert [r["status"] for r in log] == [200] * 6
    # Spaced by the interval at sending; arrival jitter stays within the tenant's tolerance.
    assert min(_gaps([r["time"] for r in log])) >= 1.0 - TOLERANCE
