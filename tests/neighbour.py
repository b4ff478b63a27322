"""A second client of the tenant's rate-limit quota, for the hard-world tests: another
integration (a directory sync, a dashboard) that polls the job list with the same credentials
and ignores our pace file.

It sends bursts (one request every ``gap`` seconds for ``burst`` seconds, then ``quiet``
seconds of nothing) until stopped. ``took_slot`` is set once one of its requests was admitted,
so a test starts its own command while the neighbour holds the quota: the command's first
request then meets a 429 for certain, and the quiet phases keep any one call from starving.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests

from reconciler.simulator import SimulatorHandle

NEIGHBOUR_PATH = "/bulk/users/jobs"  # the neighbour's requests, told apart in the request log


@dataclass
class Neighbour:
    sim: SimulatorHandle
    burst: float = 1.5
    quiet: float = 2.0
    gap: float = 0.1
    took_slot: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    statuses: list[int] = field(default_factory=list)

    def run(self) -> None:
        url = self.sim.base_url + NEIGHBOUR_PATH
        with requests.Session() as s:
            s.auth = self.sim.auth
            while not self.stop.is_set():
                until = time.monotonic() + self.burst
                while time.monotonic() < until and not self.stop.is_set():
                    try:
                        status = s.get(url, params={"per_page": "1"}, timeout=5).status_code
                    except requests.RequestException:
                        status = 0
                    self.statuses.append(status)
                    if status == 200:
                        self.took_slot.set()
                    self.stop.wait(self.gap)  # pacing of the load, not synchronisation
                self.stop.wait(self.quiet)


@contextmanager
def neighbour(sim: SimulatorHandle, **kw: float) -> Iterator[Neighbour]:
    """Run a :class:`Neighbour` in a thread while the block runs; it holds the quota (one of
    its requests admitted) when the block starts."""
    n = Neighbour(sim, **kw)
    t = threading.Thread(target=n.run, name="neighbour", daemon=True)
    t.start()
    try:
        assert n.took_slot.wait(10), "the neighbour never got a request admitted"
        yield n
    finally:
        n.stop.set()
        t.join(10)
