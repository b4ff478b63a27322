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
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from reconciler.gcpause import gc_paused
from reconciler.platform.models import DncCheck, Membership, TemplateRow
from reconciler.state import LiveDnc, LiveState, LiveUser, UserStatus

# progress(done, total) after each DNC check.
Progress = Callable[[int, int], None]


def _text(value: str) -> str:
    return value.strip()


def _location(value: str | None) -> str | None:
    s = "" if value is None else value.strip()
    return None if not s or s.lower() == "null" else s


def _members(
    items: list[Membership], sets: dict[tuple[str, ...], frozenset[str]]
) -> tuple[list[str], frozenset[str]]:
    """(every name in order, the names with value 1). Hot path: 50,000 users × 50 columns.
    ``sets``: one frozenset per distinct membership (users share a few; each costs 200 bytes)."""
    member = tuple([it.name for it in items if it.value])
    found = sets.get(member)
    if found is None:
        found = sets[member] = frozenset(member)
    return [it.name for it in items if it.name], found


def live_from_template(rows: Iterable[TemplateRow]) -> LiveState:
    """Build a :class:`LiveState` (without DNC) from the client's template rows.

    The rows are already normalised by :class:`TemplateRow` (the only place API values are
    read); this keys users by lower-cased e-mail and trims text."""
    users: dict[str, LiveUser] = {}
    roles: dict[str, None] = {}
    teams: dict[str, None] = {}
    last_roles: list[str] = []
    last_teams: list[str] = []
    inactive = UserStatus.INACTIVE
    sets: dict[tuple[str, ...], frozenset[str]] = {}
    for row in rows:
        email_raw = row.email.strip()
        if not email_raw:
            continue
        role_names, role_set = _members(row.roles, sets)
        team_names, team_set = _members(row.teams, sets)
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
            first_name=row.first_name.strip(),
            last_name=row.last_name.strip(),
            agent_number=row.agent_number.strip(),
            status=inactive if row.status is inactive else UserStatus.ACTIVE,
            location=_location(row.location),
            max_chat_limit=row.max_chat_limit,
            max_chat_limit_enabled=row.max_chat_limit_enabled is True,
            roles=role_set,
            teams=team_set,
        )
        users[user.email] = user
    state = LiveState(users=users, roles=tuple(roles), teams=tuple(teams))
    state.fingerprint = fingerprint(state)
    return state


# json.dumps with these options builds a new encoder per call; one encoder serves every record.
_RECORD = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


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
        h.update(_RECORD.encode(rec).encode())
    return h.hexdigest()


def live_dnc_from_check(number: str, check: DncCheck) -> LiveDnc:
    """A DNC check answer (the client's model) as :class:`LiveDnc`."""
    return LiveDnc(number=number, do_not_call=check.do_not_call, expires_at=check.expired_at)


def fetch_live(
    client: Any, numbers: Iterable[str] = (), *, progress: Progress | None = None
) -> LiveState:
    """One template GET, then one DNC check per number in ``numbers`` (E.164, deduplicated,
    in the given order)."""
    rows = client.iter_template()
    fold = getattr(rows, "fold", None)  # the platform client's: rows decoded as they arrive
    with gc_paused():
        state = fold(live_from_template) if callable(fold) else live_from_template(rows)
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
