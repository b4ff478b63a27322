"""Fault injection: ``5xx=0.1,429=0.05,reset=0.02,latency=0.3,stall=job``.

- ``5xx=P``: answer 500 or 503 (half each) with probability P, without applying the request.
- ``429=P``: a spurious 429 ``Too Many Requests`` (``Retry-After: 1``) with probability P.
- ``reset=P``: drop the connection with probability P; half of the time *before* the request
  is applied and half *after* it (the change is made but no response is sent).
- ``latency=S``: add a uniformly random delay of 0..S seconds to every response.
- ``stall=job`` (or ``stall=P``): a proceeded job stays ``in_progress`` for ``stall_time``
  seconds (default 30) before its rows are applied; ``stall=job`` stalls every job.
- ``stall_time=S``: see ``stall``.

Decisions come from one ``random.Random(seed)`` that draws the same number of values for every
request (and one per proceeded job), in arrival order, so the same sequence of requests meets
the same sequence of faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass


class FaultSpecError(ValueError):
    pass


@dataclass(frozen=True)
class FaultSpec:
    p5xx: float = 0.0
    p429: float = 0.0
    preset: float = 0.0
    latency: float = 0.0
    pstall: float = 0.0
    stall_time: float = 30.0

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        if not spec or not spec.strip():
            return cls()
        values: dict[str, float] = {}
        keys = {
            "5xx": "p5xx",
            "429": "p429",
            "reset": "preset",
            "latency": "latency",
            "stall": "pstall",
            "stall_time": "stall_time",
        }
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, raw = part.partition("=")
            name = name.strip()
            if not sep or name not in keys:
                raise FaultSpecError(
                    f"invalid fault {part!r}: expected NAME=VALUE with NAME one of "
                    + ", ".join(keys)
                )
            raw = raw.strip()
            if name == "stall" and raw == "job":
                values["pstall"] = 1.0
                continue
            try:
                value = float(raw)
            except ValueError:
                raise FaultSpecError(f"invalid fault {part!r}: {raw!r} is not a number") from None
            if value < 0 or (name in ("5xx", "429", "reset", "stall") and value > 1):
                raise FaultSpecError(f"invalid fault {part!r}: out of range")
            values[keys[name]] = value
        if values.get("p5xx", 0) + values.get("p429", 0) + values.get("preset", 0) > 1:
            raise FaultSpecError("fault probabilities 5xx + 429 + reset add up to more than 1")
        return cls(**values)

    @property
    def active(self) -> bool:
        return any((self.p5xx, self.p429, self.preset, self.latency, self.pstall))


@dataclass(frozen=True)
class Fault:
    kind: str | None  # None, "500", "503", "429", "reset_before", "reset_after"
    latency: float = 0.0


class FaultInjector:
    def __init__(self, spec: FaultSpec, seed: int = 0) -> None:
        self.spec = spec
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def for_request(self) -> Fault:
        if not self.spec.active:
            return Fault(None)
        s = self.spec
        with self._lock:
            r, sub, lat = self._rng.random(), self._rng.random(), self._rng.random()
        kind: str | None = None
        if r < s.p5xx:
            kind = "500" if sub < 0.5 else "503"
        elif r < s.p5xx + s.p429:
            kind = "429"
        elif r < s.p5xx + s.p429 + s.preset:
            kind = "reset_before" if sub < 0.5 else "reset_after"
        return Fault(kind, lat * s.latency)

    def stall_for_job(self) -> float:
        if self.spec.pstall <= 0:
            return 0.0
        with self._lock:
            r = self._rng.random()
        return self.spec.stall_time if r < self.spec.pstall else 0.0
