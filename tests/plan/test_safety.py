"""The guards of reconciler.safety, counted the same way for every destructive kind of change:
thresholds, floors, totals, and the refusals apply enforces."""

from __future__ import annotations

from reconciler.diff import diff
from reconciler.plan import SafetyViolation
from reconciler.safety import refusals
from reconciler.state import Policy, Threshold

from .helpers import NOW, desired, duser, live, row


def team_plan(n_users: int, n_removed: int, policy: Policy | None = None) -> list[SafetyViolation]:
    users = [
        duser(f"u{i}@x.com", teams=() if i < n_removed else ("Tier 1",)) for i in range(n_users)
    ]
    lv = live(*(row(f"u{i}@x.com", teams=("Tier 1",)) for i in range(n_users)))
    return diff(desired(*users, policy=policy or Policy(manage_teams="all")), lv, now=NOW).safety


def test_small_tenant_floor_allows_a_few_removals() -> None:
    assert team_plan(3, 3) == []  # 100% of 3, but the floor is 3
    [v] = team_plan(4, 4)
    assert (v.kind, v.count, v.total, v.limit) == ("team_removals", 4, 4, 3)


def test_percentage_of_existing_memberships() -> None:
    assert team_plan(100, 10) == []
    [v] = team_plan(100, 11)
    assert v.message == (
        "would remove 11 of 100 team memberships (11%) from 11 of 100 users that have one, "
        "limit 10% (= 10, policy.max_team_removals)"
    )


def test_zero_forbids_any_and_each_kind_has_its_own_threshold() -> None:
    pol = Policy(manage_teams="all", max_team_removals=Threshold(count=0))
    [v] = team_plan(3, 1, pol)
    assert (v.count, v.limit) == (1, 0)
    # the role threshold does not limit team removals
    assert team_plan(3, 1, Policy(manage_teams="all", max_role_removals=Threshold(count=0))) == []


def test_field_clears_are_counted_per_field_against_users_that_have_it() -> None:
    users = [duser(f"u{i}@x.com", location=None, max_chat_limit_enabled=False) for i in range(5)]
    rows = [
        row(f"u{i}@x.com", location="Mexico" if i < 4 else "", max_chat_limit_enabled="1")
        for i in range(5)
    ]
    safety = diff(desired(*users), live(*rows), now=NOW).safety
    assert [(v.kind, v.field, v.count, v.total) for v in safety] == [
        ("field_clears", "location", 4, 4),
        ("field_clears", "max_chat_limit_enabled", 5, 5),
    ]


def test_refusals_one_override_for_every_threshold_another_for_admin() -> None:
    found = [
        SafetyViolation(kind=k, message=k)
        for k in ("deactivations", "role_removals", "team_removals", "field_clears", "admin")
    ]
    assert refusals(found, allow_mass_changes=False, allow_no_admin=False) == [
        "deactivations (use --allow-mass-changes to apply anyway)",
        "role_removals (use --allow-mass-changes to apply anyway)",
        "team_removals (use --allow-mass-changes to apply anyway)",
        "field_clears (use --allow-mass-changes to apply anyway)",
        "admin (use --allow-no-admin to apply anyway)",
    ]
    assert refusals(found, allow_mass_changes=True, allow_no_admin=False) == [
        "admin (use --allow-no-admin to apply anyway)"
    ]
    assert refusals(found, allow_mass_changes=True, allow_no_admin=True) == []
