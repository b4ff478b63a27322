"""Progress for long waits (a full DNC refresh checks one number per second).

On a terminal: one self-rewriting line with a bar, counts and ETA. Otherwise (CI logs): one
line per 5% step. Always on stderr (or the stream given), never mixed into plan output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def _fmt_duration(seconds: float) -> str:
    s = max(0, round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{s:02d}s"
    return f"{s}s"


class ProgressLine:
    """Callable ``(done, total)``; ``clock`` is injectable for tests."""

    def __init__(
        self,
        stream: TextIO,
        label: str,
        *,
        tty: bool | None = None,
        width: int = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.label = label
        self.tty = stream.isatty() if tty is None else tty
        self.width = width
        self.clock = clock
        self.start: float | None = None
        self.last_step = -1

    def eta(self, done: int, total: int) -> str:
        if self.start is None or done == 0:
            return "?"
        elapsed = self.clock() - self.start
        return _fmt_duration(elapsed / done * (total - done))

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        if self.start is None:
            self.start = self.clock()
        pct = 100 * done // total
        if self.tty:
            fill = self.width * done // total
            bar = "#" * fill + "." * (self.width - fill)
            end = "\n" if done >= total else ""
            self.stream.write(
                f"\r{self.label} [{bar}] {done}/{total} {pct:3d}% ETA {self.eta(done, total)}"
                f"\x1b[K{end}"
            )
            self.stream.flush()
            return
        step = pct // 5
        if step != self.last_step:
            self.last_step = step
            eta = "" if done >= total else f", ETA {self.eta(done, total)}"
            self.stream.write(f"{self.label}: {done}/{total} ({pct}%{eta})\n")
            self.stream.flush()
