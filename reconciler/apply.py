"""Apply a :class:`~reconciler.plan.Plan`: one bulk-user job driven to ``finished``, then DNC
batches; every server error mapped back to its YAML line; safe to interrupt and re-run.

The shape follows octoDNS's ``Provider._apply``: the plan says *what*; this module only turns it
into API calls and records what happened in an :class:`~reconciler.report.ApplyReport`.

Lifecycle of the user job (see docs/apply.md)::

    jobs()  ─ a job with this plan's filename?  created/valid_scheme → proceed it
            │                                   in_progress          → wait for it
            │                                   finished             → report it (no upload)
            └ another job in_progress → wait for it (bounded by --timeout)
    upload → poll until valid_scheme / invalid_scheme → proceed → poll until finished
    → update errors (only when the job says it has some) → DNC add/remove batches

Time is injected (``sleep``, ``clock``) so tests never wait real seconds, and ``on_stage`` is a
hook that tests use to interrupt the driver at an exact point.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from reconciler.errors import ApplyError, Diagnostic, PlatformError, ReconcilerError
from reconciler.jobqueue import (
    Gate,
    Snapshot,
    TenantClock,
    backoff,
    describe,
    retire,
    take_snapshot,
)
from reconciler.plan import Plan, UserChange
from reconciler.platform.client import ALREADY_IN_PROGRESS, time_limit
from reconciler.platform.errors import (
    AuthenticationError,
    DeadlineError,
    PermissionDeniedError,
    RequestRejectedError,
)
from reconciler.report import ApplyReport, DncResult, Outcome, UserResult
from reconciler.state import Location

FILENAME_PREFIX = "ccai-reconciler-"
DEFAULT_TIMEOUT = 30 * 60.0
DEFAULT_DNC_BATCH_SIZE = 500

# Job states (the vendor's names).
CREATED = "created"
VALID = "valid_scheme"
INVALID = "invalid_scheme"
IN_PROGRESS = "in_progress"
FINISHED = "finished"

# Column order of the bulk template, used when the tenant reports a column by number.
TEMPLATE_COLUMNS: tuple[str, ...] = (
    "email",
    "new_email",
    "agent_number",
    "first_name",
    "last_name",
    "status",
    "location",
    "max_chat_limit",
    "max_chat_limit_enabled",
    "roles",
    "teams",
)


def job_filename(plan_hash: str) -> str:
    """The job's file name for a plan: deterministic, so a re-run finds its own job."""
    return f"{FILENAME_PREFIX}{plan_hash[:12]}.json"


class ApplyTimeout(ApplyError):
    """The wait for a job ended; nothing is lost, a later apply resumes the job."""

    job: Any = None  # the job as last read


class ApplyInterrupted(ApplyError):
    """Raised by an ``on_stage`` hook (tests) to stop the driver at an exact point."""


# --------------------------------------------------------------------------- the inputs


@dataclass(slots=True)
class UserRow:
    """One row of the job file and where it came from in the YAML."""

    row: dict[str, Any]
    email: str  # the config's key (the new address for a rename)
    action: str  # create | update | rename | deactivate
    loc: Location | None = None  # the user's block
    field_locs: dict[str, Location] = field(default_factory=dict)
    membership_locs: dict[tuple[str, str], Location] = field(default_factory=dict)

    def location_of(self, column: str | int | None, message: str = "") -> Location | None:
        """The YAML location of a column (name or 1-based template index), falling back to
        the user's block."""
        name: str | None
        if isinstance(column, int) and not isinstance(column, bool):
            name = TEMPLATE_COLUMNS[column - 1] if 1 <= column <= len(TEMPLATE_COLUMNS) else None
        elif isinstance(column, str):
            name = column
        else:
            name = None
        if name in ("email", "new_email") or name is None:
            return self.loc
        if name in ("roles", "teams"):
            kind = name[:-1]
            named = [
                (f"'{member}'" in message, len(member), loc)
                for (k, member), loc in self.membership_locs.items()
                if k == kind and member and member in message
            ]
            if named:  # the quoted name, else the longest: "Manager Team", not "Manager"
                return max(named, key=lambda n: (n[0], n[1]))[2]
            return self.loc
        return self.field_locs.get(name, self.loc)


@dataclass(slots=True)
class DncOp:
    number: str  # E.164
    action: str  # add | update | remove | reassert
    expires_at: datetime | None = None
    loc: Location | None = None


class JobLike(Protocol):
    id: int
    filename: str
    status: str
    total_rows: int
    affected_rows: int
    failed_rows: int


class ClientLike(Protocol):
    calls: Any

    def jobs(self) -> Sequence[Any]: ...
    def job(self, job_id: int) -> Any: ...
    def upload(self, rows: list[dict[str, Any]], filename: str) -> Any: ...
    def replace_upload(self, job_id: int, rows: list[dict[str, Any]], filename: str) -> Any: ...
    def proceed(self, job_id: int) -> Any: ...
    def scheme_errors(self, job_id: int) -> Sequence[Any]: ...
    def update_errors(self, job_id: int) -> Sequence[Any]: ...
    def dnc_add(self, contacts: list[Any]) -> Sequence[Any]: ...
    def dnc_remove(self, numbers: list[str]) -> Sequence[Any]: ...


# --------------------------------------------------------------------------- progress


class Progress:
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
        status = str(_attr(job, "status", ""))
        done = int(_attr(job, "affected_rows", 0) or 0)
        total = int(_attr(job, "total_rows", 0) or 0)
        name = _attr(job, "filename", None) or self.filename
        if self.tty and status == IN_PROGRESS and total:
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
            rows = f" ({done}/{total} rows)" if status in (IN_PROGRESS, FINISHED) else ""
            print(f"job {job.id} {name}: {status}{rows}", file=self.stream, flush=True)
        self._last = (status, done)

    def _close_bar(self) -> None:
        if self._bar_open:
            print(file=self.stream, flush=True)
            self._bar_open = False


class _Quiet(Progress):
    """No output (library use without a progress sink)."""

    def __init__(self) -> None:
        super().__init__(stream=sys.stderr, tty=False)

    def message(self, text: str) -> None:
        pass

    def job(self, job: Any) -> None:
        pass


# --------------------------------------------------------------------------- the journal


class Journal:
    """What a saved plan's apply has done, next to the plan file (``PLAN.json.applied``).

    It makes ``apply PLAN.json`` resumable for the DNC part (which leaves no trace in the tenant
    that could be listed) and lets a saved plan apply only once, even when it has no user rows.
    Written atomically after every step. A plan made again with the same content (same hash,
    another ``created_at``) is another plan: the journal of the earlier one does not apply to it.
    """

    def __init__(self, path: Path, plan_hash: str, plan_created: str | None = None) -> None:
        self.path = path
        self.data: dict[str, Any] = {"plan_hash": plan_hash, "completed": False, "dnc_done": []}
        if plan_created is not None:
            self.data["plan_created_at"] = plan_created
        self.recorded = False  # the file holds a record of this very plan
        if path.exists():
            try:
                loaded = json.loads(path.read_text())
            except (OSError, ValueError) as err:
                raise ApplyError(f"{path}: unreadable apply journal ({err})") from None
            created = loaded.get("plan_created_at")
            if loaded.get("plan_hash") == plan_hash and (
                plan_created is None or created is None or created == plan_created
            ):
                self.data.update(loaded)
                self.recorded = True
        self._done: set[str] = set(self.data.get("dnc_done", []))

    @classmethod
    def for_plan(cls, plan_path: Path, plan_hash: str, plan_created: str | None = None) -> Journal:
        return cls(plan_path.with_name(plan_path.name + ".applied"), plan_hash, plan_created)

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def completed(self) -> bool:
        return bool(self.data.get("completed"))

    def dnc_done(self, number: str, action: str) -> bool:
        return f"{action}:{number}" in self._done

    def record_dnc(self, ops: Sequence[DncOp]) -> None:
        for op in ops:
            self._done.add(f"{op.action}:{op.number}")
        self.data["dnc_done"] = sorted(self._done)
        self.save()

    def set(self, **values: Any) -> None:
        self.data.update(values)
        self.save()

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(self.data, indent=2, default=str) + "\n")
            os.replace(tmp, self.path)
        except OSError as err:
            raise ApplyError(
                f"cannot write the apply journal {self.path}: {err.strerror or err} (it records "
                "what a saved plan has applied; apply a copy of the plan in a writable directory)"
            ) from None


# --------------------------------------------------------------------------- options


@dataclass(slots=True)
class ApplyOptions:
    timeout: float = DEFAULT_TIMEOUT
    dnc_batch_size: int = DEFAULT_DNC_BATCH_SIZE
    reassert_dnc: bool = False
    allow_mass_changes: bool = False
    allow_no_admin: bool = False
    # A saved plan (``apply PLAN.json``): re-check the live fingerprint before changing anything.
    saved_plan: bool = False
    now: datetime | None = None  # for "unexpired" in --reassert-dnc
    poll_initial: float = 1.0
    poll_max: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    progress: Progress | None = None
    journal: Journal | None = None
    # Called at each stage with (stage, details); raising stops the driver there (tests).
    on_stage: Callable[[str, dict[str, Any]], None] | None = None
    # The end of --timeout, set by the first wait and shared by the later ones until reset
    # (``apply -c`` resets it once the plan is made: planning is not waiting).
    deadline: float | None = None


# --------------------------------------------------------------------------- the driver


class JobDriver:
    """Polling and waiting with backoff, within the client's throttle, bounded by a deadline."""

    def __init__(self, client: ClientLike, options: ApplyOptions, progress: Progress) -> None:
        self.client = client
        self.options = options
        self.progress = progress
        if options.deadline is None:
            options.deadline = options.clock() + options.timeout
        self.deadline = options.deadline
        self.tenant_clock = TenantClock(options.clock)

    def stage(self, name: str, **details: Any) -> None:
        if self.options.on_stage is not None:
            self.options.on_stage(name, details)

    def _delays(self) -> Iterator[float]:
        delay = self.options.poll_initial
        while True:
            yield delay
            delay = min(self.options.poll_max, delay * 2)

    def _timeout(self, job: Any, what: str) -> ApplyTimeout:
        name = _attr(job, "filename", None) or self.progress.filename
        foreign = bool(self.progress.filename) and name != self.progress.filename
        if foreign:
            after = (
                "It is not this plan's job: nothing of this plan was proceeded; run "
                "apply again once it has finished (a job stuck in progress is for the "
                "platform's support)."
            )
        elif not self.progress.filename:  # the wait before the plan's view
            after = "Nothing was changed by this run: run apply again once it has finished."
        else:
            after = "Nothing is lost: run apply again to resume it."
        timeout = ApplyTimeout(
            f"timed out after {self.options.timeout:g} s waiting for job {job.id} "
            f"({name}) {what}; it is {job.status}. {after}"
        )
        timeout.job = job
        return timeout

    def wait(self, job: Any, until: Callable[[Any], bool], what: str) -> Any:
        """Poll ``job`` until ``until(job)``; backoff from 1 s to 10 s, measured from the last
        poll so that the client's own throttle spacing counts towards it."""
        self.progress.job(job)
        delays = self._delays()
        last = self.options.clock()
        while not until(job):
            delay = next(delays)
            now = self.options.clock()
            if now >= self.deadline:
                raise self._timeout(job, what)
            pause = min(delay - (now - last), self.deadline - now)
            if pause > 0:
                self.options.sleep(pause)
            last = self.options.clock()
            # The poll itself is bounded by --timeout too (a slow or trickling server).
            bound = f"apply --timeout {self.options.timeout:g} s"
            try:
                with time_limit(self.client, self.deadline - last, bound):
                    job = self.client.job(job.id)
            except DeadlineError:
                raise self._timeout(job, what) from None
            self.progress.job(job)
            self.stage("poll", job=job)
        return job

    def wait_finished(self, job: Any) -> Any:
        return self.wait(job, lambda j: j.status == FINISHED, "to finish")

    def bounded(self) -> Any:
        """Calls inside end by --timeout (a slow or trickling server included)."""
        left = self.deadline - self.options.clock()
        return time_limit(self.client, left, f"apply --timeout {self.options.timeout:g} s")

    def snapshot(self) -> Snapshot:
        """Wait until no job runs, then the job list the view is taken after."""
        with self.bounded():
            return take_snapshot(
                self.client, self.wait_finished, self.progress.message, self.tenant_clock
            )

    def pause(self, delays: Iterator[float], what: str, job: Any) -> None:
        """Sleep the next backoff delay, or raise ApplyTimeout at the deadline."""
        now = self.options.clock()
        if now >= self.deadline:
            timeout = ApplyTimeout(
                f"timed out after {self.options.timeout:g} s waiting for {describe(job)} {what}"
            )
            timeout.job = None
            raise timeout
        self.options.sleep(min(next(delays), self.deadline - now))


def wait_for_view(client: ClientLike, options: ApplyOptions) -> Snapshot:
    """Step 1 of the protocol: wait until no bulk job runs in the tenant (bounded by
    ``--timeout``); the job list read then is the snapshot the plan's view goes with."""
    progress = options.progress or _Quiet()
    return JobDriver(client, options, progress).snapshot()


def _newest(jobs: Sequence[Any], filename: str) -> Any | None:
    mine = [j for j in jobs if j.filename == filename]
    return max(mine, key=lambda j: j.id) if mine else None


def _job_dict(job: Any) -> dict[str, Any]:
    if hasattr(job, "model_dump"):
        return dict(job.model_dump(mode="json"))
    return dict(vars(job))


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _proceed(client: ClientLike, job: Any, driver: JobDriver) -> Any:
    """Proceed this plan's own job. The platform may still read ``valid_scheme`` after a proceed
    (the reference's own proceed answer does): a job with ``process_requested_at`` set, or
    one the server says is "already in progress", was proceeded by an earlier, interrupted run
    of this plan, so it is waited for rather than failed."""
    if _attr(job, "process_requested_at") is not None:
        driver.progress.message(f"job {job.id}: proceed was already requested")
        return job
    try:
        job = client.proceed(job.id)
    except RequestRejectedError as err:
        if err.server_message != ALREADY_IN_PROGRESS:
            raise
        driver.progress.message(f"job {job.id}: already in progress")
        return client.job(job.id)
    driver.progress.message(f"job {job.id}: proceed requested")
    return job


def run_user_job(
    rows: Sequence[UserRow],
    filename: str,
    client: ClientLike,
    report: ApplyReport,
    driver: JobDriver,
    snapshot: Snapshot,
    own: Any | None,
) -> bool:
    """Drive the one user job to ``finished``; fill ``report``. Returns False when the job was
    rejected (invalid scheme): nothing was applied."""
    report.job_filename = filename
    driver.progress.filename = filename
    report.users = [
        UserResult(
            row=i,
            email=r.email,
            action=r.action,  # type: ignore[arg-type]
            location=str(r.loc) if r.loc else None,
        )
        for i, r in enumerate(rows, start=1)
    ]
    cells = [r.row for r in rows]
    job = own
    if job is not None:
        report.resumed = True
        driver.progress.message(f"resuming job {job.id} ({filename}): {job.status}")
        if job.status == INVALID:
            # Same plan, but the tenant may have been fixed since (e.g. a location added, which
            # the fingerprint does not cover): validate the same rows again in the same job.
            job = client.replace_upload(job.id, cells, filename)
            driver.progress.message(f"job {job.id}: file replaced, validating again")
            driver.stage("uploaded", job=job)
    else:
        job = _upload(client, cells, filename, driver)
    report.job_id = job.id

    gate = Gate(client, snapshot, driver.tenant_clock)
    while True:
        if job.status == CREATED:
            job = driver.wait(job, lambda j: j.status != CREATED, "to validate")
        driver.stage("validated", job=job)
        if job.status == INVALID:
            report.job = _job_dict(job)
            report.outcome = "invalid_scheme"
            for err in client.scheme_errors(job.id):
                _map_error(err, rows, report, "error")
            for u in report.users:
                u.outcome = "not_applied"
            return False
        if job.status != VALID or _attr(job, "process_requested_at") is not None:
            break  # proceeded already (by an interrupted run of this plan): wait for it
        verdict = _admit(gate, job, driver, cells)
        if verdict.kind == "proceeded":
            job = verdict.job
            break
        if verdict.kind == "renew":
            # Others may soon hold this job abandoned: take a fresh ticket for the same rows.
            driver.progress.message(f"{verdict.reason}: {retire(client, job, cells, filename)}")
            job = _upload(client, cells, filename, driver)
            report.job_id = job.id
            continue
        job = _proceed(client, job, driver)
        driver.stage("proceeded", job=job)
        break
    job = driver.wait(job, lambda j: j.status == FINISHED, "to finish")
    driver.stage("finished", job=job)
    report.job = _job_dict(job)

    failed_rows: set[int] = set()
    warned_rows: set[int] = set()
    if _has_update_errors(job):
        for err in client.update_errors(job.id):
            severity = "warning" if _attr(err, "error_type") == "warning" else "error"
            row = _map_error(err, rows, report, severity)
            if row is not None:
                (warned_rows if severity == "warning" else failed_rows).add(row)
    for u in report.users:
        if u.row in failed_rows:
            u.outcome = "failed"
        elif u.row in warned_rows:
            u.outcome = "warning"
        else:
            u.outcome = "applied"
    return True


def _upload(
    client: ClientLike, cells: list[dict[str, Any]], filename: str, driver: JobDriver
) -> Any:
    job = client.upload(cells, filename)
    driver.tenant_clock.observe([job])
    n = len(cells)
    driver.progress.message(
        f"uploaded {n} user row{'s' if n != 1 else ''} as job {job.id} ({filename})"
    )
    driver.stage("uploaded", job=job)
    return job


def _admit(gate: Gate, job: Any, driver: JobDriver, cells: list[dict[str, Any]]) -> Any:
    """Step 3 of the protocol: read the job list right before proceeding; while a job runs or
    a live unproceeded job with a lower id waits its turn, poll the list (backoff, bounded by
    --timeout). A stale view retires this run's job and raises StalePlanError."""
    delays = backoff(driver.options.poll_initial, driver.options.poll_max)
    shown: int | None = None
    while True:
        try:
            with driver.bounded():
                verdict = gate.check(job)
        except DeadlineError:  # --timeout ran out at the check: the job is left to resume
            raise driver._timeout(job, "to be proceeded") from None
        driver.stage("gate", verdict=verdict.kind, job=verdict.job)
        if verdict.kind == "stale":
            note = retire(gate.client, job, cells, job.filename or driver.progress.filename)
            raise StalePlanError(
                f"{describe(verdict.job)} changed the tenant since this plan's view was "
                f"taken; {note}"
            )
        if verdict.kind != "wait":
            return verdict
        if shown != verdict.job.id:
            driver.progress.message(
                f"{describe(verdict.job)} {verdict.reason}; waiting before proceeding job {job.id}"
            )
            shown = verdict.job.id
        try:
            driver.pause(delays, "to finish or be proceeded", verdict.job)
        except ApplyTimeout as err:
            note = retire(gate.client, job, cells, job.filename or driver.progress.filename)
            err.args = (f"{err}; {note}. Nothing was applied: run apply again",)
            raise


def _has_update_errors(job: Any) -> bool:
    """Only fetch update errors when the job shows some: the call costs a second."""
    if int(_attr(job, "failed_rows", 0) or 0) > 0:
        return True
    listed = _attr(job, "update_errors", None)
    return bool(listed) or listed is None


def _map_error(err: Any, rows: Sequence[UserRow], report: ApplyReport, severity: str) -> int | None:
    message = str(_attr(err, "message", err))
    row_no = _attr(err, "row")
    column = _attr(err, "column")
    if isinstance(row_no, int) and 1 <= row_no <= len(rows):
        spec = rows[row_no - 1]
        loc = spec.location_of(column, message)
        text = f"{message} (user {spec.email}, job row {row_no})"
        report.add_diagnostic(text, loc, severity)  # type: ignore[arg-type]
        report.users[row_no - 1].messages.append(message)
        return row_no
    text = message if row_no is None else f"{message} (job row {row_no})"  # None: the file
    report.add_diagnostic(text, None, severity)  # type: ignore[arg-type]
    return None


def run_dnc(
    ops: Sequence[DncOp],
    client: ClientLike,
    report: ApplyReport,
    driver: JobDriver,
    *,
    batch_size: int,
    journal: Journal | None,
    make_contact: Callable[[DncOp], Any],
) -> None:
    """Send DNC upserts in batches through the add endpoint, then removals through the remove
    endpoint; record each result against its YAML line. Failures do not stop later batches."""
    if batch_size < 1:
        raise ApplyError("--dnc-batch-size must be at least 1")
    pending: list[DncOp] = []
    for op in ops:
        if journal is None or not journal.dnc_done(op.number, op.action):
            pending.append(op)
        else:
            report.dnc.append(
                DncResult(
                    number=op.number,
                    action=op.action,  # type: ignore[arg-type]
                    outcome="removed" if op.action == "remove" else "updated",
                    error="already applied by an earlier, interrupted run",
                    location=str(op.loc) if op.loc else None,
                )
            )
    upserts = [op for op in pending if op.action != "remove"]
    removals = [op for op in pending if op.action == "remove"]
    batch_no = 0
    for kind, items in (("add", upserts), ("remove", removals)):
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            batch_no += 1
            driver.stage("dnc_batch", batch=batch_no, kind=kind, size=len(batch))
            try:
                if kind == "add":
                    results = list(client.dnc_add([make_contact(op) for op in batch]))
                else:
                    results = list(client.dnc_remove([op.number for op in batch]))
            except (AuthenticationError, PermissionDeniedError):
                raise  # no later batch can succeed either
            except PlatformError as err:
                # The whole batch failed (refused, or retries ran out): every number in it is
                # reported failed, not journaled as sent, and the other batches still run.
                failed = {"status": "failed", "error": f"the whole batch failed: {err}"}
                _record_dnc(batch, [failed] * len(batch), report, batch_no)
                continue
            driver.stage("dnc_sent", batch=batch_no, kind=kind, size=len(batch))
            _record_dnc(batch, results, report, batch_no)
            if journal is not None:
                journal.record_dnc(batch)
            driver.progress.message(
                f"DNC batch {batch_no}: {kind} {len(batch)} number{'s' if len(batch) != 1 else ''}"
            )
    driver.stage("dnc_done")


def _record_dnc(
    batch: Sequence[DncOp], results: Sequence[Any], report: ApplyReport, batch_no: int
) -> None:
    for i, op in enumerate(batch):
        res = results[i] if i < len(results) else None
        status = str(_attr(res, "status", "failed")) if res is not None else "failed"
        error = _attr(res, "error") if res is not None else "no result returned for this number"
        if status not in ("created", "updated", "removed", "not_found", "failed"):
            error = error or f"unexpected status {status!r}"
            status = "failed"
        result = DncResult(
            number=op.number,
            action=op.action,  # type: ignore[arg-type]
            outcome=status,  # type: ignore[arg-type]
            error=str(error) if error else None,
            location=str(op.loc) if op.loc else None,
            batch=batch_no,
        )
        report.dnc.append(result)
        if status == "failed":
            report.add_diagnostic(
                f"DNC {op.number}: {error or 'failed'}",
                op.loc,
                "error",
            )


# --------------------------------------------------------------------------- plan → calls


def _cell(name: str, value: Any) -> str:
    """A field value in bulk-template spelling."""
    if name == "location" and value is None:
        return "null"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def user_row(change: UserChange) -> UserRow:
    """The job row for one user change: required columns always filled, every other column
    "" unless it changes, roles/teams only the changed names (1 assign, 0 unassign)."""
    row: dict[str, Any] = {
        "email": change.email,
        "new_email": change.new_email or "",
        "agent_number": "",
        "first_name": change.first_name,
        "last_name": change.last_name,
        "status": "",
        "location": "",
        "max_chat_limit": "",
        "max_chat_limit_enabled": "",
    }
    field_locs: dict[str, Location] = {}
    for fc in change.fields:
        if fc.field in ("first_name", "last_name"):
            row[fc.field] = _cell(fc.field, fc.after) or row[fc.field]
        else:
            row[fc.field] = _cell(fc.field, fc.after)
        if fc.loc is not None:
            field_locs[fc.field] = fc.loc.location()
    row["roles"] = [{"name": m.name, "value": 1 if m.assign else 0} for m in change.roles]
    row["teams"] = [{"name": m.name, "value": 1 if m.assign else 0} for m in change.teams]
    memberships: dict[tuple[str, str], Location] = {}
    for kind, items in (("role", change.roles), ("team", change.teams)):
        for m in items:
            if m.loc is not None:
                memberships[(kind, m.name)] = m.loc.location()
    return UserRow(
        row=row,
        email=change.key,
        action=change.action,
        loc=change.loc.location() if change.loc else None,
        field_locs=field_locs,
        membership_locs=memberships,
    )


def dnc_ops(plan: Plan, *, reassert: bool, now: datetime) -> list[DncOp]:
    """The plan's DNC changes, plus (``--reassert-dnc``) every declared present, unexpired
    number the plan does not already change."""
    ops = [
        DncOp(
            number=c.number,
            action=c.action,
            expires_at=c.expires_after,
            loc=c.loc.location() if c.loc else None,
        )
        for c in plan.dnc_changes
    ]
    if reassert:
        changed = {c.number for c in plan.dnc_changes}
        for entry in plan.desired.dnc:
            if entry.state != "present" or entry.number in changed:
                continue
            if entry.expires_at is not None and entry.expires_at <= now:
                continue
            ops.append(
                DncOp(
                    number=entry.number,
                    action="reassert",
                    expires_at=entry.expires_at,
                    loc=entry.loc.location() if entry.loc else None,
                )
            )
            changed.add(entry.number)
    return ops


def _dnc_contact(op: DncOp) -> Any:
    from reconciler.platform.models import DncContact

    return DncContact.build(op.number, op.expires_at)


def check_safety(plan: Plan, options: ApplyOptions) -> None:
    """Refuse the plan's safety violations unless explicitly allowed (after it was shown). The
    violations are computed at plan time by :mod:`reconciler.safety`; this only enforces."""
    from reconciler.safety import refusals

    refused = refusals(
        plan.safety,
        allow_mass_changes=options.allow_mass_changes,
        allow_no_admin=options.allow_no_admin,
    )
    if refused:
        raise ApplyRefused("refusing to apply:", [Diagnostic(r) for r in refused])


class ApplyRefused(ApplyError):
    """apply refused to change anything (safety, a stale or already applied plan, no
    confirmation): the report's outcome is ``refused``."""


class StalePlanError(ApplyRefused):
    """The tenant changed since the plan was made."""


def _calls(client: Any) -> dict[str, int]:
    calls = getattr(client, "calls", None)
    return dict(sorted(calls.items())) if calls else {}


def apply_plan(
    plan: Plan,
    client: ClientLike,
    *,
    options: ApplyOptions,
    snapshot: Snapshot | None = None,
) -> ApplyReport:
    """Converge the tenant to ``plan``: one bulk-user job, then DNC batches.

    ``snapshot`` is the job list :func:`wait_for_view` read right before the plan's view was
    taken (``apply -c``). Without one (a saved plan, library use), apply waits until no job
    runs and compares the live fingerprint with the plan's: that is the view.

    Raises :class:`ApplyError` for refusals (safety, stale or already-applied saved plan,
    timeout); problems the tenant reports per user or per number end up in the report (its
    ``exit_code`` is 1 when any is an error).
    """
    check_safety(plan, options)
    journal = options.journal
    progress = options.progress or _Quiet()
    driver = JobDriver(client, options, progress)
    filename = job_filename(plan.hash)
    report = ApplyReport(plan_hash=plan.hash, config_commit=plan.config_commit)
    if journal is not None and journal.completed:
        raise ApplyRefused(
            f"this plan was already applied (see {journal.path}); run plan again to see what "
            "differs now"
        )
    try:
        rows = [user_row(c) for c in plan.user_changes]
        checked = False  # the live fingerprint was compared with the plan's
        # The caller computed the plan from a view taken right after ``snapshot``.
        viewed = snapshot is not None and not options.saved_plan
        own: Any | None = None
        if rows:
            if snapshot is None:
                snapshot = driver.snapshot()
            own = _newest(snapshot.jobs, filename)
            resuming = options.saved_plan and journal is not None and journal.recorded
            if own is not None and own.status == FINISHED and not resuming:
                # A finished job of a plan with the same content, not one this saved plan is
                # resuming. If it finished cleanly and the tenant is back where it started
                # (its changes were undone outside git), this plan applies them again rather
                # than report the old job as applied.
                if not _has_update_errors(own) and _live_fingerprint(client) == plan.fingerprint:
                    progress.message(
                        f"job {own.id} ({filename}) finished earlier, but the tenant no longer "
                        "has its changes; applying them again"
                    )
                    own = None
                    checked = True
                elif options.saved_plan:
                    raise ApplyRefused(
                        f"this plan was already applied: job {own.id} ({filename}) is "
                        "finished; run plan again to see what differs now"
                    )
        needs_check = options.saved_plan or (bool(rows) and not viewed)
        if needs_check and not checked and (own is None or not _proceeded(own)):
            # Nothing of this plan has reached the tenant yet (no job, or a job never
            # proceeded): the tenant must still be the one the plan was made against. This
            # is the view of a saved plan (taken after the snapshot: no job ran then).
            _check_fingerprint(plan, client)
        if journal is not None:
            journal.set(job_filename=filename, config_commit=plan.config_commit)
        if rows:
            assert snapshot is not None
            if not run_user_job(rows, filename, client, report, driver, snapshot, own):
                return report  # invalid scheme: nothing applied, DNC not sent either
        if report.job_id is not None and journal is not None:
            journal.set(job_id=report.job_id)
        now = options.now or datetime.now(UTC)
        ops = dnc_ops(plan, reassert=options.reassert_dnc, now=now)
        if ops:
            run_dnc(
                ops,
                client,
                report,
                driver,
                batch_size=options.dnc_batch_size,
                journal=journal,
                make_contact=_dnc_contact,
            )
        if report.users or report.dnc:
            failed = any(u.outcome == "failed" for u in report.users) or any(
                d.outcome == "failed" for d in report.dnc
            )
            report.outcome = "applied_with_errors" if failed else "applied"
        if journal is not None:
            journal.set(completed=True, finished_at=now_utc().isoformat())
        return report
    except (ReconcilerError, KeyboardInterrupt) as err:
        if isinstance(err, ApplyTimeout) and err.job is not None and err.job.id == report.job_id:
            report.job = _job_dict(err.job)  # the audit trail shows where the wait ended
        report.outcome = outcome_of(err, sent=report.job_id is not None or bool(report.dnc))
        if isinstance(err, ReconcilerError):
            record_error(report, err)
        err.report = report  # type: ignore[union-attr]  # so --report still gets written
        raise
    finally:
        report.api_calls = _calls(client)
        report.finished_at = now_utc()


def record_error(report: ApplyReport, err: ReconcilerError) -> None:
    """The error that ended the run, in the report's diagnostics (one per problem)."""
    diagnostics = list(getattr(err, "diagnostics", []) or [])
    headline = getattr(err, "headline", None) if diagnostics else str(err)
    if headline:
        report.add_diagnostic(str(headline), None, "error")
    for diag in diagnostics:
        report.add_diagnostic(diag.message, diag.loc, diag.severity)


def outcome_of(err: BaseException, *, sent: bool) -> Outcome:
    """The report's outcome for a run that ended with ``err``: ``refused`` (nothing was
    proceeded), ``incomplete`` (interrupted, or ended early after something was sent: a later
    apply resumes) or ``failed``."""
    if isinstance(err, ApplyRefused):
        return "refused"
    if isinstance(err, KeyboardInterrupt) or sent:
        return "incomplete"
    return "failed"


def _live_fingerprint(client: ClientLike) -> str:
    from reconciler.live import fetch_live

    return fetch_live(client, []).fingerprint


def _proceeded(job: Any) -> bool:
    """The job was proceeded: its update is running or done (it may change the tenant)."""
    return job.status in (IN_PROGRESS, FINISHED) or _attr(job, "process_requested_at") is not None


def _check_fingerprint(plan: Plan, client: ClientLike) -> None:  # the view of a saved plan
    fingerprint = _live_fingerprint(client)
    if fingerprint != plan.fingerprint:
        raise StalePlanError(
            "the tenant changed since this plan was made; run plan again "
            f"(plan fingerprint {plan.fingerprint[:12]}, tenant now {fingerprint[:12]})"
        )


def now_utc() -> datetime:
    return datetime.now(UTC)
