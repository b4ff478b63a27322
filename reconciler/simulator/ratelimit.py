"""Per-tenant rate limit: a request arriving sooner than ``1/rps`` after the previously
admitted request is refused (429, ``Retry-After`` in whole seconds, rounded up). Refused
requests do not consume quota. ``TOLERANCE`` seconds of jitter are forgiven, so a client that
spaces its requests exactly ``1/rps`` apart when sending is never refused."""

from __future__ import annotations

import math
import threading
import time

TOLERANCE = 0.05


class RateLimiter:
    def __init__(self, rps: float) -> None:
        self.interval = 1.0 / rps if rps > 0 else 0.0
        self._last: float | None = None
        self._lock = threading.Lock()

    def admit(self, now: float | None = None) -> int | None:
        """None when admitted; otherwise the Retry-After seconds."""
        if self.interval <= 0:
            return None
        t = time.monotonic() if now is None else now
        with self._lock:
            if self._last is not None:
                wait = self._last + self.interval - t
                if wait > TOLERANCE:
                    return max(1, math.ceil(wait))
            self._last = t
            return None
