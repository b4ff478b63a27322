"""The simulator's one clock.

Without a start instant it is the system's UTC clock. With one (``--now``) it starts at that
instant when the simulator starts and advances with real (monotonic) time from there, so the
reference's 2022 examples can be replayed while jobs and expiries still move forward.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._start = start.astimezone(UTC) if start is not None else None
        self._t0 = time.monotonic()

    @property
    def start(self) -> datetime | None:
        return self._start

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(UTC)
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant (``2022-10-28T00:00:00Z``; naive means UTC) or the platform's
    own ``2022-10-29 00:00:00 UTC`` / ``2023-08-05 22:02:36.362009 +0000`` spellings."""
    s = text.strip()
    if s.endswith(" UTC"):
        s = s[:-4] + "+00:00"
    elif s.endswith("Z"):
        s = s[:-1] + "+00:00"
    elif len(s) > 6 and s[-6] == " " and s[-5] in "+-" and s[-4:].isdigit():
        s = f"{s[:-6]}{s[-5:-2]}:{s[-2:]}"  # "... +0000" -> "...+00:00"
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except OverflowError:  # before year 1 or after 9999 once in UTC
        raise ValueError(f"date/time out of range: {text!r}") from None


def job_time(dt: datetime | None) -> str | None:
    """Job timestamps as the reference writes them: ``2022-01-07T06:06:45.000Z``."""
    if dt is None:
        return None
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def dnc_time(dt: datetime | None) -> str | None:
    """DNC check ``expired_at`` as the reference writes it: ``2023-08-05 22:02:36.362009 +0000``."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f +0000")
