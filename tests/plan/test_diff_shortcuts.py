"""The diff's bulk shortcuts (no rename at all, no unknown name or location on any user, no
change of a guarded kind) give what the item-by-item paths give, with and without such cases."""

from __future__ import annotations

from typing import Any

from reconciler.diffnames import check_names
from reconciler.diffusers import resolve_sources
from reconciler.state import DesiredState, DesiredUser, LiveState, LiveUser, Location, UserStatus


def _live(
    email: str, roles: frozenset[str] = frozenset(), location: str | None = "Austin"
) -> LiveUser:
    return LiveUser(
        email=email,
        email_raw=email,
        first_name="F",
        last_name="L",
        agent_number="",
        status=UserStatus.ACTIVE,
        location=location,
        max_chat_limit=None,
        max_chat_limit_enabled=False,
        roles=roles,
        teams=frozenset(),
    )


def _user(email: str, n: int, **kw: object) -> DesiredUser:
    return DesiredUser(email=email, fields={"first_name": "F"}, loc=Location("u.yaml", n, 5), **kw)  # type: ignore[arg-type]


def test_sources_without_renames_and_with_them() -> None:
    live = {e: _live(e) for e in ("a@x.com", "b@x.com", "c@x.com")}
    users = {e: _user(e, i) for i, e in enumerate(("a@x.com", "new@x.com", "b@x.com"))}
    assert resolve_sources(users, live) == (
        {"a@x.com": "a@x.com", "new@x.com": None, "b@x.com": "b@x.com"},
        [],
    )
    users["d@x.com"] = _user("d@x.com", 9, renamed_from="c@x.com")
    users["e@x.com"] = _user("e@x.com", 10, renamed_from="c@x.com")
    sources, errors = resolve_sources(users, live)
    assert list(sources) == ["a@x.com", "new@x.com", "b@x.com", "d@x.com", "e@x.com"]
    assert [str(e) for e in errors] == [
        "u.yaml:10:5: error: tenant user c@x.com would become both d@x.com and e@x.com (a user "
        "cannot be kept and renamed, or renamed twice)"
    ]


def test_names_and_locations_on_users_only_are_still_found() -> None:
    live = LiveState(
        users={"a@x.com": _live("a@x.com", frozenset({"Agent"}))}, roles=("Agent",), teams=()
    )
    users = {f"u{i}@x.com": _user(f"u{i}@x.com", i, roles=frozenset({"Agent"})) for i in range(5)}
    state = DesiredState(users=users, role_refs={"Agent": Location("u.yaml", 1, 1)})
    assert check_names(state, live) == ([], [])
    odd = _user("odd@x.com", 7, roles=frozenset({"Agent", "Ghost"}))
    odd.fields["location"] = "Mars"
    state.users["odd@x.com"] = odd
    errors, warnings = check_names(state, live)
    assert [str(e) for e in errors] == [
        "u.yaml:7:5: error: role 'Ghost' does not exist in the tenant"
    ]
    assert [w.message for w in warnings] == [
        "location 'Mars' is not used by any user in the tenant; the platform rejects it unless "
        "the location exists"
    ]


def test_both_memberships_at_once_are_each_kind_alone() -> None:
    from reconciler.diffsame import MembershipMemo
    from reconciler.plan import MembershipChange

    def compute(du: DesiredUser, lu: LiveUser | None, kind: str) -> tuple[list[Any], list[str]]:
        want = du.roles if kind == "role" else du.teams
        have = frozenset() if lu is None else (lu.roles if kind == "role" else lu.teams)
        out = [MembershipChange(name=n, assign=True, loc=du.loc) for n in sorted(want - have)]
        return out, sorted(have - want)

    users = [
        _user("a@x.com", 1, roles=frozenset({"A"}), teams=frozenset({"T"})),
        _user("b@x.com", 2, roles=frozenset({"A", "B"})),
        _user("c@x.com", 3, roles=frozenset({"A"}), teams=frozenset({"T"})),
    ]
    lives = [_live("a@x.com", frozenset({"A", "K"})), _live("b@x.com", frozenset({"A"})), None]
    one, two = MembershipMemo(compute), MembershipMemo(compute)
    for _ in range(2):  # unseen, then seen (with and without changes)
        for du in users:
            for lu in lives:
                assert one.both(du, lu) == (two(du, lu, "role"), two(du, lu, "team"))
