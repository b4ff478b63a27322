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

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from reconciler.apply.driver import JobDriver, run_dnc, run_user_job
from reconciler.apply.errors import (
    ApplyRefused,
    ApplyTimeout,
    StalePlanError,
    outcome_of,
    record_error,
)
from reconciler.apply.journal import Journal
from reconciler.apply.options import ApplyOptions, ClientLike
from reconciler.apply.rows import (
    UserRow,
    _dnc_contact,
    _has_update_errors,
    _job_dict,
    _newest,
    _proceeded,
    dnc_ops,
    job_filename,
    user_row,
)
from reconciler.errors import Diagnostic, ReconcilerError
from reconciler.jobqueue import (
    Snapshot,
)
from reconciler.plan import Plan
from reconciler.platform.models import JobStatus
from reconciler.render.jobprogress import QuietJobProgress
from reconciler.report import ApplyReport


def enforce_safety(plan: Plan, options: ApplyOptions) -> None:
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
    enforce_safety(plan, options)
    journal = options.journal
    driver = JobDriver(client, options, options.progress or QuietJobProgress())
    filename = job_filename(plan.hash)
    report = ApplyReport(plan_hash=plan.hash, config_commit=plan.config_commit)
    _refuse_if_applied(journal)
    try:
        rows = [user_row(c) for c in plan.user_changes]
        # The caller computed the plan from a view taken right after ``snapshot``.
        viewed = snapshot is not None and not options.saved_plan
        own: Any | None = None
        checked = False  # the live fingerprint was compared with the plan's
        if rows:
            if snapshot is None:
                snapshot = driver.snapshot()
            own, checked = _own_job(plan, client, driver, snapshot, filename)
        if _needs_view_check(options, rows, viewed=viewed, checked=checked, own=own):
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
        _apply_dnc(plan, client, report, driver)
        _settle_outcome(report)
        if journal is not None:
            journal.set(completed=True, finished_at=now_utc().isoformat())
        return report
    except (ReconcilerError, KeyboardInterrupt) as err:
        _record_end(report, err)
        raise
    finally:
        report.api_calls = _calls(client)
        report.finished_at = now_utc()


def _refuse_if_applied(journal: Journal | None) -> None:
    if journal is not None and journal.completed:
        raise ApplyRefused(
            f"this plan was already applied (see {journal.path}); run plan again to see what "
            "differs now"
        )


def _own_job(
    plan: Plan, client: ClientLike, driver: JobDriver, snapshot: Snapshot, filename: str
) -> tuple[Any | None, bool]:
    """This plan's newest job in ``snapshot`` (None: upload one), and whether the live
    fingerprint was compared with the plan's on the way."""
    options, journal = driver.options, driver.options.journal
    own = _newest(snapshot.jobs, filename)
    resuming = options.saved_plan and journal is not None and journal.recorded
    if own is None or own.status != JobStatus.FINISHED or resuming:
        return own, False
    # A finished job of a plan with the same content, not one this saved plan is resuming. If
    # it finished cleanly and the tenant is back where it started (its changes were undone
    # outside git), this plan applies them again rather than report the old job as applied.
    if not _has_update_errors(own) and _live_fingerprint(client) == plan.fingerprint:
        driver.progress.message(
            f"job {own.id} ({filename}) finished earlier, but the tenant no longer "
            "has its changes; applying them again"
        )
        return None, True
    if options.saved_plan:
        raise ApplyRefused(
            f"this plan was already applied: job {own.id} ({filename}) is "
            "finished; run plan again to see what differs now"
        )
    return own, False


def _needs_view_check(
    options: ApplyOptions, rows: Sequence[UserRow], *, viewed: bool, checked: bool, own: Any
) -> bool:
    """The live fingerprint must be compared with the plan's before anything is sent."""
    needs_check = options.saved_plan or (bool(rows) and not viewed)
    return needs_check and not checked and (own is None or not _proceeded(own))


def _apply_dnc(plan: Plan, client: ClientLike, report: ApplyReport, driver: JobDriver) -> None:
    options = driver.options
    now = options.now or datetime.now(UTC)
    ops = dnc_ops(plan, reassert=options.reassert_dnc, now=now)
    if ops:
        run_dnc(
            ops,
            client,
            report,
            driver,
            batch_size=options.dnc_batch_size,
            journal=options.journal,
            make_contact=_dnc_contact,
        )


def _settle_outcome(report: ApplyReport) -> None:
    """The outcome of a run that got to the end: applied, or applied with errors."""
    if report.users or report.dnc:
        failed = any(u.outcome == "failed" for u in report.users) or any(
            d.outcome == "failed" for d in report.dnc
        )
        report.outcome = "applied_with_errors" if failed else "applied"


def _record_end(report: ApplyReport, err: ReconcilerError | KeyboardInterrupt) -> None:
    """The report of a run that ended with ``err`` (attached to it for ``--report``)."""
    if isinstance(err, ApplyTimeout) and err.job is not None and err.job.id == report.job_id:
        report.job = _job_dict(err.job)  # the audit trail shows where the wait ended
    report.outcome = outcome_of(err, sent=report.job_id is not None or bool(report.dnc))
    if isinstance(err, ReconcilerError):
        record_error(report, err)
    err.report = report  # type: ignore[union-attr]  # so --report still gets written


def _live_fingerprint(client: ClientLike) -> str:
    from reconciler.live import fetch_live

    return fetch_live(client, []).fingerprint


def _check_fingerprint(plan: Plan, client: ClientLike) -> None:  # the view of a saved plan
    fingerprint = _live_fingerprint(client)
    if fingerprint != plan.fingerprint:
        raise StalePlanError(
            "the tenant changed since this plan was made; run plan again "
            f"(plan fingerprint {plan.fingerprint[:12]}, tenant now {fingerprint[:12]})"
        )


def now_utc() -> datetime:
    return datetime.now(UTC)
