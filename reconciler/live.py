"""Fetch the live state of a tenant: one template GET, plus one DNC check per number asked.

Normalisation of the template (documented in docs/plan.md):

- e-mails are keyed lower-cased (``email_raw`` keeps the tenant's spelling);
- a role or team with value ``1`` (or ``"1"``) is a membership, anything else is not;
- ``max_chat_limit`` ``""``/``null`` → ``None``; ``max_chat_limit_enabled`` ``"1"``/``1`` → True,
  anything else (``"0"``, ``""``) → False;
- ``location`` ``""``, ``"null"`` or ``null`` → ``None`` (no location);
- ``status`` ``""`` → Active: the platform's own default for a user whose status is unset
  (only ``"Inactive"`` is inactive).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from reconciler.errors import PlatformError
from reconciler.state import LiveDnc, LiveState, LiveUser, UserStatus

# progress(done, total) after each DNC check.
Progress = Callable[[int, int], None]


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if type(obj) is dict or isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return _text(value) in ("1", "true", "True")


def _limit(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    s = _text(value)
    if not s or s.lower() == "null":
        return None
    try:
        return int(float(s))
    except ValueError:
        return None


def _location(value: Any) -> str | None:
    s = _text(value)
    return None if not s or s.lower() == "null" else s


def _status(value: Any) -> UserStatus:
    s = _text(getattr(value, "value", value))
    return UserStatus.INACTIVE if s.lower() == "inactive" else UserStatus.ACTIVE


def _members(items: Any) -> tuple[list[str], frozenset[str]]:
    """(every name in order, the names with value 1). Hot path: 50,000 users × 50 columns."""
    if not items:
        return [], frozenset()
    if isinstance(items[0], dict):
        try:
            names = [it["name"] for it in items if it["name"]]
            member = [it["name"] for it in items if it["value"] == 1 or it["value"] == "1"]
            return names, frozenset(member)
        except (KeyError, TypeError):
            pass  # an odd row: the general path below
    elif isinstance(getattr(items[0], "value", None), bool):  # the client's Membership models
        try:
            names = [it.name for it in items if it.name]
            return names, frozenset([it.name for it in items if it.value is True])
        except AttributeError:
            pass
    names, found = [], []
    for item in items:
        name, value = _get(item, "name"), _get(item, "value")
        if not name:
            continue
        names.append(str(name))
        if _flag(value):
            found.append(str(name))
    return names, frozenset(found)


def live_from_template(rows: Iterable[Any]) -> LiveState:
    """Build a :class:`LiveState` (without DNC) from template rows (dicts or client models)."""
    users: dict[str, LiveUser] = {}
    roles: dict[str, None] = {}
    teams: dict[str, None] = {}
    last_roles: list[str] = []
    last_teams: list[str] = []
    for row in rows:
        email_raw = _text(_get(row, "email"))
        if not email_raw:
            continue
        role_names, role_set = _members(_get(row, "roles"))
        team_names, team_set = _members(_get(row, "teams"))
        if role_names != last_roles:  # rows list the same columns: skip the common case
            last_roles = role_names
            for n in role_names:
                roles.setdefault(n, None)
        if team_names != last_teams:
            last_teams = team_names
            for n in team_names:
                teams.setdefault(n, None)
        user = LiveUser(
            email=email_raw.lower(),
            email_raw=email_raw,
            first_name=_text(_get(row, "first_name")),
            last_name=_text(_get(row, "last_name")),
            agent_number=_text(_get(row, "agent_number")),
            status=_status(_get(row, "status")),
            location=_location(_get(row, "location")),
            max_chat_limit=_limit(_get(row, "max_chat_limit")),
            max_chat_limit_enabled=_flag(_get(row, "max_chat_limit_enabled")),
            roles=role_set,
            teams=team_set,
        )
        users[user.email] = user
    state = LiveState(users=users, roles=tuple(roles), teams=tuple(teams))
    state.fingerprint = fingerprint(state)
    return state


def fingerprint(state: LiveState) -> str:
    """sha256 over a canonical form of the users, roles and teams (not DNC, which is only
    partially known). Equal tenants give equal fingerprints regardless of row order."""
    h = hashlib.sha256()
    h.update(json.dumps([list(state.roles), list(state.teams)], ensure_ascii=False).encode())
    for key in sorted(state.users):
        u = state.users[key]
        rec = [
            u.email_raw,
            u.first_name,
            u.last_name,
            u.agent_number,
            str(u.status),
            u.location,
            u.max_chat_limit,
            u.max_chat_limit_enabled,
            sorted(u.roles),
            sorted(u.teams),
        ]
        h.update(b"\n")
        h.update(json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode())
    return h.hexdigest()


_TS_FORMATS = (
    "%Y-%m-%d %H:%M:%S.%f %z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S.%f %Z",
    "%Y-%m-%d %H:%M:%S %Z",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
)


def parse_api_time(value: Any) -> datetime | None:
    """Parse the API's timestamps (``2023-08-05 22:02:36.362009 +0000``, ``... UTC``, ISO 8601)
    into aware UTC datetimes. ``None``/``""`` → ``None``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    s = str(value).strip()
    if not s or s.lower() == "null":
        return None
    dt: datetime | None
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        dt = None
        s2 = re.sub(r"\s+UTC$", " +0000", s)
        for fmt in _TS_FORMATS:
            try:
                dt = datetime.strptime(s2, fmt)
                break
            except ValueError:
                continue
    if dt is None:
        raise PlatformError(f"unexpected timestamp from the API: {s!r}")
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def live_dnc_from_check(number: str, check: Any) -> LiveDnc:
    """A DNC check answer (dict or client model) as :class:`LiveDnc`."""
    expires = _get(check, "expired_at", None)
    if expires is None:
        expires = _get(check, "expires_at", None)
    return LiveDnc(
        number=number,
        do_not_call=_flag(_get(check, "do_not_call", False)),
        expires_at=parse_api_time(expires),
    )


def fetch_live(
    client: Any, numbers: Iterable[str] = (), *, progress: Progress | None = None
) -> LiveState:
    """One template GET, then one DNC check per number in ``numbers`` (E.164, deduplicated,
    in the given order)."""
    state = live_from_template(client.iter_template())
    fetch_dnc(client, state, numbers, progress=progress)
    return state


def fetch_dnc(
    client: Any, state: LiveState, numbers: Iterable[str], *, progress: Progress | None = None
) -> None:
    """One DNC check per number in ``numbers`` (deduplicated, in order), into ``state.dnc``."""
    todo: Sequence[str] = list(dict.fromkeys(numbers))
    total = len(todo)
    if progress and total:
        progress(0, total)
    for i, number in enumerate(todo, 1):
        state.dnc[number] = live_dnc_from_check(number, client.dnc_check(number))
        if progress:
            progress(i, total)
