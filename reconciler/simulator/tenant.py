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
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.simulator.clock import Clock, dnc_time, parse_instant
from reconciler.simulator.phone import PhoneError, normalize
from reconciler.simulator.records import DncEntry, Job, User
from reconciler.simulator.seed import default_seed

STATE_FORMAT = 1

__all__ = [
    "STATE_FORMAT",
    "DncEntry",
    "Job",
    "SeedError",
    "Tenant",
    "User",
    "default_seed",
    "load_json_file",
    "write_json_atomic",
]


class SeedError(ValueError):
    """The seed or state file is not a valid tenant (message names the file and the field)."""


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

    # ------------------------------------------------------------------ DNC rules
    def dnc_add(self, contacts: list[Any]) -> list[dict[str, Any]]:
        """Add each contact, or update the expiry of a number already listed (an upsert): one
        result per contact, in order. A contact fails on an invalid number or an ``expires_at``
        that is not a date/time or not in the future."""
        results: list[dict[str, Any]] = []
        with self.lock:
            now = self.clock.now()
            for contact in contacts:
                if not isinstance(contact, dict):
                    results.append(
                        {
                            "phone_number": contact,
                            "error": "phone_number is invalid",
                            "status": "failed",
                        }
                    )
                    continue
                raw = contact.get("phone_number")
                result: dict[str, Any] = {"phone_number": raw}
                if "expires_at" in contact:
                    result["expires_at"] = contact["expires_at"]
                error, number, expires = None, "", None
                try:
                    number = normalize(raw)
                except PhoneError as err:
                    error = str(err)
                if error is None and contact.get("expires_at") is not None:
                    try:
                        expires = parse_instant(str(contact["expires_at"]))
                    except ValueError:
                        error = "expires_at is invalid"
                    else:
                        if expires <= now:
                            error = "expires_at cannot be past date/time"
                if error is not None:
                    result["error"] = error
                    result["status"] = "failed"
                elif number in self.dnc:
                    self.dnc[number].expires_at = expires
                    result["status"] = "updated"
                else:
                    self.dnc[number] = DncEntry(number, str(raw), expires)
                    result["status"] = "created"
                results.append(result)
            self.mark_changed()
        return results

    def dnc_remove(self, numbers: list[Any]) -> list[dict[str, Any]]:
        """Remove each number: ``removed``, ``not_found``, or ``failed`` (invalid number)."""
        results: list[dict[str, Any]] = []
        with self.lock:
            for raw in numbers:
                try:
                    number = normalize(raw)
                except PhoneError as err:
                    results.append({"phone_number": raw, "status": "failed", "error": str(err)})
                    continue
                if self.dnc.pop(number, None) is not None:
                    results.append({"phone_number": raw, "status": "removed"})
                else:
                    results.append({"phone_number": raw, "status": "not_found"})
            self.mark_changed()
        return results

    def dnc_check(self, raw: str) -> dict[str, Any]:
        """Whether ``raw`` may not be called now (an entry past its expiry may be called; it
        still shows its ``expired_at``). Raises :class:`PhoneError` for an invalid number."""
        number = normalize(raw)
        with self.lock:
            entry = self.dnc.get(number)
            if entry is None:
                return {"phone_number": raw, "expired_at": None, "do_not_call": False}
            active = entry.expires_at is None or entry.expires_at > self.clock.now()
            return {
                "phone_number": raw,
                "expired_at": dnc_time(entry.expires_at),
                "do_not_call": active,
            }

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
