"""The request budget: a start-time throttle shared by all threads (and, through a small
pace file, by every command of this machine), and the retry policy.

Throttle: request *starts* are spaced at least ``(1 + margin) / rate`` seconds apart, across
threads. Each caller reserves the next free slot under a lock and then sleeps (outside the
lock) until its slot, so a burst of N calls takes ``(N-1)/rate`` (plus the margin) and never
more. The small ``margin`` (default 2%: 20 ms at 1 request/second) absorbs network jitter
between our clock and the server's, so the gaps the server measures do not dip under its limit.

Shared pace (:class:`SharedPace`): the start of the last request to a tenant is kept in a file
under the user cache directory, read and written under an exclusive ``fcntl`` lock, so that a
command started right after another one (or next to it) waits for the slot instead of being
refused. Any failure to use the file (no cache directory, read-only, no ``fcntl``) disables it.

On a 429 the throttle is *penalised*: no request starts (in this process, or in another one
sharing the pace file) before ``Retry-After`` has passed (one interval when absent). A lone 429
(another integration took the slot, or a glitch) changes nothing else: the next request after
the pause runs at the configured rate. Only a 429 that comes fewer than ``CALM`` successful
requests after the previous one halves the rate (not below ``min_rate``, a quarter of the
configured rate by default); every successful request then adds back a tenth of the configured
rate, so the configured rate is reached again after a few requests.

Retry policy: exponential backoff with full jitter (``uniform(0, min(cap, base * 2**n))``),
within a total deadline per call. ``clock``, ``sleep`` and the random generator are injected
so the unit tests need no real time.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

fcntl: ModuleType | None
try:
    import fcntl as _fcntl

    fcntl = _fcntl
except ImportError:  # pragma: no cover - not on POSIX: no shared pace
    fcntl = None

Clock = Callable[[], float]
Sleep = Callable[[float], None]

DEFAULT_MARGIN = 0.02
CALM = 3  # successful requests after a 429 that make the next 429 a "lone" one again
RECOVER_STEP = 0.1  # of the configured rate, added back per successful request
PACE_DIR_NAME = "ccai-reconciler"
PACE_MAX_AHEAD = 120.0  # a pace file further in the future than this is ignored (clock jump)


def cache_dir(env: Mapping[str, str] = os.environ) -> Path | None:
    """Where the pace files live: ``$CCAI_CACHE_DIR``, else ``$XDG_CACHE_HOME/ccai-reconciler``,
    else ``~/.cache/ccai-reconciler``; None when no home directory is known."""
    if env.get("CCAI_CACHE_DIR"):
        return Path(env["CCAI_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / PACE_DIR_NAME
    home = env.get("HOME")
    return Path(home) / ".cache" / PACE_DIR_NAME if home else None


class SharedPace:
    """The start (wall-clock seconds) of the last request any of our commands made to one
    tenant, in a file of its own. Every method is a no-op once the file has failed once."""

    def __init__(self, path: Path, *, wall: Clock = time.time) -> None:
        self.path = path
        self._wall = wall
        self.enabled = fcntl is not None

    @classmethod
    def for_tenant(
        cls, base_url: str, subdomain: str, env: Mapping[str, str] = os.environ
    ) -> SharedPace | None:
        """The pace file of a tenant: named by a hash of the base URL and subdomain (the token
        is not part of it, nor written anywhere)."""
        directory = cache_dir(env)
        if directory is None or fcntl is None:
            return None
        key = hashlib.sha256(f"{base_url}\n{subdomain}".encode()).hexdigest()[:24]
        return cls(directory / f"pace-{key}")

    def wall(self) -> float:
        return self._wall()

    def _update(self, decide: Callable[[float | None], float | None]) -> float | None:
        """Under the file's lock: read the stored time, write ``decide(stored)`` unless None;
        returns what was written (None: nothing, or the file is unusable)."""
        if not self.enabled or fcntl is None:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            self.enabled = False
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.read(fd, 64)
            try:
                stored: float | None = float(raw.decode("ascii").strip())
            except ValueError:
                stored = None
            if stored is not None and not math.isfinite(stored):
                stored = None
            if stored is not None and stored > self._wall() + PACE_MAX_AHEAD:
                stored = None
            value = decide(stored)
            if value is not None:
                data = f"{value:.6f}\n".encode("ascii")
                os.lseek(fd, 0, os.SEEK_SET)
                os.ftruncate(fd, 0)
                os.write(fd, data)
            return value
        except OSError:
            self.enabled = False
            return None
        finally:
            os.close(fd)  # also releases the lock

    def reserve(self, earliest: float, interval: float) -> float | None:
        """Reserve a start at or after ``earliest`` (wall clock) and ``interval`` after the
        last start stored; returns the start reserved (None: the file is unusable)."""
        return self._update(
            lambda last: earliest if last is None else max(earliest, last + interval)
        )

    def hold_until(self, earliest: float, interval: float) -> None:
        """After a 429: no reservation may start before ``earliest``."""
        self._update(lambda last: max(earliest - interval, last or 0.0))


#: A caller woken this much after its slot pushes the next slots back by its lateness.
LATE_WAKE = 0.002


class SlotBeyondDeadline(Exception):
    """The next free slot starts after the caller's deadline (nothing was reserved locally)."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the next request slot is {wait:.1f}s away")
        self.wait = wait


class Throttle:
    def __init__(
        self,
        rate: float,
        *,
        min_rate: float | None = None,
        margin: float = DEFAULT_MARGIN,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        pace: SharedPace | None = None,
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be a positive number of requests per second")
        self._rate = float(rate)
        self.initial_rate = float(rate)
        self.min_rate = float(min_rate) if min_rate is not None else self._rate / 4
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self.pace = pace
        self._lock = threading.Lock()
        self._next: float | None = None  # earliest start of the next request
        self.penalties = 0
        self.slowdowns = 0
        self._streak: int | None = None  # successes since the last 429 (None: no 429 yet)

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def interval(self) -> float:
        return (1.0 + self.margin) / self._rate

    def acquire(self, deadline: float | None = None) -> float:
        """Block until this caller may start a request; returns the seconds waited. Raises
        :class:`SlotBeyondDeadline` (without waiting) when the slot starts after ``deadline``
        (a value of ``clock``)."""
        with self._lock:
            now = self._clock()
            start = now if self._next is None else max(now, self._next)
            if self.pace is not None:
                wall = self.pace.wall()
                reserved = self.pace.reserve(wall + (start - now), self.interval)
                if reserved is not None:
                    start = max(start, now + (reserved - wall))
            if deadline is not None and start > deadline:
                raise SlotBeyondDeadline(start - now)
            self._next = start + self.interval
        waited_from = now
        while True:
            now = self._clock()
            if now >= start:
                break
            self._sleep(start - now)
        if now - start > LATE_WAKE:
            # Woken late (a busy machine): the request starts now, not at its slot, so the
            # next one may not start before now + interval, here and in the pace file.
            with self._lock:
                self._next = max(self._next or now, now + self.interval)
            if self.pace is not None:
                self.pace.hold_until(self.pace.wall() + self.interval, self.interval)
        return now - waited_from

    def success(self) -> None:
        """A request was not refused: count it towards calm, and recover some rate."""
        with self._lock:
            if self._streak is not None:
                self._streak += 1
            if self._rate < self.initial_rate:
                step = self.initial_rate * RECOVER_STEP
                self._rate = min(self.initial_rate, self._rate + step)

    def penalize(self, retry_after: float | None) -> None:
        """After a 429: wait ``retry_after`` seconds (or one interval) before the next start,
        here and in every process sharing the pace file. Halve the rate (not below
        ``min_rate``) only when the previous 429 was fewer than ``CALM`` successes ago."""
        with self._lock:
            self.penalties += 1
            if self._streak is not None and self._streak < CALM:
                self._rate = max(self.min_rate, self._rate / 2)
                self.slowdowns += 1
            self._streak = 0
            now = self._clock()
            pause = retry_after if retry_after is not None else self.interval
            earliest = now + max(pause, 0.0)
            self._next = earliest if self._next is None else max(self._next, earliest)
            if self.pace is not None:
                self.pace.hold_until(self.pace.wall() + max(pause, 0.0), self.interval)


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
