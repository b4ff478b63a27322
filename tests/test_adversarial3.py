"""adv3: adversarial checks of the four speed changes against their exact paths.

Phone shortcut vs ``_normalize_exact`` on every region argument; the fast config loader vs
``fast=False`` on membership, defaults, renames and error cases; the bulk users diff vs the
field-by-field diff on case-differing emails and groups, Inactive users, ownership roles."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import phonenumbers
import pytest

from reconciler import phone
from reconciler.config import fastyaml, load_config_sources
from reconciler.diff import diff
from reconciler.diffsame import MembershipMemo, SameFields
from reconciler.state import DesiredState, LiveState, Location, Policy
from tests.config.test_fastyaml import _outcome as load_outcome
from tests.plan.helpers import NOW, desired, duser, live, loc, row

# ---------------------------------------------------------------- 1. phone


def _ph(fn: Any, *args: str) -> str:
    try:
        return "ok " + fn(*args)
    except ValueError as err:
        return f"error {err}"


def _phone_texts() -> list[str]:
    rnd = random.Random(3)
    texts = ["+", "+0", "+001111", "+" + "9" * 20, "+1" + "2" * 19, "+39" + "0" * 18]
    texts += ["+2250" + "1" * 9, "+22501234567", "+225" + "07" * 5, "+3900000", "+390", "+3901"]
    texts += ["+39012", "+379", "+8800", "+80012345678", "+882" + "1" * 10, "+979123456789"]
    for cc in (1, 7, 39, 44, 52, 54, 225, 262, 290, 599, 800, 808, 870, 878, 881, 882, 883, 979):
        for n in range(0, 20, 3):
            for lead in ("", "0", "00", "1", "9", "01"):
                texts.append(f"+{cc}{lead}" + "".join(rnd.choice("0123456789") for _ in range(n)))
    return texts


def test_phone_shortcut_is_exact_for_every_region_argument() -> None:
    regions = [*sorted(phonenumbers.SUPPORTED_REGIONS)[::15], "US", "ZZ", "001", "us", "xx", ""]
    wrong = [
        (text, region, got, want)
        for text in _phone_texts()
        for region in regions
        if (got := _ph(phone.normalize_phone, text, region))
        != (want := _ph(phone._normalize_exact, text.strip(), region.upper()))
    ]
    assert not wrong, wrong[:5]


# ---------------------------------------------------------------- 3. fast config loader

LOAD_NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _u(i: int, extra: str = "") -> str:
    return f"  - email: u{i}@example.com\n    first_name: F{i}\n    last_name: L{i}\n{extra}"


LOAD_CASES: dict[str, list[tuple[str, str]]] = {
    "section_and_user": [
        ("a.yaml", "users:\n" + _u(1, "    roles: [Agent, Agent]\n    teams: [T1]\n") + _u(2)),
        (
            "r.yaml",
            "roles:\n  Agent:\n    members:\n      - u1@example.com\n      - u2@example.com\n"
            "  Admin: [u1@example.com, U2@example.com]\nteams:\n  T1: [u1@example.com]\n  T2: []\n",
        ),
    ],
    "renamed": [
        (
            "a.yaml",
            "users:\n"
            + _u(1, "    renamed_from: Old1@example.com\n    roles: [A, A]\n")
            + _u(2, "    renamed_from: old2@example.com\n"),
        ),
        ("r.yaml", "roles:\n  D: [u2@example.com]\n  A: [u1@example.com]\n"),
        ("d.yaml", "defaults:\n  roles: [D]\n"),
    ],
    "dup_block": [
        (
            "a.yaml",
            "users:\n"
            + _u(1, "    roles:\n      - A\n      - A\n    teams:\n      - T\n      - T\n"),
        )
    ],
    "defaults": [
        (
            "a.yaml",
            "users:\n" + _u(1) + _u(2, "    roles: []\n"),
        ),
        ("d.yaml", "defaults:\n  roles: [Agent, Agent]\n  teams: [T]\n  status: Active\n"),
    ],
    "ownership": [
        (
            "p.yaml",
            "policy:\n  ownership_role: Owned\n  manage_roles: [Agent, Owned]\nusers:\n"
            + _u(1, "    roles: [Owned, Agent]\n"),
        )
    ],
    "case_groups": [
        ("a.yaml", "users:\n" + _u(1, "    roles: [Agent, agent, AGENT]\n    teams: [t, T]\n")),
        ("r.yaml", "roles:\n  agent: [u1@example.com]\n"),
    ],
    "dup_member_in_section": [
        ("a.yaml", "users:\n" + _u(1) + _u(2)),
        ("r.yaml", "roles:\n  A:\n    members:\n      - u1@example.com\n      - U1@example.com\n"),
    ],
    "renames_bad": [
        (
            "a.yaml",
            "users:\n"
            + _u(1, "    renamed_from: old1@example.com\n")
            + _u(2, "    renamed_from: old1@example.com\n")
            + _u(3, "    renamed_from: u3@example.com\n"),
        )
    ],
    "dup_users_files": [
        ("a.yaml", "users:\n" + _u(1) + _u(2)),
        ("b.yaml", "users:\n" + _u(1) + _u(3, "    roles: [X]\n")),
        ("c.yaml", "users:\n" + _u(1).replace("u1@", "U1@")),
    ],
    "errors_many_files": [
        (
            f"f{i}.yaml",
            "users:\n"
            + _u(i, "    roles: [Agent, 3]\n    status: Weird\n    max_chat_limit: -1\n")
            + "  - email: bad\n    first_name: x\n",
        )
        for i in range(4)
    ],
    "unknown_member": [
        ("r.yaml", "roles:\n  Agent: [nobody@example.com, nobody@example.com]\n"),
        ("a.yaml", "users:\n" + _u(1)),
    ],
    "section_twice": [
        ("r1.yaml", "roles:\n  A: [u1@example.com]\n"),
        ("r2.yaml", "roles:\n  A: [u1@example.com]\nteams:\n  A: [u2@example.com]\n"),
        ("a.yaml", "users:\n" + _u(1, "    roles: [A]\n") + _u(2, "    teams: [A, A]\n")),
    ],
    "empty_and_null": [
        ("r.yaml", "roles:\n  A: []\n  B:\n    members: []\n  C:\n"),
        ("a.yaml", "users:\n" + _u(1, "    roles: [A, B, '']\n    teams:\n")),
    ],
    "dup_keys": [
        ("a.yaml", "users:\n" + _u(1, "    roles: [A]\n    roles: [B]\n    first_name: G\n")),
    ],
    "crlf_bom_unicode": [
        ("a.yaml", "\ufeffusers:\r\n" + _u(1, "    roles: [Agënt, 'Ä b']\n").replace("\n", "\r\n")),
        ("b.yaml", "\ufeffusers:\n" + _u(2, "    location: Zürich\n    teams: [Équipe, 'Ä b']\n")),
        ("c.yaml", "teams:\n  Équipe: [u2@example.com]\n"),
    ],
    "defaults_split_files": [
        ("a.yaml", "defaults:\n  roles: [D]\n  max_chat_limit: 3\n"),
        ("b.yaml", "users:\n" + _u(1, "    max_chat_limit: 4\n    roles: [D, E]\n") + _u(2)),
        (
            "c.yaml",
            "teams:\n  T: [u1@example.com, u2@example.com]\nroles:\n  D: [u2@example.com]\n",
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(LOAD_CASES))
def test_fast_loader_equals_slow(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastyaml, "FAST_MIN_BYTES", 0)
    sources = [(n, t.encode()) for n, t in LOAD_CASES[name]]
    fast = load_outcome(lambda: load_config_sources(sources, now=LOAD_NOW, fast=True))
    slow = load_outcome(lambda: load_config_sources(sources, now=LOAD_NOW, fast=False))
    assert fast == slow


# ---------------------------------------------------------------- 4. bulk users diff


def _plans(st: DesiredState, lv: LiveState, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    fast = diff(st, lv, now=NOW).to_json()
    with monkeypatch.context() as m:
        m.setattr(SameFields, "__call__", lambda self, du, lu: False)
        m.setattr(MembershipMemo, "__call__", lambda self, du, lu, kind: self.compute(du, lu, kind))
        slow = diff(st, lv, now=NOW).to_json()
    return fast, slow


def _diff_cases() -> dict[str, tuple[DesiredState, LiveState]]:
    roles = ("Admin", "agent", "Agent", "Owned")
    teams = ("Tier 1", "tier 1")
    lv = live(
        row("A@x.com", roles=("agent",), teams=("tier 1",), all_roles=roles, all_teams=teams),
        row(
            "b@x.com", status="Inactive", roles=("Agent", "Owned"), all_roles=roles, all_teams=teams
        ),
        row("c@x.com", roles=("Admin",), teams=("Tier 1",), all_roles=roles, all_teams=teams),
        row("d@x.com", status="Inactive", all_roles=roles, all_teams=teams),
    )
    out: dict[str, tuple[DesiredState, LiveState]] = {}
    for policy in (
        Policy(),
        Policy(manage_roles="all", manage_teams="all", unmanaged_users="deactivate"),
        Policy(ownership_role="Owned", manage_roles="all"),
    ):
        users = [
            duser("a@x.com", roles=("Agent",), teams=("Tier 1",)),
            duser("b@x.com", status="Inactive", roles=("Agent",)),
            duser("e@x.com", renamed_from="c@x.com", roles=("Admin",)),
            duser("d@x.com", status="Active"),
        ]
        st = desired(*users, policy=policy)
        st.role_sections["agent"] = loc(900, "groups.yaml")
        st.role_refs.setdefault("agent", loc(900, "groups.yaml"))
        st.users["d@x.com"].roles = frozenset({"agent"})
        st.users["d@x.com"].membership_locs[("role", "agent")] = Location("groups.yaml", 901, 5)
        out[repr(policy)[:60]] = (st, lv)
    return out


@pytest.mark.parametrize("case", range(3))
def test_bulk_diff_equals_field_by_field(case: int, monkeypatch: pytest.MonkeyPatch) -> None:
    st, lv = list(_diff_cases().values())[case]
    fast, slow = _plans(st, lv, monkeypatch)
    assert fast == slow


# ---------------------------------------------------------------- 2. pre-check

_PRE_ATOMS = [
    *("\n", "\r\n", " ", "  ", "\t", ":", "- ", ": ", "'", '"', "[", "]", "@", "#", ",", "a"),
    *("é", "\ufeff", "\u2028", "\x85", "---", "...", "''", '""', "\t'", '\t"', ":\t'", "-\t["),
    *("\u00a0", "\U0001f600", "\ud800", "x" * 999, "y" * 1001, "\n" + "z" * 1000, "[a, b]"),
]


def test_precheck_equals_the_old_one_on_spiced_texts() -> None:
    from reconciler.config import plainyaml
    from tests.config import precheck_oracle as oracle

    rnd = random.Random(5)
    wrong = []
    for _ in range(30_000):
        text = "".join(rnd.choice(_PRE_ATOMS) for _ in range(rnd.randint(1, 12)))
        if plainyaml.refused(text) != oracle.old_refused(text):
            wrong.append(text)
    assert not wrong, wrong[:3]


_FIELD_CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"max_chat_limit_enabled": 1}, {"max_chat_limit_enabled": "1"}),
    ({"max_chat_limit": True}, {"max_chat_limit": "1"}),
    ({"max_chat_limit": 3.0}, {"max_chat_limit": "3"}),
    ({"location": ""}, {"location": ""}),
    ({"location": None}, {"location": ""}),
    ({"agent_number": None}, {"agent_number": ""}),
    ({"first_name": "F "}, {"first_name": "F"}),
    ({"status": "Inactive"}, {"status": "Inactive"}),
]


@pytest.mark.parametrize(("declared", "tenant"), _FIELD_CASES)
def test_bulk_diff_odd_field_values(
    declared: dict[str, Any], tenant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    st, lv = desired(duser("a@x.com", **declared)), live(row("a@x.com", **tenant))
    fast, slow = _plans(st, lv, monkeypatch)
    assert fast == slow
