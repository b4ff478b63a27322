"""How an apply run ends badly: the exceptions, and the outcome and diagnostics they give."""

from __future__ import annotations

from typing import Any

from reconciler.errors import ApplyError, ReconcilerError
from reconciler.report import ApplyReport, Outcome


class ApplyTimeout(ApplyError):
    """The wait for a job ended; nothing is lost, a later apply resumes the job."""

    job: Any = None  # the job as last read


class ApplyRefused(ApplyError):
    """apply refused to change anything (safety, a stale or already applied plan, no
    confirmation): the report's outcome is ``refused``."""


class StalePlanError(ApplyRefused):
    """The tenant changed since the plan was made."""


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
