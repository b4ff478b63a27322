"""The cheap common case of the users diff (reconciler/diffsame.py) changes nothing in the plan:
generated configs with drift of every kind give byte-identical plan JSON with and without it."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from reconciler import diffsame
from reconciler.diff import diff
from reconciler.diffsame import MembershipMemo, SameFields
from reconciler.plan import Plan
from reconciler.state import DesiredState, DesiredUser, LiveState, Location, Policy

from .helpers import NOW, ROLES, TEAMS, desired, duser, live, loc, row

OWNER = "Owned"
ALL_ROLES = (*ROLES, "Supervisor", OWNER)
ALL_TEAMS = (*TEAMS, "Tier 3")
OPTIONAL = ("agent_number", "status", "location", "max_chat_limit", "max_chat_limit_enabled")
DRIFTS = (
    "none",
    "first_name",
    "last_name",
    "agent_number",
    "location",
    "location_case",
    "location_clear",
    "max_chat_limit",
    "max_chat_limit_enabled",
    "deactivate",
    "reactivate",
    "roles",
    "teams",
    "roles_empty",
    "unmanaged",
    "rename",
    "create",
    "deleted",
)


def _subset(rnd: random.Random, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for n in names if rnd.random() < 0.4)


def _live_row(rnd: random.Random, i: int, owned: bool) -> dict[str, Any]:
    roles = _subset(rnd, ALL_ROLES[:-1]) + ((OWNER,) if owned else ())
    return row(
        f"U{i}@x.com" if i % 7 == 0 else f"u{i}@x.com",
        roles=roles,
        teams=_subset(rnd, ALL_TEAMS),
        status="Inactive" if rnd.random() < 0.1 else "Active",
        first_name=f"F{i}",
        last_name=f"L{i}",
        location=rnd.choice(["Mexico", "Paris", ""]),
        max_chat_limit=rnd.choice(["", "3", "5"]),
        max_chat_limit_enabled=rnd.choice(["0", "1"]),
        agent_number=rnd.choice(["", f"A-{i}"]),
        all_roles=ALL_ROLES,
        all_teams=ALL_TEAMS,
    )


def _declared(
    rnd: random.Random, lv: LiveState, key: str, i: int, drift: str, policy: Policy
) -> DesiredUser:
    """The user as the config declares it: the tenant's values of some fields, then ``drift``."""
    lu = lv.users[key]
    fields: dict[str, Any] = {"first_name": lu.first_name, "last_name": lu.last_name}
    fields |= {n: lu.field(n) for n in OPTIONAL if rnd.random() < 0.6}
    if fields.get("max_chat_limit", 0) is None:
        del fields["max_chat_limit"]  # the config cannot declare "no limit"
    have_roles = lu.roles - {policy.ownership_role}
    roles: tuple[str, ...] | None = tuple(have_roles) if rnd.random() < 0.7 else None
    teams: tuple[str, ...] | None = tuple(lu.teams) if rnd.random() < 0.7 else None
    email, renamed_from = key, None
    match drift:
        case "first_name" | "last_name" | "agent_number":
            fields[drift] = f"new-{drift}-{i}"
        case "location":
            fields["location"] = "Dublin"
        case "location_case":
            fields["location"] = (lu.location or "austin").swapcase()
        case "location_clear":
            fields["location"] = None
        case "max_chat_limit":
            fields["max_chat_limit"] = (lu.max_chat_limit or 0) + 1
        case "max_chat_limit_enabled":
            fields["max_chat_limit_enabled"] = not lu.max_chat_limit_enabled
        case "deactivate":
            fields["status"] = "Inactive"
        case "reactivate":
            fields["status"] = "Active"
        case "roles":
            roles = tuple(have_roles ^ {rnd.choice(ALL_ROLES[:-1])})
        case "teams":
            teams = tuple(lu.teams ^ {rnd.choice(ALL_TEAMS)})
        case "roles_empty":
            roles = ()
        case "unmanaged":
            roles = teams = None
        case "rename":
            email, renamed_from = f"renamed{i}@x.com", key
        case "create":
            email = f"new{i}@x.com"
    return duser(email, line=100 * i, roles=roles, teams=teams, renamed_from=renamed_from, **fields)


def _scenario(seed: int) -> tuple[DesiredState, LiveState, DesiredState | None]:
    rnd = random.Random(seed)
    manage: list[Any] = ["declared", "all", frozenset({"Agent", "Manager"})]
    policy = Policy(
        manage_roles=rnd.choice(manage),
        manage_teams=rnd.choice(["declared", "all", frozenset({"Tier 1"})]),
        unmanaged_users=rnd.choice(["ignore", "deactivate"]),
        ownership_role=OWNER if seed % 3 == 0 else None,
        protected_users=frozenset({"u3@x.com", "u4@x.com"}),
    )
    n = 80
    lv = live(*(_live_row(rnd, i, owned=rnd.random() < 0.8) for i in range(n)))
    users, deleted = [], []
    for i, key in enumerate(lv.users):
        drift = rnd.choice(DRIFTS) if rnd.random() < 0.5 else "none"
        if drift == "deleted":
            deleted.append(duser(key, line=100 * i))
            continue
        users.append(_declared(rnd, lv, key, i, drift, policy))
    # Two groups with a section: exact over every declared user, also those without a list.
    st = desired(*users, policy=policy)
    for kind, name in (("role", "Supervisor"), ("team", "Tier 3")):
        section = st.role_sections if kind == "role" else st.team_sections
        section[name] = loc(9000, "groups.yaml")
        refs = st.role_refs if kind == "role" else st.team_refs
        refs.setdefault(name, loc(9000, "groups.yaml"))
    for du in st.users.values():  # a group-centric config names these users in its sections
        if not du.roles_managed and rnd.random() < 0.5:
            du.roles = du.roles | {"Supervisor"}
            du.membership_locs[("role", "Supervisor")] = Location("groups.yaml", 9001, 5)
    base = None
    if seed % 2 == 0:
        base = desired(*users, *deleted, policy=policy)
    return st, lv, base


def _plan(st: DesiredState, lv: LiveState, base: DesiredState | None) -> Plan:
    return diff(st, lv, base=base, now=NOW, base_ref="HEAD" if base is not None else None)


@pytest.mark.parametrize("seed", range(12))
def test_plan_json_is_the_same_without_the_fast_paths(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    st, lv, base = _scenario(seed)
    calls = {"same": 0, "fast": 0}
    same_fields = SameFields.__call__

    def counted(self: SameFields, du: DesiredUser, lu: Any) -> bool:
        calls["same"] += 1
        found = same_fields(self, du, lu)
        calls["fast"] += found
        return found

    monkeypatch.setattr(SameFields, "__call__", counted)
    fast = _plan(st, lv, base)
    assert calls["fast"] > 10, calls  # the fast path did skip most users
    monkeypatch.setattr(SameFields, "__call__", lambda self, du, lu: False)
    monkeypatch.setattr(
        MembershipMemo, "__call__", lambda self, du, lu, kind: self.compute(du, lu, kind)
    )
    slow = _plan(st, lv, base)
    assert len(slow.user_changes) > 10
    assert {u.action for u in slow.user_changes} >= {"update", "deactivate"}
    assert fast.to_json() == slow.to_json()
    assert fast.hash == slow.hash


def test_live_values_unequal_as_they_are_go_field_by_field() -> None:
    # "mexico" against "Mexico" is no change (case-insensitive), found by the field rules
    d = desired(duser("a@x.com", location="mexico", max_chat_limit_enabled=False))
    lv = live(row("a@x.com", location="Mexico"))
    assert not SameFields()(d.users["a@x.com"], lv.users["a@x.com"])
    assert diff(d, lv, now=NOW).is_empty


def test_a_field_the_diff_does_not_know_is_left_to_the_field_rules() -> None:
    du = duser("a@x.com")
    lv = live(row("a@x.com"))
    assert SameFields()(du, lv.users["a@x.com"])
    odd = replace(du, fields={**du.fields, "nickname": "x"})
    assert not SameFields()(odd, lv.users["a@x.com"])
    assert diffsame.SameFields()(replace(du, fields={"first_name": "F"}), lv.users["a@x.com"])
