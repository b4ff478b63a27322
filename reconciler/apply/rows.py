"""The pure part of apply: a plan's changes as bulk-job rows and DNC operations, the tenant's
errors mapped back to YAML lines, DNC results recorded in the report. No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from reconciler.plan import Plan, UserAction, UserChange
from reconciler.platform.models import JobStatus
from reconciler.report import ApplyReport, DncOpAction, DncOutcome, DncResult
from reconciler.state import Location

FILENAME_PREFIX = "ccai-reconciler-"

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


@dataclass(slots=True)
class UserRow:
    """One row of the job file and where it came from in the YAML."""

    row: dict[str, Any]
    email: str  # the config's key (the new address for a rename)
    action: UserAction
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
    action: DncOpAction
    expires_at: datetime | None = None
    loc: Location | None = None


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


def _proceeded(job: Any) -> bool:
    """The job was proceeded: its update is running or done (it may change the tenant)."""
    return (
        job.status in (JobStatus.IN_PROGRESS, JobStatus.FINISHED)
        or _attr(job, "process_requested_at") is not None
    )


def _has_update_errors(job: Any) -> bool:
    """Only fetch update errors when the job shows some: the call costs a second."""
    if int(_attr(job, "failed_rows", 0) or 0) > 0:
        return True
    listed = _attr(job, "update_errors", None)
    return bool(listed) or listed is None


Severity = Literal["error", "warning"]
#: The statuses a DNC batch answer may give a number (anything else is a failure).
_DNC_OUTCOMES: dict[str, DncOutcome] = {
    "created": "created",
    "updated": "updated",
    "removed": "removed",
    "not_found": "not_found",
    "failed": "failed",
}


def _map_error(
    err: Any, rows: Sequence[UserRow], report: ApplyReport, severity: Severity
) -> int | None:
    message = str(_attr(err, "message", err))
    row_no = _attr(err, "row")
    column = _attr(err, "column")
    if isinstance(row_no, int) and 1 <= row_no <= len(rows):
        spec = rows[row_no - 1]
        loc = spec.location_of(column, message)
        text = f"{message} (user {spec.email}, job row {row_no})"
        report.add_diagnostic(text, loc, severity)
        report.users[row_no - 1].messages.append(message)
        return row_no
    text = message if row_no is None else f"{message} (job row {row_no})"  # None: the file
    report.add_diagnostic(text, None, severity)
    return None


def _record_dnc(
    batch: Sequence[DncOp], results: Sequence[Any], report: ApplyReport, batch_no: int
) -> None:
    for i, op in enumerate(batch):
        res = results[i] if i < len(results) else None
        answered = str(_attr(res, "status", "failed")) if res is not None else "failed"
        error = _attr(res, "error") if res is not None else "no result returned for this number"
        status = _DNC_OUTCOMES.get(answered)
        if status is None:
            error = error or f"unexpected status {answered!r}"
            status = "failed"
        result = DncResult(
            number=op.number,
            action=op.action,
            outcome=status,
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
            field_locs[fc.field] = fc.loc
    row["roles"] = [{"name": m.name, "value": 1 if m.assign else 0} for m in change.roles]
    row["teams"] = [{"name": m.name, "value": 1 if m.assign else 0} for m in change.teams]
    memberships: dict[tuple[str, str], Location] = {}
    for kind, items in (("role", change.roles), ("team", change.teams)):
        for m in items:
            if m.loc is not None:
                memberships[(kind, m.name)] = m.loc
    return UserRow(
        row=row,
        email=change.key,
        action=change.action,
        loc=change.loc,
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
            loc=c.loc,
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
                    loc=entry.loc,
                )
            )
            changed.add(entry.number)
    return ops


def _dnc_contact(op: DncOp) -> Any:
    from reconciler.platform.models import DncContact

    return DncContact.build(op.number, op.expires_at)
