"""When a (user, role) or (user, team) pair is managed: one test per row of the table in
docs/config.md (Memberships), from YAML through the loader to the diff."""

from __future__ import annotations

from reconciler.config import load_config_sources
from reconciler.diff import diff
from reconciler.plan import Plan
from reconciler.state import DesiredState, LiveState

from .helpers import NOW, live, row

ANA = "  - {email: ana@x.com, first_name: F, last_name: L"
BOB = "  - {email: bob@x.com, first_name: F, last_name: L"


def load(text: str) -> DesiredState:
    return load_config_sources([("c.yaml", text.encode())], now=NOW).state


def plan(text: str, lv: LiveState, base: str | None = None) -> Plan:
    return diff(load(text), lv, now=NOW, base=load(base) if base is not None else None)


def changes(p: Plan) -> dict[str, list[str]]:
    """email -> ["+role Agent", "-team Tier 1", ...] for every user with membership changes."""
    out: dict[str, list[str]] = {}
    for u in p.user_changes:
        ms = [f"{'+' if m.assign else '-'}role {m.name}" for m in u.roles]
        ms += [f"{'+' if m.assign else '-'}team {m.name}" for m in u.teams]
        if ms:
            out[u.email] = ms
    return out


# A tenant where ana and bob hold a bit of everything.
TENANT_ROWS = (
    row("ana@x.com", roles=("Admin", "Agent", "Manager"), teams=("Tier 1", "Tier 2")),
    row("bob@x.com", roles=("Agent", "Manager"), teams=("Tier 1",)),
)
TENANT = live(*TENANT_ROWS)


def test_no_key_no_defaults_no_section_leaves_memberships_alone() -> None:
    # The reported defect: a names-only config removed every role and team.
    p = plan(f"users:\n{ANA}}}\n{BOB}}}\n", TENANT)
    assert changes(p) == {}
    assert p.is_empty


def test_own_key_is_exact_over_the_declared_roles() -> None:
    # Manager is named (by bob), so in scope; Admin is named nowhere: never touched.
    p = plan(f"users:\n{ANA}, roles: [Agent]}}\n{BOB}, roles: [Agent, Manager]}}\n", TENANT)
    assert changes(p) == {"ana@x.com": ["-role Manager"]}


def test_own_empty_list_means_none_of_the_roles_in_scope() -> None:
    p = plan(f"users:\n{ANA}, roles: []}}\n{BOB}, roles: [Agent]}}\n", TENANT)
    assert changes(p) == {"ana@x.com": ["-role Agent"]}
    p = plan(f"policy: {{manage_roles: all}}\nusers:\n{ANA}, roles: []}}\n{BOB}}}\n", TENANT)
    assert changes(p) == {"ana@x.com": ["-role Admin", "-role Agent", "-role Manager"]}


def test_roles_only_config_does_not_touch_teams() -> None:
    p = plan(f"users:\n{ANA}, roles: [Admin, Agent, Manager]}}\n{BOB}, roles: [Agent]}}\n", TENANT)
    assert changes(p) == {"bob@x.com": ["-role Manager"]}
    p = plan(
        "policy: {manage_roles: all, manage_teams: all}\n"
        f"users:\n{ANA}, roles: [Admin, Agent, Manager]}}\n{BOB}, roles: [Agent, Manager]}}\n",
        TENANT,
    )
    assert p.is_empty  # manage_teams: all widens the scope, not which users are managed


def test_defaults_make_every_user_without_a_key_managed() -> None:
    p = plan(
        "defaults: {roles: [Agent], teams: [Tier 1]}\n"
        f"users:\n{ANA}, roles: [Admin, Agent, Manager]}}\n{BOB}, teams: []}}\n",
        TENANT,
    )
    # ana: own roles exact; her teams from defaults (Tier 2 not named: kept).
    # bob: roles from defaults (Manager is named by ana: removed); own teams: [] (Tier 1 gone).
    assert changes(p) == {"bob@x.com": ["-role Manager", "-team Tier 1"]}


def test_section_is_exact_over_declared_users_even_when_their_teams_are_unmanaged() -> None:
    p = plan(f"users:\n{ANA}}}\n{BOB}}}\nteams:\n  Tier 1: [bob@x.com]\n", TENANT)
    # ana has no teams: key: only Tier 1 (the section) is managed for her; Tier 2 stays.
    assert changes(p) == {"ana@x.com": ["-team Tier 1"]}
    p = plan(f"users:\n{ANA}}}\n{BOB}}}\nroles:\n  Admin: {{members: [bob@x.com]}}\n", TENANT)
    # the section names bob: he gets Admin; his other roles are not managed by it
    assert changes(p) == {"ana@x.com": ["-role Admin"], "bob@x.com": ["+role Admin"]}


def test_section_and_own_list_add_up() -> None:
    p = plan(
        f"users:\n{ANA}, teams: [Tier 2]}}\n{BOB}, teams: []}}\nteams:\n"
        "  Tier 1: [ana@x.com, bob@x.com]\n",
        TENANT,
    )
    assert p.is_empty


def test_empty_section_removes_every_declared_member() -> None:
    p = plan(f"users:\n{ANA}}}\n{BOB}}}\nteams:\n  Tier 1: {{members: []}}\n", TENANT)
    assert changes(p) == {"ana@x.com": ["-team Tier 1"], "bob@x.com": ["-team Tier 1"]}


def test_users_not_in_the_config_are_never_touched() -> None:
    lv = live(*TENANT_ROWS, row("out@x.com", roles=("Manager",), teams=("Tier 1",)))
    p = plan(f"users:\n{ANA}, roles: [Agent]}}\nteams:\n  Tier 1: []\n", lv)
    assert "out@x.com" not in changes(p)


def test_explicit_list_scope_and_its_warning() -> None:
    p = plan(
        "policy: {manage_roles: [Agent]}\n"
        f"users:\n{ANA}, roles: [Manager]}}\n{BOB}, roles: [Agent]}}\n",
        TENANT,
    )
    # Manager is out of the list: neither added nor removed; Agent removed from ana
    assert changes(p) == {"ana@x.com": ["-role Agent"]}
    assert any(
        "role 'Manager' is not in policy.manage_roles" in w.message and str(w.loc) == "c.yaml:3:61"
        for w in p.warnings
    )


def test_a_role_named_only_at_the_base_ref_is_still_in_scope() -> None:
    # Deleting the last mention of Manager (with --base-ref) removes it from managed users.
    base = f"users:\n{ANA}, roles: [Agent, Manager]}}\n{BOB}, roles: [Agent]}}\n"
    now = f"users:\n{ANA}, roles: [Agent]}}\n{BOB}, roles: [Agent]}}\n"
    assert changes(plan(now, TENANT)) == {}
    assert changes(plan(now, TENANT, base=base)) == {
        "ana@x.com": ["-role Manager"],
        "bob@x.com": ["-role Manager"],
    }


def test_creates_get_what_the_config_says() -> None:
    p = plan(
        f"users:\n{ANA}}}\n  - {{email: new@x.com, first_name: N, last_name: U}}\n"
        "teams:\n  Tier 2: [new@x.com, ana@x.com]\n",
        TENANT,
    )
    assert changes(p) == {"new@x.com": ["+team Tier 2"]}


def test_scope_is_in_the_plan() -> None:
    p = plan(
        f"defaults: {{roles: [Agent]}}\nusers:\n{ANA}}}\n{BOB}}}\nteams:\n  Tier 1: [bob@x.com]\n",
        TENANT,
    )
    assert p.scope is not None
    roles, teams = p.scope.roles, p.scope.teams
    assert (roles.policy, roles.names, roles.users, roles.sections) == (
        "declared",
        ["Agent"],
        2,
        [],
    )
    assert (teams.policy, teams.names, teams.users, teams.sections) == (
        "declared",
        ["Tier 1"],
        0,
        ["Tier 1"],
    )
