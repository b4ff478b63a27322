"""The job list as the one shared state of concurrent applies (docs/apply.md, "Concurrent runs
and the job list").

Job ids only grow, so the uploaded job's id is a run's *ticket*. A run

1. takes its **view** (the template) only when no job is running, after a job-list read (the
   *snapshot*) that shows none running (:func:`take_snapshot`);
2. uploads its job (or finds its own by file name, when resuming);
3. **proceeds** it only when, read again right before: no job runs, no *live* unproceeded job
   has a lower id, and no other job was proceeded or finished since the snapshot
   (:class:`Gate`); otherwise it waits (bounded by ``--timeout``) or its view is stale;
4. **retires** a job it will never proceed, by replacing its file under a name that marks it
   (``...retired.json``), so that it blocks nobody.

An unproceeded job created more than :data:`LEASE` before the tenant's present (as far as this
run can tell it, from the tenant's own timestamps) is abandoned: it never blocks. A run does not
proceed its own job once it is older than ``LEASE - TICKET_MARGIN``: it retires it and uploads
the same rows again (a fresh ticket), so that no other run can hold it abandoned while it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reconciler.errors import PlatformError

LEASE = 15 * 60.0  # seconds: an unproceeded job older than this is abandoned
TICKET_MARGIN = 5 * 60.0  # own ticket: proceed only while younger than LEASE - TICKET_MARGIN
RETIRED_SUFFIX = ".retired.json"

CREATED = "created"
VALID = "valid_scheme"
IN_PROGRESS = "in_progress"
FINISHED = "finished"


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def status_of(job: Any) -> str:
    return str(_attr(job, "status", ""))


def is_running(job: Any) -> bool:
    """``in_progress``, or proceed requested and not ``finished`` (the platform may still read
    ``valid_scheme`` right after a proceed)."""
    status = status_of(job)
    return status == IN_PROGRESS or (
        _attr(job, "process_requested_at") is not None and status != FINISHED
    )


def is_unproceeded(job: Any) -> bool:
    return status_of(job) in (CREATED, VALID) and _attr(job, "process_requested_at") is None


def is_retired(job: Any) -> bool:
    return str(_attr(job, "filename", "") or "").endswith(RETIRED_SUFFIX)


def retired_name(filename: str) -> str:
    stem = filename[:-5] if filename.endswith(".json") else filename
    return stem + RETIRED_SUFFIX


def describe(job: Any) -> str:
    return f"job {job.id} ({_attr(job, 'filename', None) or 'no file name'}, {status_of(job)})"


class TenantClock:
    """The tenant's present, as a lower bound from its own timestamps: every job-list read (and
    our own upload) shows a ``created_at`` that was in the past when we read it, so
    ``created_at + (time elapsed here since the read)`` never runs ahead of the tenant."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._offset: float | None = None  # tenant epoch seconds minus our monotonic seconds

    def observe(self, jobs: Sequence[Any]) -> None:
        stamps = [c for j in jobs if (c := _attr(j, "created_at")) is not None]
        if stamps:
            offset = max(stamps).timestamp() - self._clock()
            if self._offset is None or offset > self._offset:
                self._offset = offset

    def now(self) -> float | None:
        return None if self._offset is None else self._clock() + self._offset

    def age(self, job: Any) -> float | None:
        created: datetime | None = _attr(job, "created_at")
        now = self.now()
        if created is None or now is None:
            return None
        return now - created.timestamp()


@dataclass(slots=True)
class Snapshot:
    """The job list read right before the view: no job running in it."""

    jobs: list[Any]
    status: dict[int, str] = field(default_factory=dict)
    floor: int = 0  # the lowest id read (older jobs were not read: they are long finished)

    @classmethod
    def of(cls, jobs: Sequence[Any]) -> Snapshot:
        listed = list(jobs)
        ids = [j.id for j in listed]
        return cls(listed, {j.id: status_of(j) for j in listed}, min(ids) if ids else 0)

    def changed_since(self, job: Any) -> bool:
        """The job was proceeded or finished after this snapshot was read."""
        if not (is_running(job) or status_of(job) == FINISHED):
            return False
        before = self.status.get(job.id)
        if before is None:
            return job.id > self.floor or not self.status
        return before != FINISHED


def take_snapshot(
    client: Any,
    wait_for: Callable[[Any], Any],
    message: Callable[[str], None],
    clock: TenantClock,
) -> Snapshot:
    """Read the job list until a read shows no job running; wait for each running one first
    (``wait_for`` polls a job until it is finished, bounded by the deadline)."""
    while True:
        jobs = list(client.jobs())
        clock.observe(jobs)
        running = [j for j in jobs if is_running(j)]
        if not running:
            return Snapshot.of(jobs)
        for job in running:
            message(
                f"{describe(job)} is in progress in the tenant; waiting for it to finish "
                "before reading the tenant"
            )
            wait_for(job)


@dataclass(slots=True)
class Verdict:
    kind: str  # go | wait | stale | renew | proceeded
    job: Any = None  # the job that blocks or made the view stale
    reason: str = ""


class Gate:
    """The check right before ``proceed`` (one job-list read), and the wait while it blocks."""

    def __init__(self, client: Any, snapshot: Snapshot, clock: TenantClock) -> None:
        self.client = client
        self.snapshot = snapshot
        self.clock = clock

    def check(self, own: Any) -> Verdict:
        jobs = list(self.client.jobs())
        self.clock.observe(jobs)
        me = next((j for j in jobs if j.id == own.id), own)
        if is_running(me) or status_of(me) == FINISHED:
            return Verdict("proceeded", me)  # a run of the same plan proceeded it
        for job in jobs:
            if job.id != own.id and self.snapshot.changed_since(job):
                return Verdict("stale", job, "changed the tenant since this plan's view")
        age = self.clock.age(me)
        if age is not None and age > LEASE - TICKET_MARGIN:
            return Verdict("renew", me, f"this run's job is {age / 60:.0f} min old")
        for job in jobs:
            if job.id != own.id and is_running(job):
                return Verdict("wait", job, "is in progress")
        lower = [
            j
            for j in jobs
            if j.id < own.id and is_unproceeded(j) and not is_retired(j) and self.live(j)
        ]
        if lower:
            return Verdict("wait", min(lower, key=lambda j: j.id), "was uploaded first")
        return Verdict("go", me)

    def live(self, job: Any) -> bool:
        """Not abandoned: created at most LEASE before the tenant's present (unknown: live)."""
        age = self.clock.age(job)
        return age is None or age <= LEASE


def backoff(initial: float, maximum: float) -> Iterator[float]:
    delay = initial
    while True:
        yield delay
        delay = min(maximum, delay * 2)


def retire(client: Any, job: Any, rows: list[dict[str, Any]], filename: str) -> str:
    """Replace the file of a job this run will never proceed under a retired name; the
    message says what happened (a failed PUT leaves the job to age out after LEASE)."""
    try:
        client.replace_upload(job.id, rows, retired_name(filename))
    except PlatformError as err:
        return (
            f"could not retire job {job.id} ({err}); it is left unproceeded and stops "
            f"blocking other runs {LEASE / 60:.0f} min after it was created"
        )
    return f"job {job.id} retired as {retired_name(filename)} (it will never be proceeded)"


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "of unknown age"
    return f"{timedelta(seconds=round(seconds))} old"
