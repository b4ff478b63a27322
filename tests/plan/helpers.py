"""Builders for DesiredState / LiveState in pure diff tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler.live import live_from_template
from reconciler.platform.models import TemplateRow
from reconciler.state import (
    DesiredDnc,
    DesiredState,
    DesiredUser,
    LiveDnc,
    LiveState,
    Location,
    Policy,
    UserStatus,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ROLES = ("Admin", "Manager", "Agent")
TEAMS = ("Tier 1", "Tier 2")


def loc(line: int, file: str = "users.yaml") -> Location:
    return Location(file, line, 3)


def duser(
    email: str,
    *,
    line: int = 1,
    roles: tuple[str, ...] | None = None,
    teams: tuple[str, ...] | None = None,
    renamed_from: str | None = None,
    **fields: Any,
) -> DesiredUser:
    """``roles``/``teams``: the user's own list (``()`` = exactly none); ``None`` (the default)
    = no key, so the user's memberships are not managed."""
    f: dict[str, Any] = {"first_name": "F", "last_name": "L"}
    for k, v in fields.items():
        f[k] = UserStatus(v) if k == "status" else v
    field_locs = {k: loc(line + 1 + i) for i, k in enumerate(f)}
    if renamed_from:
        field_locs["renamed_from"] = loc(line + 20)
    return DesiredUser(
        email=email.lower(),
        fields=f,
        roles=frozenset(roles or ()),
        teams=frozenset(teams or ()),
        roles_managed=roles is not None,
        teams_managed=teams is not None,
        renamed_from=renamed_from.lower() if renamed_from else None,
        loc=loc(line),
        field_locs=field_locs,
        membership_locs={("role", r): loc(line + 30) for r in roles or ()}
        | {("team", t): loc(line + 40) for t in teams or ()},
    )


def desired(
    *users: DesiredUser, dnc: tuple[DesiredDnc, ...] = (), policy: Policy | None = None
) -> DesiredState:
    st = DesiredState(
        users={u.email: u for u in users},
        dnc={d.number: d for d in dnc},
        policy=policy or Policy(),
    )
    for u in users:
        for r in u.roles:
            st.role_refs.setdefault(r, u.membership_locs[("role", r)])
        for t in u.teams:
            st.team_refs.setdefault(t, u.membership_locs[("team", t)])
    return st


def row(
    email: str,
    *,
    roles: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
    status: str = "Active",
    first_name: str = "F",
    last_name: str = "L",
    location: str = "",
    max_chat_limit: str = "",
    max_chat_limit_enabled: str = "0",
    agent_number: str = "",
    all_roles: tuple[str, ...] = ROLES,
    all_teams: tuple[str, ...] = TEAMS,
) -> dict[str, Any]:
    return {
        "email": email,
        "new_email": email,
        "agent_number": agent_number,
        "first_name": first_name,
        "last_name": last_name,
        "status": status,
        "location": location,
        "max_chat_limit": max_chat_limit,
        "max_chat_limit_enabled": max_chat_limit_enabled,
        "roles": [{"name": r, "value": int(r in roles)} for r in all_roles],
        "teams": [{"name": t, "value": int(t in teams)} for t in all_teams],
    }


def live(*rows: dict[str, Any], dnc: tuple[LiveDnc, ...] = ()) -> LiveState:
    st = live_from_template([TemplateRow.model_validate(r) for r in rows])  # as the client
    st.dnc = {d.number: d for d in dnc}
    return st


def dnc(
    number: str,
    *,
    state: str = "present",
    expires_at: datetime | None = None,
    line: int = 1,
) -> DesiredDnc:
    return DesiredDnc(
        number=number,
        raw=number,
        state=state,  # type: ignore[arg-type]
        expires_at=expires_at,
        loc=Location("dnc.yaml", line, 5),
    )
