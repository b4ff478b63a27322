"""The tenant's records: a user, a DNC entry and a bulk job, with their API and state forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reconciler.simulator.clock import job_time, parse_instant


@dataclass
class User:
    id: int
    email: str  # as stored (the template shows this spelling)
    first_name: str = ""
    last_name: str = ""
    agent_number: str = ""
    status: str = "Active"  # "Active" | "Inactive"
    location: str | None = None
    max_chat_limit: int | None = None
    max_chat_limit_enabled: bool = False
    roles: set[str] = field(default_factory=set)
    teams: set[str] = field(default_factory=set)

    def to_seed(self, role_order: list[str], team_order: list[str]) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "agent_number": self.agent_number,
            "status": self.status,
            "location": self.location,
            "max_chat_limit": self.max_chat_limit,
            "max_chat_limit_enabled": self.max_chat_limit_enabled,
            "roles": [r for r in role_order if r in self.roles],
            "teams": [t for t in team_order if t in self.teams],
        }


@dataclass
class DncEntry:
    number: str  # E.164
    raw: str  # as first sent
    expires_at: datetime | None = None


@dataclass
class Job:
    id: int
    created_at: datetime
    filename: str
    rows: Any  # the parsed file (a list when well-formed); None when not JSON
    raw_ok: bool = True  # the file parsed as JSON
    status: str = "created"
    process_requested_at: datetime | None = None
    affected_rows: int = 0
    failed_rows: int = 0
    uploaded_api_user_name: str | None = None
    proceed_api_user_name: str | None = None
    scheme_errors: list[dict[str, Any]] = field(default_factory=list)
    update_errors: list[dict[str, Any]] = field(default_factory=list)
    # Internal: bumped when the file is replaced (stale validations are dropped); user ids the
    # rows referred to when the update started; rows processed so far (resume after restart).
    version: int = 0
    resolved: list[int | None] = field(default_factory=list)
    processed: int = 0
    # Rows whose rename an earlier row already made (together with its own, as a swap).
    renamed_early: list[int] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return len(self.rows) if isinstance(self.rows, list) else 0

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": job_time(self.created_at),
            "process_requested_at": job_time(self.process_requested_at),
            "filename": self.filename,
            "total_rows": self.total_rows,
            "affected_rows": self.affected_rows,
            "failed_rows": self.failed_rows,
            "status": self.status,
            "uploaded_user_name": None,
            "proceed_user_name": None,
            "uploaded_api_user_name": self.uploaded_api_user_name,
            "proceed_api_user_name": self.proceed_api_user_name,
            "scheme_errors": [_error_line(e) for e in self.scheme_errors],
            "update_errors": [_error_line(e) for e in self.update_errors],
        }

    def to_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "process_requested_at": (
                self.process_requested_at.isoformat() if self.process_requested_at else None
            ),
            "filename": self.filename,
            "rows": self.rows,
            "raw_ok": self.raw_ok,
            "status": self.status,
            "affected_rows": self.affected_rows,
            "failed_rows": self.failed_rows,
            "uploaded_api_user_name": self.uploaded_api_user_name,
            "proceed_api_user_name": self.proceed_api_user_name,
            "scheme_errors": self.scheme_errors,
            "update_errors": self.update_errors,
            "version": self.version,
            "resolved": self.resolved,
            "processed": self.processed,
            "renamed_early": self.renamed_early,
        }

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> Job:
        pra = d.get("process_requested_at")
        return cls(
            id=int(d["id"]),
            created_at=parse_instant(d["created_at"]),
            process_requested_at=parse_instant(pra) if pra else None,
            filename=d["filename"],
            rows=d.get("rows"),
            raw_ok=bool(d.get("raw_ok", True)),
            status=d["status"],
            affected_rows=int(d.get("affected_rows", 0)),
            failed_rows=int(d.get("failed_rows", 0)),
            uploaded_api_user_name=d.get("uploaded_api_user_name"),
            proceed_api_user_name=d.get("proceed_api_user_name"),
            scheme_errors=list(d.get("scheme_errors", [])),
            update_errors=list(d.get("update_errors", [])),
            version=int(d.get("version", 0)),
            resolved=list(d.get("resolved", [])),
            processed=int(d.get("processed", 0)),
            renamed_early=[int(j) for j in d.get("renamed_early", [])],
        )


def _error_line(e: dict[str, Any]) -> str:
    """The job object lists errors as strings (the reference shows strings there); the errors
    endpoints give the structured objects."""
    row = e.get("row")
    return f"row {row}: {e['message']}" if row is not None else str(e["message"])
