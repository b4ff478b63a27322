"""Progress of the bulk-user job on stderr (apply): a bar on a terminal, one line per state
change otherwise."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from reconciler.platform.models import JobStatus


class JobProgress:
    """Job progress on stderr: a bar on a terminal, one line per state change otherwise."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._last: tuple[str, int] | None = None
        self._bar_open = False
        self.filename = ""

    def message(self, text: str) -> None:
        self._close_bar()
        print(text, file=self.stream, flush=True)

    def job(self, job: Any) -> None:
        status = str(getattr(job, "status", ""))
        done = int(getattr(job, "affected_rows", 0) or 0)
        total = int(getattr(job, "total_rows", 0) or 0)
        name = getattr(job, "filename", None) or self.filename
        if self.tty and status == JobStatus.IN_PROGRESS and total:
            width = 30
            filled = min(width, width * done // total)
            bar = "#" * filled + "-" * (width - filled)
            print(
                f"\rjob {job.id} [{bar}] {done}/{total} rows",
                end="",
                file=self.stream,
                flush=True,
            )
            self._bar_open = True
            self._last = (status, done)
            return
        if self._last is None or self._last[0] != status:
            self._close_bar()
            counting = status in (JobStatus.IN_PROGRESS, JobStatus.FINISHED)
            rows = f" ({done}/{total} rows)" if counting else ""
            print(f"job {job.id} {name}: {status}{rows}", file=self.stream, flush=True)
        self._last = (status, done)

    def _close_bar(self) -> None:
        if self._bar_open:
            print(file=self.stream, flush=True)
            self._bar_open = False


class QuietJobProgress(JobProgress):
    """No output (library use without a progress sink)."""

    def __init__(self) -> None:
        super().__init__(stream=sys.stderr, tty=False)

    def message(self, text: str) -> None:
        pass

    def job(self, job: Any) -> None:
        pass
