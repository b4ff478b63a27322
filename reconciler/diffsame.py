"""The common case of the users diff, made cheap: a declared user whose managed fields and
memberships equal the tenant's (nearly all of them in a scheduled plan). Pure.

:func:`reconciler.diffusers.field_changes` and ``membership_changes`` stay the one definition of
what changes; these only prove, in bulk, that they would find nothing, and otherwise let them
run. The plan is the same either way (tests/plan/test_diff_fast.py compares the two).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, Literal

from reconciler.plan import MembershipChange
from reconciler.state import USER_FIELDS, DesiredUser, LiveUser

Kind = Literal["role", "team"]
#: One kind of memberships of one user: (the changes, the unnamed memberships it keeps).
Memberships = tuple[list[MembershipChange], list[str]]
_KNOWN = frozenset(USER_FIELDS)


def _one(name: str) -> Callable[[LiveUser], tuple[Any, ...]]:
    def get(lu: LiveUser) -> tuple[Any, ...]:
        return (getattr(lu, name),)

    return get


class SameFields:
    """``same(du, lu)``: True when the declared fields of ``du`` equal ``lu``'s as they are, so
    that ``field_changes(du, lu)`` is empty; False means "compare field by field".

    Sound because the live values are normalised (``reconciler.live``: text fields ``str``,
    ``location`` ``str | None``, ``status`` a :class:`~reconciler.state.UserStatus`,
    ``max_chat_limit`` ``int | None``, ``max_chat_limit_enabled`` ``bool``): a value equal to one
    of those compares equal under ``_field_equal`` too (only numbers of different types, e.g.
    ``1 == 1.0``, could be equal yet print differently, and no live text field holds one). Not
    equal as they are (``"mexico"`` against ``"Mexico"``) is left to the field-by-field rules.
    """

    def __init__(self) -> None:
        # The user's field names (in its dict's order) -> a getter of the same live attributes.
        self._getters: dict[tuple[str, ...], Callable[[LiveUser], tuple[Any, ...]] | None] = {}

    def __call__(self, du: DesiredUser, lu: LiveUser) -> bool:
        names = tuple(du.fields)
        try:
            get = self._getters[names]
        except KeyError:
            get = self._getters[names] = self._getter(names)
        return get is not None and get(lu) == tuple(du.fields.values())

    @staticmethod
    def _getter(names: tuple[str, ...]) -> Callable[[LiveUser], tuple[Any, ...]] | None:
        if not names or not _KNOWN.issuperset(names):
            return None  # no field, or a key field_changes skips: let it decide
        return attrgetter(*names) if len(names) > 1 else _one(names[0])


class MembershipMemo:
    """``memo(du, lu, kind)``: what ``compute(du, lu, kind)`` (``membership_changes``) returns,
    computed once per distinct (declared set, live set, whole set managed) of a kind: most
    users share a few. Only a result without changes is reused (changes carry the user's own
    YAML locations, so they are computed for each user that has them)."""

    def __init__(self, compute: Callable[[DesiredUser, LiveUser | None, Kind], Memberships]):
        self.compute = compute
        # (kind, want, have, whole) -> the kept names when there is no change, else None.
        self._seen: dict[tuple[str, frozenset[str], frozenset[str], bool], list[str] | None] = {}

    def __call__(self, du: DesiredUser, lu: LiveUser | None, kind: Kind) -> Memberships:
        if kind == "role":
            want, whole = du.roles, du.roles_managed
            have = lu.roles if lu is not None else frozenset()
        else:
            want, whole = du.teams, du.teams_managed
            have = lu.teams if lu is not None else frozenset()
        key = (kind, want, have, whole)
        try:
            kept = self._seen[key]
        except KeyError:
            out, found = self.compute(du, lu, kind)
            self._seen[key] = None if out else list(found)
            return out, found
        if kept is None:
            return self.compute(du, lu, kind)
        return [], list(kept)

    def both(self, du: DesiredUser, lu: LiveUser | None) -> tuple[Memberships, Memberships]:
        """``(self(du, lu, "role"), self(du, lu, "team"))``, in one call (once per user)."""
        seen = self._seen
        roles = seen.get(
            ("role", du.roles, lu.roles if lu is not None else _NONE, du.roles_managed), _NEW
        )
        teams = seen.get(
            ("team", du.teams, lu.teams if lu is not None else _NONE, du.teams_managed), _NEW
        )
        return (
            ([], list(roles)) if type(roles) is list else self(du, lu, "role"),
            ([], list(teams)) if type(teams) is list else self(du, lu, "team"),
        )


_NONE: frozenset[str] = frozenset()
_NEW: Any = object()  # not seen yet
