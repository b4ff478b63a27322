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
from dataclasses import MISSING, fields
from typing import Any

import msgspec

from reconciler.gcpause import gc_paused
from reconciler.platform import fastrows
from reconciler.platform.body import NeedBytes
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
) -> tuple[tuple[str, ...], frozenset[str]]:
    """(every name in order, the names with value 1). ``sets``: one frozenset per distinct
    membership (users share a few; each costs 200 bytes)."""
    member = tuple([it.name for it in items if it.value])
    found = sets.get(member)
    if found is None:
        found = sets[member] = frozenset(member)
    return tuple([it.name for it in items if it.name]), found


# A row as :func:`_fold` takes it: a TemplateRow, or (from the fast path, :func:`_LiveRows`)
# the user already built with its role and team names in order.
_Fast = tuple[LiveUser, tuple[str, ...], tuple[str, ...]]
_Item = TemplateRow | _Fast

_LISTS_MAX = 4096  # distinct raw membership lists kept per fetch (each ~1.5 kB)


class _LiveRows:
    """A template row's raw JSON straight to its :class:`LiveUser` (what the client calls per
    row, ``TemplateRows.fold_items``): the common row is normalised by fastrows'
    ``common_row`` (the same rules as TemplateRow's validators) and then by the same steps
    as :func:`_user`, without a TemplateRow per row; any other row (and an empty e-mail)
    takes the exact path, ``template_row_json``, with its result or its error.

    The usual row (its four text fields strings) is read straight from the decoded fields:
    its other five scalars (the new e-mail, status, location and limits, which users share)
    are normalised once per distinct combination (:meth:`_rest`), and each distinct raw
    role or team list once (:meth:`_list`)."""

    def __init__(self) -> None:
        # A raw role or team list -> (every name in order, the names with value 1).
        self.lists: dict[bytes, tuple[tuple[str, ...], frozenset[str]] | None] = {}
        self.sets: dict[tuple[str, ...], frozenset[str]] = {}
        self.names: dict[tuple[str, ...], tuple[str, ...]] = {}
        # The five shared scalars as given (only str, None and UNSET: no two values of
        # different types are equal) -> what _rest makes of them.
        self.rests: dict[tuple[Any, ...], _Rest | None] = {}

    def _list(self, raw: bytes) -> tuple[tuple[str, ...], frozenset[str]] | None:
        try:
            return self.lists[raw]
        except KeyError:
            pass
        items = fastrows.raw_memberships(raw)
        found = None if items is None else _members(list(items), self.sets)
        if found is not None:  # one tuple per distinct list of names: _fold compares by `is`
            found = (self.names.setdefault(found[0], found[0]), found[1])
        if len(self.lists) < _LISTS_MAX:
            self.lists[raw] = found
        return found

    def _rest(self, given: tuple[Any, ...]) -> _Rest | None:
        """The status, location, limit and flag of a user whose new e-mail, status, location,
        limit and flag are ``given`` (UNSET: absent), by the rules of :func:`common_row` and
        :func:`_user`; None when those rules leave the row to the exact path."""
        values = []
        for value, (normalise, default) in zip(given, _REST_RULES, strict=True):
            value = default if value is msgspec.UNSET else normalise(value)
            if value is fastrows.UNDECIDED:
                found = None
                break
            values.append(value)
        else:
            _new, status, location, limit, enabled = values
            found = (
                _INACTIVE if status is _INACTIVE else _ACTIVE,
                _location(location),
                limit,
                enabled is True,
            )
        if len(self.rests) < _RESTS_MAX and all(
            v is None or v is msgspec.UNSET or type(v) is str for v in given
        ):
            self.rests[given] = found
        return found

    def __call__(self, raw: Any) -> _Item:
        """``raw``: a row's JSON, or the row decoded by ``fastrows.WIRE_LIST`` (NeedBytes
        when the exact path needs its JSON)."""
        wire: Any
        if type(raw) is _WIRE_ROW:
            wire = raw
        else:
            try:
                wire = _WIRE.decode(raw)
            except msgspec.DecodeError:  # another key, ...: the exact path says what it is
                return fastrows.template_row_json(raw)
        email, first, last, agent = wire.email, wire.first_name, wire.last_name, wire.agent_number
        if type(email) is str and type(first) is str and type(last) is str and type(agent) is str:
            given = (
                wire.new_email,
                wire.status,
                wire.location,
                wire.max_chat_limit,
                wire.max_chat_limit_enabled,
            )
            try:
                rest = self.rests[given]
            except (KeyError, TypeError):  # TypeError: a list or an object
                rest = self._rest(given)
            lists = self.lists
            raw_roles, raw_teams = bytes(wire.roles), bytes(wire.teams)
            try:
                roles = lists[raw_roles]
            except KeyError:
                roles = self._list(raw_roles)
            try:
                teams = lists[raw_teams]
            except KeyError:
                teams = self._list(raw_teams)
            email_raw = email.strip()
            if email_raw and rest is not None and roles is not None and teams is not None:
                status, location, limit, enabled = rest
                user = _new_user(
                    email_raw.lower(),
                    email_raw,
                    first.strip(),
                    last.strip(),
                    agent.strip(),
                    status,
                    location,
                    limit,
                    enabled,
                    roles[1],
                    teams[1],
                )
                return user, roles[0], teams[0]
        return self._common(wire, raw)

    def _common(self, wire: Any, raw: Any) -> _Item:
        """Any row decoded by ``WIRE`` (``wire``): by ``common_row``, else the exact path."""
        common = fastrows.wire_values(wire)
        if common is not None:
            values, raw_roles, raw_teams = common
            email, _new, agent, first, last, status, location, limit, enabled = values
            email_raw = email.strip()
            roles = self._list(raw_roles)
            teams = self._list(raw_teams)
            if email_raw and roles is not None and teams is not None:
                user = LiveUser(
                    email=email_raw.lower(),
                    email_raw=email_raw,
                    first_name=first.strip(),
                    last_name=last.strip(),
                    agent_number=agent.strip(),
                    status=_INACTIVE if status is _INACTIVE else _ACTIVE,
                    location=_location(location),
                    max_chat_limit=limit,
                    max_chat_limit_enabled=enabled is True,
                    roles=roles[1],
                    teams=teams[1],
                )
                return user, roles[0], teams[0]
        if raw is wire:
            raise NeedBytes
        return fastrows.template_row_json(raw)


_Rest = tuple[UserStatus, str | None, int | None, bool]
_RESTS_MAX = 4096
_WIRE = fastrows.WIRE
_WIRE_ROW = fastrows.WIRE_ROW
_REST_NAMES = ("new_email", "status", "location", "max_chat_limit", "max_chat_limit_enabled")
_REST_RULES = tuple(fastrows.RULES[name] for name in _REST_NAMES)
assert not any(TemplateRow.model_fields[name].is_required() for name in _REST_NAMES)
# The order LiveUser takes its fields in (the fast path passes them by position).
assert LiveUser.__slots__ == (
    *("email", "email_raw", "first_name", "last_name", "agent_number", "status", "location"),
    *("max_chat_limit", "max_chat_limit_enabled", "roles", "teams"),
)


def _user_maker() -> Callable[..., LiveUser]:
    """``LiveUser(*fields)`` without its ``__init__``: a frozen dataclass's sets each field by
    ``object.__setattr__`` (1.7 us a user, half of the fast path's time at 50,000 rows); each
    slot is set by its own descriptor here, 2x faster, the same object. Only for a LiveUser
    whose __init__ does nothing else (asserted: no __post_init__, every field an argument)."""
    assert not hasattr(LiveUser, "__post_init__")
    assert all(f.init and f.default is f.default_factory is MISSING for f in fields(LiveUser))
    assert tuple(f.name for f in fields(LiveUser)) == LiveUser.__slots__
    s = [getattr(LiveUser, name).__set__ for name in LiveUser.__slots__]
    new = object.__new__

    def make(*v: Any) -> LiveUser:
        u = new(LiveUser)
        s[0](u, v[0])
        s[1](u, v[1])
        s[2](u, v[2])
        s[3](u, v[3])
        s[4](u, v[4])
        s[5](u, v[5])
        s[6](u, v[6])
        s[7](u, v[7])
        s[8](u, v[8])
        s[9](u, v[9])
        s[10](u, v[10])
        return u

    return make


_new_user = _user_maker()


# The order _LiveRows unpacks.
assert (
    *("email", "new_email", "agent_number", "first_name", "last_name", "status"),
    *("location", "max_chat_limit", "max_chat_limit_enabled"),
) == fastrows.SCALARS
_INACTIVE = UserStatus.INACTIVE
_ACTIVE = UserStatus.ACTIVE


def _user(row: TemplateRow, sets: dict[tuple[str, ...], frozenset[str]]) -> _Fast | None:
    """One TemplateRow's user with its role and team names (None: no e-mail, no user)."""
    email_raw = row.email.strip()
    if not email_raw:
        return None
    role_names, role_set = _members(row.roles, sets)
    team_names, team_set = _members(row.teams, sets)
    user = LiveUser(
        email=email_raw.lower(),
        email_raw=email_raw,
        first_name=row.first_name.strip(),
        last_name=row.last_name.strip(),
        agent_number=row.agent_number.strip(),
        status=_INACTIVE if row.status is _INACTIVE else _ACTIVE,
        location=_location(row.location),
        max_chat_limit=row.max_chat_limit,
        max_chat_limit_enabled=row.max_chat_limit_enabled is True,
        roles=role_set,
        teams=team_set,
    )
    return user, role_names, team_names


def live_from_template(rows: Iterable[TemplateRow]) -> LiveState:
    """Build a :class:`LiveState` (without DNC) from the client's template rows.

    The rows are already normalised by :class:`TemplateRow` (the only place API values are
    read); this keys users by lower-cased e-mail and trims text."""
    return _fold(rows)


def _fold(rows: Iterable[_Item]) -> LiveState:
    users: dict[str, LiveUser] = {}
    roles: dict[str, None] = {}
    teams: dict[str, None] = {}
    last_roles: tuple[str, ...] = ()
    last_teams: tuple[str, ...] = ()
    sets: dict[tuple[str, ...], frozenset[str]] = {}
    for row in rows:
        if type(row) is tuple:
            user, role_names, team_names = row
        else:
            assert isinstance(row, TemplateRow)
            made = _user(row, sets)
            if made is None:
                continue
            user, role_names, team_names = made
        if role_names is not last_roles and role_names != last_roles:  # rows list the same
            last_roles = role_names  # columns: skip the common case
            for n in role_names:
                roles.setdefault(n, None)
        if team_names is not last_teams and team_names != last_teams:
            last_teams = team_names
            for n in team_names:
                teams.setdefault(n, None)
        users[user.email] = user
    state = LiveState(users=users, roles=tuple(roles), teams=tuple(teams))
    state.fingerprint = fingerprint(state)
    return state


# Each record in the JSON of ``json.dumps(rec, ensure_ascii=False, separators=(",", ":"))``:
# msgspec writes the same bytes for what a record holds (str, int, None, bool, lists of str;
# tests/platform/test_live_rows.py compares them over every code point), 10x faster.
_RECORD = msgspec.json.Encoder()


def fingerprint(state: LiveState) -> str:
    """sha256 over a canonical form of the users, roles and teams (not DNC, which is only
    partially known). Equal tenants give equal fingerprints regardless of row order."""
    h = hashlib.sha256()
    h.update(json.dumps([list(state.roles), list(state.teams)], ensure_ascii=False).encode())
    encode = _RECORD.encode
    ordered: dict[frozenset[str], list[str]] = {}  # users share their sets: sorted once each
    users = state.users
    for key in sorted(users):
        u = users[key]
        roles = ordered.get(u.roles)
        if roles is None:
            roles = ordered[u.roles] = sorted(u.roles)
        teams = ordered.get(u.teams)
        if teams is None:
            teams = ordered[u.teams] = sorted(u.teams)
        rec = [
            u.email_raw,
            u.first_name,
            u.last_name,
            u.agent_number,
            str(u.status),
            u.location,
            u.max_chat_limit,
            u.max_chat_limit_enabled,
            roles,
            teams,
        ]
        h.update(b"\n")
        h.update(encode(rec))
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
    fold_items = getattr(rows, "fold_items", None)  # the platform client's: rows as they arrive
    with gc_paused():
        if callable(fold_items):
            state = fold_items(_LiveRows(), _fold, fastrows.WIRE_LIST)
        else:
            state = _fold(rows)
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
