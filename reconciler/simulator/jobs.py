"""Bulk-user jobs: scheme validation of an uploaded file and the update of one row.

Both are pure functions of the tenant (called under its lock). Errors are
``{"message", "column", "row"}`` (update errors add ``error_type``); ``row`` is the 1-based row
of the file and ``column`` the 1-based position of the field in the template
(:data:`COLUMNS`), or ``None`` when the error is not about one field.
"""

from __future__ import annotations

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email

from reconciler.simulator.tenant import Job, Tenant, User

COLUMNS: tuple[str, ...] = (
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
COLUMN_INDEX = {name: i + 1 for i, name in enumerate(COLUMNS)}


_NEW = -1  # the user id of a row's user that is created by the row (no user has it)


def _err(message: str, row: int | None, column: str | None = None) -> dict[str, Any]:
    return {
        "message": message,
        "column": COLUMN_INDEX.get(column) if column else None,
        "row": row,
    }


def is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def valid_email(v: str) -> bool:
    try:
        validate_email(v, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _flag(v: Any) -> int | str | None:
    """0/1/empty from 0, 1, "0", "1", "", null; "bad" for anything else."""
    if is_empty(v):
        return None
    if isinstance(v, bool):
        return "bad"
    if isinstance(v, int) and v in (0, 1):
        return v
    if isinstance(v, str) and v.strip() in ("0", "1"):
        return int(v.strip())
    return "bad"


def _limit(v: Any) -> int | str | None:
    if is_empty(v):
        return None
    if isinstance(v, bool):
        return "bad"
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"[0-9]{1,18}", v.strip()):
        return int(v.strip())  # ASCII digits only; longer strings are out of range anyway
    if isinstance(v, str) and re.fullmatch(r"[0-9]+", v.strip()):
        return 10**18
    return "bad"


def validate_file(tenant: Tenant, rows: Any, raw_ok: bool) -> list[dict[str, Any]]:
    """The scheme errors of an uploaded file (empty list: valid)."""
    if not raw_ok:
        return [_err("file is not valid JSON", None)]
    if not isinstance(rows, list):
        return [_err("file must be a JSON array of users", None)]
    if not rows:
        return [_err("file has no rows", None)]
    errors: list[dict[str, Any]] = []
    seen_email: dict[str, int] = {}
    seen_new: dict[str, int] = {}
    loc_lower = {loc.lower() for loc in tenant.locations}
    for i, row in enumerate(rows):
        n = i + 1
        if not isinstance(row, dict):
            errors.append(_err("row must be a JSON object", n))
            continue
        for key in row:
            if key not in COLUMN_INDEX:
                errors.append(_err(f"unknown field: {key}", n))
        email = row.get("email")
        if is_empty(email) or not isinstance(email, str):
            errors.append(_err("email is required", n, "email"))
        elif not valid_email(email):
            errors.append(_err("email is not a valid email", n, "email"))
        elif email.lower() in seen_email:
            errors.append(
                _err(
                    f"email is duplicated in the file (row {seen_email[email.lower()]})", n, "email"
                )
            )
        else:
            seen_email[email.lower()] = n
        new = row.get("new_email")
        if not is_empty(new):
            if not isinstance(new, str) or not valid_email(new):
                errors.append(_err("new_email is not a valid email", n, "new_email"))
            elif new.lower() in seen_new:
                errors.append(
                    _err(
                        f"new_email is duplicated in the file (row {seen_new[new.lower()]})",
                        n,
                        "new_email",
                    )
                )
            else:
                seen_new[new.lower()] = n
        an = row.get("agent_number")
        if (an is not None and not isinstance(an, str | int)) or isinstance(an, bool):
            errors.append(_err("agent_number must be a string", n, "agent_number"))
        for name_field in ("first_name", "last_name"):
            v = row.get(name_field)
            if v is not None and not isinstance(v, str):
                errors.append(_err(f"{name_field} must be a string", n, name_field))
            elif is_empty(v):
                # The reference: required, a non-empty string (for an existing user too).
                errors.append(_err(f"{name_field} is required", n, name_field))
        status = row.get("status")
        if not is_empty(status) and status not in ("Active", "Inactive"):
            errors.append(_err('status must be "Active", "Inactive" or empty', n, "status"))
        loc = row.get("location")
        clears = loc is None or (isinstance(loc, str) and loc.strip().lower() in ("", "null"))
        if not clears and (not isinstance(loc, str) or loc.strip().lower() not in loc_lower):
            errors.append(_err(f"location {loc!r} does not exist", n, "location"))
        lim = _limit(row.get("max_chat_limit"))
        if lim == "bad" or (isinstance(lim, int) and not 1 <= lim <= tenant.max_chat_limit):
            errors.append(
                _err(
                    f"max_chat_limit must be 1 to {tenant.max_chat_limit} or empty",
                    n,
                    "max_chat_limit",
                )
            )
        if _flag(row.get("max_chat_limit_enabled")) == "bad":
            errors.append(
                _err("max_chat_limit_enabled must be 0, 1 or empty", n, "max_chat_limit_enabled")
            )
        for kind, allowed in (("roles", tenant.roles), ("teams", tenant.teams)):
            errors.extend(_check_memberships(row.get(kind), kind, set(allowed), n))
    return errors


def _check_memberships(v: Any, kind: str, allowed: set[str], n: int) -> list[dict[str, Any]]:
    if v is None:
        return []
    if not isinstance(v, list):
        return [_err(f"{kind} must be a list of {{name, value}}", n, kind)]
    errors = []
    seen: set[str] = set()
    singular = kind[:-1]
    for item in v:
        if not isinstance(item, dict) or set(item) - {"name", "value"} or "name" not in item:
            errors.append(_err(f"{kind} must be a list of {{name, value}}", n, kind))
            continue
        name = item["name"]
        if not isinstance(name, str) or name not in allowed:
            errors.append(_err(f"{singular} {name!r} does not exist", n, kind))
            continue
        if name in seen:
            errors.append(_err(f"{singular} {name!r} is listed twice", n, kind))
        seen.add(name)
        if _flag(item.get("value")) == "bad":
            errors.append(_err(f"{singular} {name!r}: value must be 0, 1 or empty", n, kind))
    return errors


def resolve_rows(tenant: Tenant, job: Job) -> list[int | None]:
    """Which user each row means, fixed when the update starts (so that emails can be
    swapped within one file)."""
    out: list[int | None] = []
    for row in job.rows:
        out.append(tenant.by_email.get(str(row.get("email", "")).lower()))
    return out


def apply_row(tenant: Tenant, job: Job, index: int) -> None:
    """Apply row ``index`` of a valid job to the tenant (under its lock); records an update
    error or warning on the job. Does not touch the job's counters."""
    row: dict[str, Any] = job.rows[index]
    n = index + 1
    uid = job.resolved[index] if index < len(job.resolved) else None
    if uid is not None and uid not in tenant.users:
        uid = None
    user = tenant.users.get(uid) if uid is not None else None
    email = str(row["email"]).strip()
    new_email = row.get("new_email")
    new_email = new_email.strip() if isinstance(new_email, str) and new_email.strip() else None

    def error(message: str, column: str | None, error_type: str = "error") -> None:
        e = _err(message, n, column)
        e["error_type"] = error_type
        job.update_errors.append(e)

    # Check everything that can fail before changing anything: a row applies fully or not.
    if user is None and tenant.by_email.get(email.lower()) is not None:
        # Another row of this file renamed a user to this address after the job started.
        error(f"email {email} is already used by another user", "email")
        job.failed_rows += 1
        return
    renames: list[tuple[int, str]] = []
    if new_email:
        chain = _rename_chain(tenant, job, index, user.id if user else _NEW, new_email)
        if chain is None:
            error(f"new_email {new_email} is already used by another user", "new_email")
            job.failed_rows += 1
            return
        renames = chain
    if user is None and (is_empty(row.get("first_name")) or is_empty(row.get("last_name"))):
        error("first_name and last_name are required to create a user", "first_name")
        job.failed_rows += 1
        return

    created = user is None
    if user is None:
        user = User(id=tenant.next_user_id, email=email)
        tenant.next_user_id += 1
        tenant.users[user.id] = user
        tenant.by_email[email.lower()] = user.id
    before = (user.email, *_fields(user))

    for f in ("first_name", "last_name", "agent_number"):
        v = row.get(f)
        if not is_empty(v):
            setattr(user, f, str(v).strip())
    if not is_empty(row.get("status")):
        user.status = row["status"]
    loc = row.get("location", "")
    if loc is None or (isinstance(loc, str) and loc.strip().lower() == "null"):
        user.location = None
    elif isinstance(loc, str) and loc.strip():
        user.location = next(x for x in tenant.locations if x.lower() == loc.strip().lower())
    lim = _limit(row.get("max_chat_limit"))
    if isinstance(lim, int):
        user.max_chat_limit = lim
    flag = _flag(row.get("max_chat_limit_enabled"))
    if isinstance(flag, int):
        user.max_chat_limit_enabled = bool(flag)
    for kind in ("roles", "teams"):
        current: set[str] = getattr(user, kind)
        for item in row.get(kind) or []:
            v = _flag(item.get("value"))
            if v == 1:
                current.add(item["name"])
            elif v == 0:
                current.discard(item["name"])
    if renames:
        renames[0] = (user.id, renames[0][1])
        _rename(tenant, renames)
        # The later rows whose renames were made with this one count them as their change.
        for other, _ in renames[1:]:
            j = job.resolved.index(other, index + 1)
            job.renamed_early.append(j)
    renamed_early = index in job.renamed_early
    if not created and not renamed_early and (user.email, *_fields(user)) == before:
        error("nothing to update", None, "warning")


def _fields(u: User) -> tuple[Any, ...]:
    return (
        u.first_name,
        u.last_name,
        u.agent_number,
        u.status,
        u.location,
        u.max_chat_limit,
        u.max_chat_limit_enabled,
        frozenset(u.roles),
        frozenset(u.teams),
    )


def _rename_chain(
    tenant: Tenant, job: Job, index: int, uid: int, new_email: str
) -> list[tuple[int, str]] | None:
    """The renames that let user ``uid`` (row ``index``) take ``new_email`` now, or None when
    it cannot. When the address belongs to a user that a later row of this file renames away,
    that rename is made at the same time (and so on along a chain, or round a cycle of swaps),
    so the tenant never holds two users with one address and a rename is never made whose
    counterpart would fail. Returns ``[(uid, new_email), (holder, its new_email), ...]``."""
    chain = [(uid, new_email)]
    members = {uid}
    target = new_email
    while True:
        holder = tenant.by_email.get(target.lower())
        if holder is None or holder == uid:
            return chain  # a free address, or the first user's own (a cycle closes)
        if holder in members:
            return None
        later = _later_rename(tenant, job, holder, index)
        if later is None:
            return None
        chain.append((holder, later))
        members.add(holder)
        target = later


def _later_rename(tenant: Tenant, job: Job, holder: int, index: int) -> str | None:
    """The address a later row of this job renames ``holder`` to, when it changes it."""
    held = tenant.users[holder].email.lower()
    for j in range(index + 1, len(job.rows)):
        if j < len(job.resolved) and job.resolved[j] == holder:
            ne = job.rows[j].get("new_email")
            if isinstance(ne, str) and ne.strip() and ne.strip().lower() != held:
                return ne.strip()
            return None
    return None


def _rename(tenant: Tenant, renames: list[tuple[int, str]]) -> None:
    """Give each user its new address, all at once (the old addresses are freed first)."""
    for uid, _ in renames:
        old = tenant.users[uid].email.lower()
        if tenant.by_email.get(old) == uid:
            del tenant.by_email[old]
    for uid, email in renames:
        tenant.users[uid].email = email
        tenant.by_email[email.lower()] = uid
