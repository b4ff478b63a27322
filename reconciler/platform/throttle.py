"""The request budget: a start-time throttle shared by all threads, and the retry policy.

Throttle: request *starts* are spaced at least ``(1 + margin) / rate`` seconds apart, across
threads. Each caller reserves the next free slot under a lock and then sleeps (outside the
lock) until its slot, so a burst of N calls takes ``(N-1)/rate`` (plus the margin) and never
more. The small ``margin`` (default 2%: 20 ms at 1 request/second) absorbs network jitter
between our clock and the server's, so the gaps the server measures do not dip under its limit.

On a 429 the throttle is *penalised*: no request starts before ``Retry-After`` has passed, and
the rate is halved for the rest of the run (another process may share the tenant's quota),
never below ``min_rate`` (by default a quarter of the configured rate).

Retry policy: exponential backoff with full jitter (``uniform(0, min(cap, base * 2**n))``),
within a total deadline per call. ``clock``, ``sleep`` and the random generator are injected
so the unit tests need no real time.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]
Sleep = Callable[[float], None]

DEFAULT_MARGIN = 0.02


class Throttle:
    def __init__(
        self,
        rate: float,
        *,
        min_rate: float | None = None,
        margin: float = DEFAULT_MARGIN,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be a positive number of requests per second")
        self._rate = float(rate)
        self.initial_rate = float(rate)
        self.min_rate = float(min_rate) if min_rate is not None else self._rate / 4
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next: float | None = None  # earliest start of the next request
        self.penalties = 0

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def interval(self) -> float:
        return (1.0 + self.margin) / self._rate

    def acquire(self) -> float:
        """Block until this caller may start a request; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            start = now if self._next is None else max(now, self._next)
            self._next = start + self.interval
        waited_from = now
        while True:
            now = self._clock()
            if now >= start:
                return now - waited_from
            self._sleep(start - now)

    def penalize(self, retry_after: float | None) -> None:
        """After a 429: wait ``retry_after`` seconds (or at least one interval) before the next
        start, and halve the rate for the rest of the run (not below ``min_rate``)."""
        with self._lock:
            self._rate = max(self.min_rate, self._rate / 2)
            self.penalties += 1
            now = self._clock()
            pause = retry_after if retry_after is not None else self.interval
            earliest = now + max(pause, 0.0)
            self._next = earliest if self._next is None else max(self._next, earliest)


@dataclass(slots=True)
class RetryPolicy:
    """How long and how often a retryable call is retried."""

    base: float = 0.5  # first backoff ceiling, seconds
    cap: float = 8.0  # largest backoff ceiling
    deadline: float = 60.0  # total seconds per call, all attempts included
    max_attempts: int = 10
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Full jitter: a uniform delay up to ``min(cap, base * 2**attempt)`` (attempt >= 0)."""
        ceiling = min(self.cap, self.base * (2 ** min(attempt, 30)))
        return self.rng.uniform(0.0, ceiling)
