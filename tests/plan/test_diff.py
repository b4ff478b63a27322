"""Unit tests of the pure diff: one per kind of change, policy and edge case."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reconciler.diff import diff
from reconciler.errors import PlanError
from reconciler.refresh import numbers_changed, numbers_to_check
from reconciler.state import LiveDnc, Policy, Threshold

from .helpers import NOW, desired, dnc, duser, live, row


def test_matching_user_is_not_in_plan() -> None:
    d = desired(duser("a@x.com", roles=("Agent",), teams=("Tier 1",), location="Mexico"))
    lv = live(row("a@x.com", roles=("Agent",), teams=("Tier 1",), location="Mexico"))
    p = diff(d, lv, now=NOW)
    assert p.is_empty
    assert p.fingerprint == lv.fingerprint


def test_case_insensitive_email_and_location() -> None:
    d = desired(duser("Alice@X.com", location="mexico"))
    lv = live(row("alice@x.COM", location="Mexico"))
    assert diff(d, lv, now=NOW).is_empty


def test_create_has_declared_fields_and_assignments() -> None:
    d = desired(duser("new@x.com", roles=("Agent",), teams=("Tier 2",), max_chat_limit=3))
    p = diff(d, live(row("admin@x.com", roles=("Admin",))), now=NOW)
    [u] = p.user_changes
    assert u.action == "create" and u.email == "new@x.com"
    assert {f.field: f.after for f in u.fields} == {
        "first_name": "F",
        "last_name": "L",
        "max_chat_limit": 3,
    }
    assert all(f.before is None for f in u.fields)
    assert [(m.name, m.assign) for m in u.roles] == [("Agent", True)]
    assert [(m.name, m.assign) for m in u.teams] == [("Tier 2", True)]
    assert str(u.roles[0].loc) == "users.yaml:31:3"


def test_update_only_managed_fields() -> None:
    # agent_number and location are not declared: not managed, so not compared
    d = desired(duser("a@x.com", first_name="Ann", max_chat_limit_enabled=True))
    lv = live(row("a@x.com", first_name="Anne", agent_number="A-9", location="Paris"))
    [u] = diff(d, lv, now=NOW).user_changes
    assert u.action == "update"
    assert [(f.field, f.before, f.after) for f in u.fields] == [
        ("first_name", "Anne", "Ann"),
        ("max_chat_limit_enabled", False, True),
    ]
    assert str(u.fields[0].loc) == "users.yaml:2:3"
    assert u.first_name == "Ann" and u.last_name == "L"


def test_location_null_clears() -> None:
    d = desired(duser("a@x.com", location=None))
    [u] = diff(d, live(row("a@x.com", location="Mexico")), now=NOW).user_changes
    assert [(f.field, f.before, f.after) for f in u.fields] == [("location", "Mexico", None)]


def test_membership_assign_and_unassign_only_managed() -> None:
    pol = Policy(manage_roles=frozenset({"Agent", "Manager"}), manage_teams="all")
    d = desired(duser("a@x.com", roles=("Agent",), teams=()), policy=pol)
    lv = live(row("a@x.com", roles=("Manager", "Admin"), teams=("Tier 1",)))
    [u] = diff(d, lv, now=NOW).user_changes
    # Admin is not managed: kept although the config does not list it
    assert [(m.name, m.assign) for m in u.roles] == [("Agent", True), ("Manager", False)]
    assert [(m.name, m.assign) for m in u.teams] == [("Tier 1", False)]
    assert u.fields == []


def test_unknown_role_and_team_is_plan_error_with_locations() -> None:
    d = desired(duser("a@x.com", line=5, roles=("agent", "Ghost"), teams=("Tier 3",)))
    with pytest.raises(PlanError) as ei:
        diff(d, live(row("a@x.com")), now=NOW)
    msg = str(ei.value)
    expected = (
        "users.yaml:35:3: error: role 'agent' does not exist in the tenant (did you mean 'Agent'?)"
    )
    assert expected in msg
    assert "role 'Ghost'" in msg and "team 'Tier 3'" in msg
    assert "must be created in the platform's settings first" in msg


def test_unknown_location_warns() -> None:
    d = desired(duser("a@x.com", location="Atlantis"))
    p = diff(d, live(row("a@x.com", location="Mexico")), now=NOW)
    assert any("Atlantis" in w.message for w in p.warnings)
    assert not any("did you mean" in w.message for w in p.warnings)


def test_misspelt_location_gets_a_did_you_mean_from_the_tenant() -> None:
    d = desired(duser("a@x.com", location="Mexcio"))
    p = diff(d, live(row("a@x.com", location="Mexico"), row("b@x.com", location="Austin")), now=NOW)
    assert [w.message for w in p.warnings if "Mexcio" in w.message] == [
        "location 'Mexcio' is not used by any user in the tenant (did you mean 'Mexico'?); the "
        "platform rejects it unless the location exists"
    ]


def test_rename_compares_against_old_record() -> None:
    d = desired(duser("new@x.com", renamed_from="Old@x.com", last_name="Smith"))
    lv = live(row("OLD@x.com", last_name="Jones"), row("admin@x.com", roles=("Admin",)))
    [u] = diff(d, lv, now=NOW).user_changes
    assert u.action == "rename"
    assert u.email == "OLD@x.com" and u.new_email == "new@x.com"
    assert [(f.field, f.before, f.after) for f in u.fields] == [("last_name", "Jones", "Smith")]


def test_rename_already_done_compares_normally() -> None:
    d = desired(duser("new@x.com", renamed_from="old@x.com"))
    assert diff(d, live(row("new@x.com")), now=NOW).is_empty


def test_rename_both_exist_is_error() -> None:
    d = desired(duser("new@x.com", renamed_from="old@x.com"))
    with pytest.raises(PlanError, match="both exist"):
        diff(d, live(row("new@x.com"), row("old@x.com")), now=NOW)


def test_rename_neither_exists_is_error() -> None:
    d = desired(duser("new@x.com", renamed_from="old@x.com"))
    with pytest.raises(PlanError, match=r"users.yaml:21:3: error: cannot rename .* neither exists"):
        diff(d, live(row("other@x.com")), now=NOW)


def test_rename_swap() -> None:
    d = desired(
        duser("a@x.com", renamed_from="b@x.com", first_name="Bea"),
        duser("b@x.com", renamed_from="a@x.com", first_name="Al"),
    )
    lv = live(row("a@x.com", first_name="Al"), row("b@x.com", first_name="Bea"))
    p = diff(d, lv, now=NOW)
    assert sorted((u.action, u.email, u.new_email, len(u.fields)) for u in p.user_changes) == [
        ("rename", "a@x.com", "b@x.com", 0),
        ("rename", "b@x.com", "a@x.com", 0),
    ]


def test_rename_source_also_kept_is_error() -> None:
    d = desired(duser("old@x.com"), duser("new@x.com", renamed_from="old@x.com"))
    with pytest.raises(PlanError, match="would become both"):
        diff(d, live(row("old@x.com")), now=NOW)


def test_rename_to_same_email_in_other_case_is_noop() -> None:
    d = desired(duser("a@x.com", renamed_from="A@X.com"))
    assert diff(d, live(row("A@x.com")), now=NOW).is_empty


def test_declared_inactive_is_deactivation() -> None:
    d = desired(duser("a@x.com", status="Inactive"), duser("b@x.com", status="Inactive"))
    lv = live(row("a@x.com"), row("b@x.com", status="Inactive"))
    [u] = diff(d, lv, now=NOW).user_changes
    assert u.action == "deactivate" and u.email == "a@x.com"
    assert u.reason == "status: Inactive declared"


def test_empty_status_in_template_means_active() -> None:
    d = desired(duser("a@x.com", status="Active"))
    assert diff(d, live(row("a@x.com", status="")), now=NOW).is_empty


def test_unmanaged_users_ignored_by_default_with_warning_without_base() -> None:
    d = desired(duser("a@x.com"))
    p = diff(d, live(row("a@x.com"), row("stranger@x.com")), now=NOW)
    assert p.is_empty
    assert any("--base-ref" in w.message for w in p.warnings)


def test_unmanaged_users_deactivate_policy() -> None:
    pol = Policy(unmanaged_users="deactivate", max_deactivations=Threshold(count=10))
    d = desired(duser("a@x.com"), policy=pol)
    lv = live(row("a@x.com"), row("s@x.com"), row("gone@x.com", status="Inactive"))
    [u] = diff(d, lv, now=NOW).user_changes
    assert (u.action, u.email) == ("deactivate", "s@x.com")
    assert u.reason == "unmanaged user (policy.unmanaged_users: deactivate)"
    assert [(f.field, f.after) for f in u.fields] == [("status", "Inactive")]


def test_deleted_since_base_is_deactivated() -> None:
    pol = Policy(max_deactivations=Threshold(count=10))
    base = desired(duser("a@x.com"), duser("leaver@x.com", line=9), policy=pol)
    d = desired(duser("a@x.com"), policy=pol)
    lv = live(row("a@x.com"), row("Leaver@x.com"), row("stranger@x.com"))
    p = diff(d, lv, base=base, now=NOW, base_ref="origin/main")
    [u] = p.user_changes
    assert (u.action, u.email) == ("deactivate", "Leaver@x.com")
    assert u.reason == "deleted from config since base ref origin/main (was at users.yaml:9:3)"
    assert not any("--base-ref" in w.message for w in p.warnings)


def test_renamed_user_is_not_deleted_since_base() -> None:
    base = desired(duser("old@x.com"))
    d = desired(duser("new@x.com", renamed_from="old@x.com"))
    [u] = diff(d, live(row("old@x.com")), base=base, now=NOW).user_changes
    assert u.action == "rename"


def test_deleted_since_base_before_its_rename_was_applied_is_deactivated() -> None:
    # The base renamed old@ to new@, the rename never reached the tenant, then the block was
    # deleted: the tenant's old@ is the user that left.
    pol = Policy(max_deactivations=Threshold(count=10))
    base = desired(duser("a@x.com"), duser("new@x.com", renamed_from="old@x.com", line=7))
    d = desired(duser("a@x.com"), policy=pol)
    p = diff(d, live(row("a@x.com"), row("Old@x.com")), base=base, now=NOW, base_ref="main")
    [u] = p.user_changes
    assert (u.action, u.email) == ("deactivate", "Old@x.com")
    assert u.reason == "deleted from config since base ref main (was at users.yaml:7:3)"


def test_protected_users_never_changed() -> None:
    pol = Policy(
        unmanaged_users="deactivate",
        protected_users=frozenset({"root@x.com", "boss@x.com"}),
        max_deactivations=Threshold(count=10),
    )
    d = desired(duser("boss@x.com", first_name="Changed"), policy=pol)
    lv = live(row("boss@x.com"), row("Root@x.com", roles=("Admin",)))
    p = diff(d, lv, now=NOW)
    assert p.is_empty
    msgs = " | ".join(w.message for w in p.warnings)
    assert "boss@x.com is a protected user" in msgs and "Root@x.com is a protected user" in msgs


def test_deactivation_threshold_violation() -> None:
    pol = Policy(unmanaged_users="deactivate", max_deactivations=Threshold(percent=10, floor=1))
    d = desired(*(duser(f"u{i}@x.com", roles=("Admin",)) for i in range(8)), policy=pol)
    rows = [row(f"u{i}@x.com", roles=("Admin",)) for i in range(8)]
    rows += [row(f"x{i}@x.com") for i in range(4)]
    p = diff(d, live(*rows), now=NOW)
    assert sum(u.action == "deactivate" for u in p.user_changes) == 4
    [v] = p.safety
    assert v.kind == "deactivations" and (v.count, v.total, v.limit) == (4, 12, 1)
    assert v.message.startswith("would deactivate 4 of 12 active users (33%), limit 10%")


def test_within_threshold_no_violation() -> None:
    pol = Policy(unmanaged_users="deactivate", max_deactivations=Threshold(count=4))
    d = desired(duser("a@x.com", roles=("Admin",)), policy=pol)
    rows = [row("a@x.com", roles=("Admin",))] + [row(f"x{i}@x.com") for i in range(4)]
    assert diff(d, live(*rows), now=NOW).safety == []


def test_no_admin_left_is_safety_violation() -> None:
    d = desired(duser("a@x.com", roles=("Agent",)), policy=Policy(manage_roles="all"))
    p = diff(d, live(row("a@x.com", roles=("Admin",))), now=NOW)
    assert [v.kind for v in p.safety] == ["admin"]
    assert (
        p.safety[0].message
        == "no active user would hold the Admin role after this plan (1 does now)"
    )
    two = live(row("a@x.com", roles=("Admin",)), row("b@x.com", roles=("Admin",)))
    d = desired(
        duser("a@x.com", roles=()), duser("b@x.com", roles=()), policy=Policy(manage_roles="all")
    )
    [v] = diff(d, two, now=NOW).safety
    assert v.message == "no active user would hold the Admin role after this plan (2 do now)"


def test_no_admin_before_or_after_is_warning_only() -> None:
    d = desired(duser("a@x.com", roles=("Agent",)))
    p = diff(d, live(row("a@x.com", roles=("Agent",))), now=NOW)
    assert p.safety == []
    assert any("Admin role" in w.message for w in p.warnings)


def test_new_admin_satisfies_admin_check() -> None:
    d = desired(duser("a@x.com", roles=("Agent",)), duser("n@x.com", roles=("Admin",)))
    p = diff(d, live(row("a@x.com", roles=("Admin",))), now=NOW)
    assert p.safety == []


# ---- DNC ---------------------------------------------------------------------------------


def check(n: str, listed: bool, exp_hours: float | None = None) -> LiveDnc:
    exp = None if exp_hours is None else NOW + timedelta(hours=exp_hours, microseconds=123)
    return LiveDnc(number=n, do_not_call=listed, expires_at=exp)


A, B, C, D, E = (f"+1415555010{i}" for i in range(5))


def test_dnc_decision_table() -> None:
    later = NOW + timedelta(hours=5)
    d = desired(
        duser("a@x.com", roles=("Admin",)),
        dnc=(
            dnc(A),  # listed, permanent: in sync
            dnc(B),  # not listed: add
            dnc(C, expires_at=later),  # listed with other expiry: update
            dnc(D, state="absent"),  # listed: remove
            dnc(E, state="absent"),  # not listed: nothing
        ),
    )
    lv = live(
        row("a@x.com", roles=("Admin",)),
        dnc=(check(A, True), check(B, False), check(C, True, 1), check(D, True), check(E, False)),
    )
    p = diff(d, lv, now=NOW)
    got = [(c.action, c.number, c.expires_before, c.expires_after) for c in p.dnc_changes]
    assert got == [
        ("add", B, None, None),
        ("update", C, lv.dnc[C].expires_at, later),
        ("remove", D, None, None),
    ]
    assert p.stats.dnc_in_sync == 2
    assert str(p.dnc_changes[0].loc) == "dnc.yaml:1:5"


def test_dnc_expiry_equal_to_the_second() -> None:
    exp = NOW + timedelta(hours=1)
    d = desired(duser("a@x.com", roles=("Admin",)), dnc=(dnc(A, expires_at=exp),))
    lv = live(row("a@x.com", roles=("Admin",)), dnc=(check(A, True, 1),))  # +123 µs
    assert diff(d, lv, now=NOW).is_empty


def test_dnc_expired_entries_are_not_wanted() -> None:
    # Lapsed: no add, no expiry update; still blocked by the tenant (an expiry set to the past
    # to end a block now): removed, like state: absent. Checked, since only a check tells.
    past = NOW - timedelta(days=1)
    d = desired(dnc=(dnc(A, expires_at=past), dnc(B, expires_at=past, line=8)))
    lv = live(dnc=(check(A, False), check(B, True, exp_hours=720)))
    [c] = diff(d, lv, now=NOW).dnc_changes
    assert (c.action, c.number, c.reason) == (
        "remove",
        B,
        f"expired on {past:%Y-%m-%d %H:%M:%S} UTC, still listed",
    )
    assert c.loc is not None and c.loc.line == 8
    assert numbers_to_check(d, None, refresh="all", now=NOW) == sorted([A, B])
    assert numbers_to_check(d, None, refresh="changed", now=NOW) == sorted([A, B])
    # Unchanged since the base (the earlier apply saw it lapse too): not checked again.
    assert numbers_to_check(d, d, refresh="changed", now=NOW) == []


def test_dnc_gone_since_base_is_removed() -> None:
    base = desired(dnc=(dnc(A, line=4), dnc(B)))
    d = desired(dnc=(dnc(B),))
    lv = live(dnc=(check(A, True),))
    p = diff(d, lv, base=base, now=NOW, base_ref="main")
    [c] = p.dnc_changes
    assert (c.action, c.number, c.loc) == ("remove", A, None)
    assert c.reason == "deleted from config since base ref main (was at dnc.yaml:4:5)"


def test_dnc_unchecked_numbers_plan_nothing() -> None:
    d = desired(dnc=(dnc(A), dnc(B, state="absent")))
    assert diff(d, live(), now=NOW).dnc_changes == []


def test_dnc_removal_threshold() -> None:
    pol = Policy(max_dnc_removals=Threshold(count=1))
    d = desired(dnc=(dnc(A, state="absent"), dnc(B, state="absent"), dnc(C)), policy=pol)
    lv = live(dnc=(check(A, True), check(B, True), check(C, True)))
    p = diff(d, lv, now=NOW)
    [v] = p.safety
    assert v.kind == "dnc_removals" and (v.count, v.total, v.limit) == (2, 3, 1)
    assert v.message.startswith("would remove 2 of 3 DNC numbers (67%), limit 1")


def test_numbers_to_check_with_base_only_changed() -> None:
    later = NOW + timedelta(days=3)
    base = desired(
        dnc=(dnc(A), dnc(B), dnc(C, state="absent"), dnc(D), dnc(E, expires_at=NOW - timedelta(1)))
    )
    d = desired(
        dnc=(
            dnc(A),  # unchanged
            dnc(B, expires_at=later),  # expiry changed
            dnc(C, state="absent"),  # unchanged absent: not re-checked
            dnc("+14155550199"),  # new
        )
    )  # D gone (check), E gone but had expired (no check)
    assert numbers_to_check(d, base, refresh="changed", now=NOW) == sorted([B, D, "+14155550199"])
    assert numbers_to_check(d, base, refresh="all", now=NOW) == sorted([A, B, C, D, "+14155550199"])
    assert numbers_to_check(d, None, refresh="changed", now=NOW) == sorted(
        [A, B, C, "+14155550199"]
    )


def test_refresh_git_checks_nothing_and_plans_the_changes_from_the_declarations() -> None:
    later = NOW + timedelta(days=3)
    past = NOW - timedelta(days=1)
    base = desired(dnc=(dnc(A), dnc(B), dnc(C), dnc(D), dnc(E, expires_at=past)))
    d = desired(
        dnc=(
            dnc(A),  # unchanged: neither checked nor planned
            dnc(B, expires_at=later),  # expiry changed: upsert
            dnc(C, state="absent", line=7),  # now absent: remove
            dnc(D, expires_at=past, line=9),  # now expired: remove
            dnc("+14155550199"),  # new: upsert
        )
    )  # E gone, but it had expired at the base: nothing
    assert numbers_to_check(d, base, refresh="git", now=NOW) == []
    assert numbers_to_check(d, None, refresh="git", now=NOW) == sorted(d.dnc)  # no base: all
    changed = numbers_changed(d, base, now=NOW)
    assert changed == sorted([B, C, D, "+14155550199"])
    p = diff(d, live(), base=base, now=NOW, base_ref="main", from_git=changed)
    got = [(c.action, c.number, c.checked, c.expires_after, c.reason) for c in p.dnc_changes]
    assert got == [
        ("upsert", B, False, later, "changed since base ref main"),
        ("upsert", "+14155550199", False, None, "added since base ref main"),
        ("remove", C, False, None, "state: absent; removed if listed"),
        ("remove", D, False, None, "expired on 2026-05-31 12:00:00 UTC; removed if listed"),
    ]
    assert p.stats.dnc_checked == 0 and p.stats.dnc_from_git == 4
    assert p.summary().endswith("2 DNC numbers to add or update (upsert), 2 to remove.")
    # A removal from git counts against max_dnc_removals like a checked one.
    d.policy = Policy(max_dnc_removals=Threshold(count=1))
    [v] = diff(d, live(), base=base, now=NOW, base_ref="main", from_git=changed).safety
    assert v.kind == "dnc_removals" and (v.count, v.total) == (2, 5)


def test_plan_is_deterministic() -> None:
    pol = Policy(unmanaged_users="deactivate", max_deactivations=Threshold(count=100))
    users = [duser(f"u{i}@x.com", roles=("Agent",), first_name=f"N{i}") for i in range(30)]
    d1 = desired(*users, policy=pol)
    d2 = desired(*reversed(users), policy=pol)
    rows = [row(f"u{i}@x.com", roles=("Admin",)) for i in range(0, 40, 2)]
    p1 = diff(d1, live(*rows), now=NOW)
    p2 = diff(d2, live(*reversed(rows)), now=NOW)
    assert p1.model_dump() == p2.model_dump()
    assert p1.hash == p2.hash


@pytest.mark.slow
def test_diff_at_the_documented_scale() -> None:
    # 50,000 users: correct at scale. Its speed is measured by `make bench` (stage diff).
    n = 50_000
    users = [duser(f"u{i}@x.com", roles=("Agent",), teams=("Tier 1",)) for i in range(n)]
    d = desired(*users, policy=Policy(manage_roles="all"))
    rows = [row(f"u{i}@x.com", roles=("Agent",), teams=("Tier 1",)) for i in range(n)]
    rows[0]["roles"][0]["value"] = 1  # one Admin
    lv = live(*rows)
    p = diff(d, lv, now=NOW)
    assert len(p.user_changes) == 1  # u0 loses Admin (manage_roles: all; no user lists it)


def test_live_from_the_clients_fast_rows_equals_from_validated_models() -> None:
    from reconciler.live import live_from_template
    from reconciler.platform.fastrows import template_row
    from reconciler.platform.models import TemplateRow

    rows = [
        row("A@x.com", roles=("Admin",), teams=("Tier 2",), location="null"),
        row("b@x.com", status="", max_chat_limit="4", max_chat_limit_enabled="1"),
    ]
    rows[1]["roles"][2]["value"] = "1"
    from_dicts = live_from_template([template_row(r) for r in rows])  # the client's path
    from_models = live_from_template([TemplateRow.model_validate(r) for r in rows])
    assert from_dicts.users == from_models.users
    assert from_dicts.fingerprint == from_models.fingerprint
    a, b = from_dicts.users["a@x.com"], from_dicts.users["b@x.com"]
    assert (a.email_raw, a.roles, a.teams, a.location) == (
        "A@x.com",
        frozenset({"Admin"}),
        frozenset({"Tier 2"}),
        None,
    )
    assert (str(b.status), b.max_chat_limit, b.max_chat_limit_enabled, b.roles) == (
        "Active",
        4,
        True,
        frozenset({"Agent"}),
    )
    assert from_dicts.roles == ("Admin", "Manager", "Agent")


def test_rename_chain() -> None:
    # c <- b <- a: b is freed because it is renamed to c in the same plan
    d = desired(
        duser("c@x.com", renamed_from="b@x.com"),
        duser("b@x.com", renamed_from="a@x.com"),
    )
    p = diff(d, live(row("a@x.com"), row("b@x.com")), now=NOW)
    assert sorted((u.email, u.new_email) for u in p.user_changes) == [
        ("a@x.com", "b@x.com"),
        ("b@x.com", "c@x.com"),
    ]


def test_rename_into_an_address_renamed_away_without_source_is_error() -> None:
    d = desired(
        duser("c@x.com", renamed_from="b@x.com"),
        duser("b@x.com", renamed_from="a@x.com"),
    )
    with pytest.raises(PlanError, match=r"a@x.com does not exist .* itself renamed to c@x.com"):
        diff(d, live(row("b@x.com")), now=NOW)


def test_refresh_all_with_base_still_checks_numbers_deleted_since_base() -> None:
    # --refresh all checks more than --refresh changed, never less: a number deleted from the
    # config since the base ref must still be checked (and removed when listed).
    base = desired(dnc=(dnc(A), dnc(B, line=7)))
    d = desired(duser("a@x.com", roles=("Admin",)), dnc=(dnc(A),))
    assert numbers_to_check(d, base, refresh="changed", now=NOW) == [B]
    assert numbers_to_check(d, base, refresh="all", now=NOW) == [A, B]
    lv = live(row("a@x.com", roles=("Admin",)), dnc=(check(A, True), check(B, True)))
    p = diff(d, lv, base=base, now=NOW, base_ref="main")
    assert [(c.action, c.number) for c in p.dnc_changes] == [("remove", B)]


def test_rename_with_status_inactive_counts_as_deactivation_for_safety() -> None:
    pol = Policy(max_deactivations=Threshold(count=0))
    d = desired(
        duser("new@x.com", renamed_from="old@x.com", status="Inactive"),
        duser("adm@x.com", roles=("Admin",)),
        policy=pol,
    )
    lv = live(row("old@x.com"), row("adm@x.com", roles=("Admin",)))
    p = diff(d, lv, now=NOW)
    [u] = p.user_changes
    assert u.action == "rename" and u.field("status") is not None
    [v] = p.safety
    assert v.kind == "deactivations" and (v.count, v.total, v.limit) == (1, 2, 0)


def test_threshold_message_never_rounds_an_excess_down_to_the_limit() -> None:
    # 21 of 200 is 10.5%: over a 10% limit (= 20). Rounded half to even the message read
    # "(10%), limit 10%", as if it were within the limit.
    pol = Policy(unmanaged_users="deactivate", max_deactivations=Threshold(percent=10, floor=3))
    d = desired(duser("a@x.com", roles=("Admin",)), policy=pol)
    rows = [row("a@x.com", roles=("Admin",))] + [row(f"x{i}@x.com") for i in range(199)]
    [v] = diff(d, live(*rows), now=NOW).safety
    assert (v.count, v.total, v.limit) == (199, 200, 20)
    rows = [row("a@x.com", roles=("Admin",))] + [row(f"x{i}@x.com") for i in range(21)]
    rows += [row(f"k{i}@x.com") for i in range(178)]
    d = desired(
        duser("a@x.com", roles=("Admin",)),
        *(duser(f"k{i}@x.com") for i in range(178)),
        policy=pol,
    )
    [v] = diff(d, live(*rows), now=NOW).safety
    assert v.message.startswith("would deactivate 21 of 200 active users (11%), limit 10% (= 20")
    # a non-zero share never reads 0%
    pol = Policy(unmanaged_users="deactivate", max_deactivations=Threshold(count=0))
    d = desired(duser("a@x.com", roles=("Admin",)), *(duser(f"k{i}@x.com") for i in range(298)))
    d.policy = pol
    rows = [row("a@x.com", roles=("Admin",)), row("x@x.com")]
    rows += [row(f"k{i}@x.com") for i in range(298)]
    [v] = diff(d, live(*rows), now=NOW).safety
    assert v.message == (
        "would deactivate 1 of 300 active users (0.3%), limit 0 (policy.max_deactivations)"
    )
    # 1,001 of 10,001 is 10.009%: shown with the decimals that make the excess visible
    pol = Policy(max_dnc_removals=Threshold(percent=10))
    many = [f"+1415555{i:04d}" for i in range(10_001)]
    gone = many[:1001]
    d = desired(
        duser("a@x.com", roles=("Admin",)),
        dnc=tuple(dnc(n, state="absent" if n in gone else "present") for n in many),
        policy=pol,
    )
    lv = live(row("a@x.com", roles=("Admin",)), dnc=tuple(check(n, True) for n in gone))
    [v] = diff(d, lv, now=NOW).safety
    assert v.message.startswith("would remove 1001 of 10001 DNC numbers (10.01%), limit 10%")
