"""The job driver: API calls, polling with backoff, waits bounded by ``--timeout``, resume,
and the protocol calls into :mod:`reconciler.jobqueue` (see docs/apply.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from reconciler.apply.errors import ApplyTimeout, StalePlanError
from reconciler.apply.journal import Journal
from reconciler.apply.options import ApplyOptions, ClientLike
from reconciler.apply.rows import (
    DncOp,
    Severity,
    UserRow,
    _attr,
    _has_update_errors,
    _job_dict,
    _map_error,
    _record_dnc,
)
from reconciler.errors import ApplyError, PlatformError
from reconciler.jobqueue import (
    Gate,
    Snapshot,
    TenantClock,
    backoff,
    describe,
    retire,
    take_snapshot,
)
from reconciler.platform.client import ALREADY_IN_PROGRESS, time_limit
from reconciler.platform.errors import (
    AuthenticationError,
    DeadlineError,
    PermissionDeniedError,
    RequestRejectedError,
)
from reconciler.platform.models import JobStatus
from reconciler.render.jobprogress import JobProgress, QuietJobProgress
from reconciler.report import ApplyReport, DncResult, UserResult


class JobDriver:
    """Polling and waiting with backoff, within the client's throttle, bounded by a deadline."""

    def __init__(self, client: ClientLike, options: ApplyOptions, progress: JobProgress) -> None:
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
            f"({name}) {what}; it was last read as {job.status}. {after}"
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
        return self.wait(job, lambda j: j.status == JobStatus.FINISHED, "to finish")

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
    progress = options.progress or QuietJobProgress()
    return JobDriver(client, options, progress).snapshot()


def _proceed(client: ClientLike, job: Any, driver: JobDriver) -> Any:
    """Proceed this plan's own job. The platform may still read ``valid_scheme`` after a proceed
    (the reference's own proceed answer does): a job with ``process_requested_at`` set, or
    one the server says is "already in progress", was proceeded by an earlier, interrupted run
    of this plan, so it is waited for rather than failed."""
    if _attr(job, "process_requested_at") is not None:
        driver.progress.message(f"job {job.id}: proceed was already requested")
        return job
    try:
        with driver.bounded():  # the proceed and its follow-up read end by --timeout too
            try:
                job = client.proceed(job.id)
            except RequestRejectedError as err:
                if err.server_message != ALREADY_IN_PROGRESS:
                    raise
                driver.progress.message(f"job {job.id}: already in progress")
                return client.job(job.id)
    except DeadlineError:
        raise driver._timeout(job, "to be proceeded") from None
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
    rejected (invalid scheme): nothing was applied. The phases: start (resume this plan's own
    job ``own`` or upload), validate and proceed (the protocol's check before proceed), and
    finish (wait, then the update errors mapped to the rows)."""
    report.job_filename = filename
    driver.progress.filename = filename
    report.users = [
        UserResult(
            row=i,
            email=r.email,
            action=r.action,
            location=str(r.loc) if r.loc else None,
        )
        for i, r in enumerate(rows, start=1)
    ]
    cells = [r.row for r in rows]
    job = _start(client, cells, filename, report, driver, own)
    job = _validate_and_proceed(client, job, cells, filename, rows, report, driver, snapshot)
    if job is None:
        return False
    _finish(client, job, rows, report, driver)
    return True


def _start(
    client: ClientLike,
    cells: list[dict[str, Any]],
    filename: str,
    report: ApplyReport,
    driver: JobDriver,
    own: Any | None,
) -> Any:
    """This plan's job: ``own`` (an interrupted run's, resumed) or a new upload."""
    job = own
    if job is not None:
        report.resumed = True
        driver.progress.message(f"resuming job {job.id} ({filename}): {job.status}")
        if job.status == JobStatus.INVALID_SCHEME:
            # Same plan, but the tenant may have been fixed since (e.g. a location added, which
            # the fingerprint does not cover): validate the same rows again in the same job.
            job = client.replace_upload(job.id, cells, filename)
            driver.progress.message(f"job {job.id}: file replaced, validating again")
            driver.stage("uploaded", job=job)
    else:
        job = _upload(client, cells, filename, driver)
    report.job_id = job.id
    return job


def _validate_and_proceed(
    client: ClientLike,
    job: Any,
    cells: list[dict[str, Any]],
    filename: str,
    rows: Sequence[UserRow],
    report: ApplyReport,
    driver: JobDriver,
    snapshot: Snapshot,
) -> Any | None:
    """Wait for the scheme validation, then proceed once the gate admits the job; the job
    proceeded (or proceeding), or None when its scheme was rejected (``report`` says why)."""
    gate = Gate(client, snapshot, driver.tenant_clock)
    while True:
        if job.status == JobStatus.CREATED:
            job = driver.wait(job, lambda j: j.status != JobStatus.CREATED, "to validate")
        driver.stage("validated", job=job)
        if job.status == JobStatus.INVALID_SCHEME:
            report.job = _job_dict(job)
            report.outcome = "invalid_scheme"
            for err in client.scheme_errors(job.id):
                _map_error(err, rows, report, "error")
            for u in report.users:
                u.outcome = "not_applied"
            return None
        if job.status != JobStatus.VALID_SCHEME or _attr(job, "process_requested_at") is not None:
            return job  # proceeded already (by an interrupted run of this plan): wait for it
        verdict = _admit(gate, job, driver, cells)
        if verdict.kind == "proceeded":
            return verdict.job
        if verdict.kind == "renew":
            # Others may soon hold this job abandoned: take a fresh ticket for the same rows.
            driver.progress.message(f"{verdict.reason}: {retire(client, job, cells, filename)}")
            job = _upload(client, cells, filename, driver)
            report.job_id = job.id
            continue
        job = _proceed(client, job, driver)
        driver.stage("proceeded", job=job)
        return job


def _finish(
    client: ClientLike, job: Any, rows: Sequence[UserRow], report: ApplyReport, driver: JobDriver
) -> None:
    """Wait for ``finished``; each row's outcome from the update errors (failed, warning,
    applied)."""
    job = driver.wait(job, lambda j: j.status == JobStatus.FINISHED, "to finish")
    driver.stage("finished", job=job)
    report.job = _job_dict(job)
    failed_rows: set[int] = set()
    warned_rows: set[int] = set()
    if _has_update_errors(job):
        for err in client.update_errors(job.id):
            severity: Severity = "warning" if _attr(err, "error_type") == "warning" else "error"
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
            advice = "; run plan again" if driver.options.saved_plan else ""
            raise StalePlanError(
                f"{describe(verdict.job)} changed the tenant since this plan's view was "
                f"taken; {note}{advice}"
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
                    action=op.action,
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
