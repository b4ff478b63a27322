"""The outcome of ``apply``: what was applied, what failed and where in the YAML, and the audit
trail (plan hash, git commit, job, API calls by endpoint, times).

:class:`ApplyReport` is a pydantic model so that ``apply --report FILE`` writes stable JSON.
It never holds the API token: it is built only from the plan, the job objects and the results
the tenant returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from reconciler.errors import Diagnostic
from reconciler.plan import UserAction
from reconciler.state import Location

REPORT_FORMAT_VERSION = 1

UserOutcome = Literal["applied", "warning", "failed", "not_applied"]
DncOpAction = Literal["add", "upsert", "update", "remove", "reassert"]  # a plan's + reassert
DncOutcome = Literal["created", "updated", "removed", "not_found", "failed", "not_applied"]

Outcome = Literal[
    "no_changes",  # nothing to do
    "applied",  # everything applied (possibly with warnings)
    "applied_with_errors",  # the job finished with update errors and/or DNC entries failed
    "invalid_scheme",  # the job was rejected; nothing applied
    "incomplete",  # interrupted, or ended early (timeout, error) after sending something
    "refused",  # nothing applied: safety refusal, stale or already applied plan, not confirmed
    "failed",  # an error before anything was sent
]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ReportDiagnostic(BaseModel):
    """A problem mapped back to the YAML (``path:line:col: severity: message``)."""

    message: str
    severity: Literal["error", "warning"] = "error"
    location: str | None = None  # "file:line:col"

    @classmethod
    def of(cls, diag: Diagnostic) -> ReportDiagnostic:
        return cls(
            message=diag.message,
            severity=diag.severity,
            location=str(diag.loc) if diag.loc else None,
        )

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message}"


class UserResult(BaseModel):
    row: int  # 1-based row of the job file
    email: str  # the key the config uses (the new address for renames)
    action: UserAction
    outcome: UserOutcome = "not_applied"
    location: str | None = None
    messages: list[str] = Field(default_factory=list)


class DncResult(BaseModel):
    number: str  # E.164
    action: DncOpAction
    outcome: DncOutcome = "not_applied"
    error: str | None = None
    location: str | None = None
    batch: int | None = None  # 1-based batch number of the call that carried it


class ApplyReport(BaseModel):
    format_version: int = REPORT_FORMAT_VERSION
    plan_hash: str | None = None  # None: the run ended before it had a plan
    config_commit: str | None = None
    job_filename: str | None = None
    job_id: int | None = None
    job: dict[str, Any] | None = None  # the final job object as the tenant returned it
    resumed: bool = False  # an existing job for this plan was found and driven on
    outcome: Outcome = "no_changes"
    users: list[UserResult] = Field(default_factory=list)
    dnc: list[DncResult] = Field(default_factory=list)
    diagnostics: list[ReportDiagnostic] = Field(default_factory=list)
    api_calls: dict[str, int] = Field(default_factory=dict)
    started_at: datetime = Field(default_factory=_utcnow)
    finished_at: datetime | None = None

    # ----------------------------------------------------------------- derived values
    @property
    def errors(self) -> list[ReportDiagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[ReportDiagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def failed(self) -> bool:
        failing = ("invalid_scheme", "applied_with_errors", "incomplete", "refused", "failed")
        return self.outcome in failing or bool(self.errors)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def add_diagnostic(
        self, message: str, loc: Location | None, severity: Literal["error", "warning"]
    ) -> ReportDiagnostic:
        diag = ReportDiagnostic.of(Diagnostic(message, loc, severity))
        self.diagnostics.append(diag)
        return diag

    def summary(self) -> str:
        """One line for people, e.g. ``Applied: 3 users created, 5 updated; 4 DNC numbers
        added, 1 removed; 2 DNC numbers failed (see above)``."""
        if self.outcome == "invalid_scheme":
            n = len(self.errors)
            return (
                f"Nothing applied: the tenant rejected the user job ({n} scheme "
                f"error{'s' if n != 1 else ''}, see above); DNC changes were not sent either."
            )
        users = self._count_users()
        dnc = self._count_dnc()
        parts = [p for p in (users, dnc) if p]
        failures = self._count_failures()
        if not parts and not failures:
            return "Applied: no changes."
        text = "Applied: " + ("; ".join(parts) if parts else "nothing")
        if failures:
            text += "; " + failures
        return text

    def _count_users(self) -> str:
        done = [u.action for u in self.users if u.outcome in ("applied", "warning")]
        return _count_phrase(done, USER_LABELS, "user")

    def _count_dnc(self) -> str:
        """The real outcomes the batch answers gave (``created``, ``updated``, ``removed``,
        ``not_found``), whatever the plan expected; re-asserted numbers are counted apart."""
        ok = ("created", "updated", "removed", "not_found")
        done = [
            "reassert" if d.action == "reassert" else d.outcome for d in self.dnc if d.outcome in ok
        ]
        return _count_phrase(done, DNC_LABELS, "DNC number")

    def _count_failures(self) -> str:
        out = []
        users_failed = sum(1 for u in self.users if u.outcome == "failed")
        if users_failed:
            out.append(f"{users_failed} user{'s' if users_failed != 1 else ''} failed")
        users_not = sum(1 for u in self.users if u.outcome == "not_applied")
        if users_not and self.job_id is not None:
            out.append(f"{users_not} user{'s' if users_not != 1 else ''} not applied")
        dnc_failed = sum(1 for d in self.dnc if d.outcome == "failed")
        if dnc_failed:
            out.append(f"{dnc_failed} DNC number{'s' if dnc_failed != 1 else ''} failed")
        if not out:
            return ""
        return ", ".join(out) + " (see above)"

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


USER_LABELS = {
    "create": "created",
    "update": "updated",
    "rename": "renamed",
    "deactivate": "deactivated",
}
DNC_LABELS = {
    "created": "added",
    "updated": "updated",
    "reassert": "re-asserted",
    "removed": "removed",
    "not_found": "not listed (nothing to remove)",
}


def _count_phrase(actions: Sequence[str], labels: dict[str, str], noun: str) -> str:
    """``3 users created, 5 updated`` from the actions done, in ``labels`` order; the noun
    (pluralised by the first count) goes after the first number."""
    counts = {a: actions.count(a) for a in labels if a in actions}
    items = [f"{n} {labels[a]}" for a, n in counts.items()]
    if not items:
        return ""
    first = next(iter(counts.values()))
    items[0] = items[0].replace(" ", f" {noun}{'s' if first != 1 else ''} ", 1)
    return ", ".join(items)
