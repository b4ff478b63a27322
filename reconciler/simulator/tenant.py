"""The tenant's state: users, roles, teams, locations, DNC entries and bulk jobs.

One re-entrant lock guards everything; every method that reads or writes takes it, so a
request sees a consistent tenant and a bulk job changes it one row at a time. ``changed`` is a
condition on the same lock, notified after every change, so tests can wait for a state instead
of sleeping.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.simulator.clock import Clock, parse_instant
from reconciler.simulator.phone import PhoneError, normalize

STATE_FORMAT = 1


class SeedError(ValueError):
    """The seed or state file is not a valid tenant (message names the file and the field)."""


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
        from reconciler.simulator.clock import job_time

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


# The reference's template example: three users, seven roles, three teams, location "Mexico".
DEFAULT_ROLES = [
    "Admin",
    "Manager",
    "Agent",
    "Developer",
    "Manager Admin",
    "Manager Team",
    "Manager Data",
]
DEFAULT_TEAMS = ["test team_1", "test Team 2", "test team 3"]


def default_seed() -> dict[str, Any]:
    return {
        "subdomain": "demo",
        "token": "demo-token",
        "roles": list(DEFAULT_ROLES),
        "teams": list(DEFAULT_TEAMS),
        "locations": ["Mexico"],
        "max_chat_limit": 10,
        "users": [
            {
                "email": "user1@somedomain.com",
                "first_name": "James",
                "last_name": "Bond",
                "agent_number": "A-001",
                "status": "Active",
                "location": "Mexico",
                "max_chat_limit": 2,
                "max_chat_limit_enabled": False,
                "roles": [],
                "teams": [],
            },
            {
                "email": "user2@somedomain.com",
                "first_name": "John",
                "last_name": "Doe",
                "agent_number": "A-002",
                "status": "Inactive",
                "location": None,
                "max_chat_limit": None,
                "max_chat_limit_enabled": True,
                "roles": [],
                "teams": [],
            },
            {
                "email": "user3@somedomain.com",
                "first_name": "Jane",
                "last_name": "Doe",
                "agent_number": "A-003",
                "status": "Active",
                "location": None,
                "max_chat_limit": 1,
                "max_chat_limit_enabled": False,
                "roles": [],
                "teams": [],
            },
        ],
        "dnc": [],
    }


class Tenant:
    """The live tenant. Build it with :meth:`from_seed`; all access is under ``lock``."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.clock = clock or Clock()
        self.subdomain = "demo"
        self.token = "demo-token"
        self.roles: list[str] = []
        self.teams: list[str] = []
        self.locations: list[str] = []
        self.max_chat_limit = 10
        self.users: dict[int, User] = {}
        self.by_email: dict[str, int] = {}  # lower-cased email -> user id
        self.dnc: dict[str, DncEntry] = {}
        self.jobs: dict[int, Job] = {}
        self.next_user_id = 1
        self.next_job_id = 1
        self.state_file: Path | None = None
        self._dirty = False
        self.saves = 0

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_seed(
        cls, seed: dict[str, Any], *, clock: Clock | None = None, source: str = "seed"
    ) -> Tenant:
        t = cls(clock)
        try:
            t._load(seed, source)
        except SeedError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            raise SeedError(f"{source}: not a valid tenant: {err}") from None
        return t

    def _load(self, seed: dict[str, Any], source: str) -> None:
        def fail(where: str, msg: str) -> SeedError:
            return SeedError(f"{source}: {where}: {msg}")

        if not isinstance(seed, dict):
            raise SeedError(f"{source}: the tenant must be a JSON object")
        known = {
            "subdomain",
            "token",
            "roles",
            "teams",
            "locations",
            "max_chat_limit",
            "users",
            "dnc",
            "jobs",
            "next_user_id",
            "next_job_id",
            "format",
        }
        for key in seed:
            if key not in known:
                raise fail(key, "unknown field")

        def names(key: str) -> list[str]:
            v = seed.get(key, [])
            if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
                raise fail(key, "must be a list of non-empty names")
            return list(v)

        self.subdomain = str(seed.get("subdomain") or "demo")
        self.token = str(seed.get("token") or "demo-token")
        self.roles = names("roles")
        self.teams = names("teams")
        self.locations = names("locations")
        mcl = seed.get("max_chat_limit", 10)
        if not isinstance(mcl, int) or isinstance(mcl, bool) or mcl < 1:
            raise fail("max_chat_limit", "must be a whole number of at least 1")
        self.max_chat_limit = mcl

        users = seed.get("users", [])
        if not isinstance(users, list):
            raise fail("users", "must be a list")
        loc_by_lower = {loc.lower(): loc for loc in self.locations}
        for i, u in enumerate(users):
            where = f"users[{i}]"
            if not isinstance(u, dict):
                raise fail(where, "must be an object")
            email = u.get("email")
            if not isinstance(email, str) or "@" not in email:
                raise fail(f"{where}.email", "must be an email address")
            if email.lower() in self.by_email:
                raise fail(f"{where}.email", f"duplicate email {email!r}")
            status = u.get("status", "Active")
            if status not in ("Active", "Inactive"):
                raise fail(f"{where}.status", "must be 'Active' or 'Inactive'")
            loc = u.get("location")
            if loc in ("", None):
                loc = None
            elif not isinstance(loc, str) or loc.lower() not in loc_by_lower:
                raise fail(f"{where}.location", f"unknown location {loc!r}")
            else:
                loc = loc_by_lower[loc.lower()]
            limit = u.get("max_chat_limit")
            if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
                raise fail(f"{where}.max_chat_limit", "must be a whole number or null")
            roles = u.get("roles", [])
            teams = u.get("teams", [])
            for kind, vals, allowed in (("roles", roles, self.roles), ("teams", teams, self.teams)):
                if not isinstance(vals, list):
                    raise fail(f"{where}.{kind}", "must be a list of names")
                for v in vals:
                    if v not in allowed:
                        raise fail(f"{where}.{kind}", f"unknown name {v!r}")
            uid = u.get("id")
            if not isinstance(uid, int) or isinstance(uid, bool) or uid in self.users:
                uid = self.next_user_id
            user = User(
                id=uid,
                email=email,
                first_name=str(u.get("first_name") or ""),
                last_name=str(u.get("last_name") or ""),
                agent_number=str(u.get("agent_number") or ""),
                status=status,
                location=loc,
                max_chat_limit=limit,
                max_chat_limit_enabled=bool(u.get("max_chat_limit_enabled", False)),
                roles=set(roles),
                teams=set(teams),
            )
            self.users[uid] = user
            self.by_email[email.lower()] = uid
            self.next_user_id = max(self.next_user_id, uid + 1)

        dnc = seed.get("dnc", [])
        if not isinstance(dnc, list):
            raise fail("dnc", "must be a list")
        for i, d in enumerate(dnc):
            where = f"dnc[{i}]"
            if not isinstance(d, dict):
                raise fail(where, "must be an object")
            raw = d.get("phone_number")
            try:
                number = normalize(raw)
            except PhoneError as err:
                raise fail(f"{where}.phone_number", str(err)) from None
            exp = d.get("expires_at")
            try:
                expires = parse_instant(exp) if exp else None
            except (TypeError, ValueError):
                raise fail(f"{where}.expires_at", f"not a date/time: {exp!r}") from None
            self.dnc[number] = DncEntry(number, str(raw), expires)

        for i, j in enumerate(seed.get("jobs", []) or []):
            try:
                job = Job.from_state(j)
            except (KeyError, TypeError, ValueError) as err:
                raise fail(f"jobs[{i}]", f"invalid job: {err}") from None
            self.jobs[job.id] = job
        self.next_job_id = max(int(seed.get("next_job_id", 1)), *[k + 1 for k in self.jobs], 1)
        self.next_user_id = max(int(seed.get("next_user_id", 1)), self.next_user_id)

    # ------------------------------------------------------------------ persistence
    def to_state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "format": STATE_FORMAT,
                "subdomain": self.subdomain,
                "token": self.token,
                "roles": list(self.roles),
                "teams": list(self.teams),
                "locations": list(self.locations),
                "max_chat_limit": self.max_chat_limit,
                "users": [u.to_seed(self.roles, self.teams) for u in self.users.values()],
                "dnc": [
                    {
                        "phone_number": e.number,
                        "expires_at": e.expires_at.isoformat() if e.expires_at else None,
                    }
                    for e in self.dnc.values()
                ],
                "jobs": [j.to_state() for j in self.jobs.values()],
                "next_user_id": self.next_user_id,
                "next_job_id": self.next_job_id,
            }

    def mark_changed(self) -> None:
        """Call (under the lock) after every change."""
        self._dirty = True
        self.changed.notify_all()

    def save_if_dirty(self) -> None:
        """Persist to ``state_file`` (write a temporary file, fsync, rename) if anything changed.
        The server calls it before answering any request, so nothing a client has seen is
        lost if the process is killed."""
        with self.lock:
            if not self._dirty or self.state_file is None:
                self._dirty = False
                return
            write_json_atomic(self.state_file, self.to_state())
            self._dirty = False
            self.saves += 1

    # ------------------------------------------------------------------ helpers
    def user_by_email(self, email: str) -> User | None:
        with self.lock:
            uid = self.by_email.get(email.lower())
            return self.users.get(uid) if uid is not None else None

    def users_snapshot(self) -> list[dict[str, Any]]:
        """The users in the seed format (a deep copy)."""
        with self.lock:
            return [u.to_seed(self.roles, self.teams) for u in self.users.values()]

    def dnc_snapshot(self) -> dict[str, datetime | None]:
        """E.164 number -> expiry (None = never), including expired entries."""
        with self.lock:
            return {n: e.expires_at for n, e in self.dnc.items()}

    def job_snapshot(self, job_id: int) -> dict[str, Any] | None:
        with self.lock:
            job = self.jobs.get(job_id)
            return job.to_api() if job else None

    def wait_for(self, predicate: Callable[[Tenant], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate(tenant)`` holds (checked under the lock after every change)
        or ``timeout`` seconds pass; returns whether it holds."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
            return True

    def wait_job(self, job_id: int, *statuses: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the job reaches one of ``statuses``; returns its API object."""
        ok = self.wait_for(
            lambda t: job_id in t.jobs and t.jobs[job_id].status in statuses, timeout
        )
        snap = self.job_snapshot(job_id)
        if not ok:
            raise TimeoutError(f"job {job_id} did not reach {statuses}: {snap}")
        assert snap is not None
        return snap


def write_json_atomic(path: Path, data: Any) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def load_json_file(path: str | Path) -> Any:
    """Read a seed/state file; errors name the file (and line/column for bad JSON)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise SeedError(f"{p}: cannot read: {err.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise SeedError(f"{p}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
