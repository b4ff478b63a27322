"""The values that flow between stages: DesiredState (from YAML), LiveState (from the tenant).

These are plain, typed, immutable-by-convention records. The config loader
(``reconciler.config``) produces a :class:`DesiredState`; ``reconciler.live``
produces a :class:`LiveState`; ``reconciler.diff`` compares the two. Nothing
here does I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

# Scalar user fields the reconciler manages, in bulk-template order.
USER_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "agent_number",
    "status",
    "location",
    "max_chat_limit",
    "max_chat_limit_enabled",
)


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where a value was written: file (as given by the user, relative when possible), 1-based
    line and column. The one location type: config, diagnostics and the plan (serialised as
    ``{"file", "line", "col"}``; the apply report writes it as ``file:line:col`` text)."""

    # How pydantic validates it inside a Plan (``apply PLAN.json``): unknown keys are refused.
    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @classmethod
    def resolve_many(cls, locations: list[Location]) -> None:
        """Find the line and column of many locations of this type at once (a lazy location
        of the config's fast path parses each file once for all of its locations). A plain
        location is resolved already."""


def resolve_locations(locations: Iterable[Location | None]) -> None:
    """Resolve the lazy ones among ``locations`` in batches, before they are read one by one
    (a plan's output reads thousands of locations spread over many files)."""
    # Grouped by their resolve_many (subclasses that share it are resolved together).
    by_kind: dict[Any, tuple[type[Location], list[Location]]] = {}
    for loc in locations:
        if loc is not None and type(loc) is not Location:
            cls = type(loc)
            kind = getattr(cls.resolve_many, "__func__", cls)
            by_kind.setdefault(kind, (cls, []))[1].append(loc)
    for cls, group in by_kind.values():
        cls.resolve_many(group)


class UserStatus(StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


@dataclass(frozen=True, slots=True)
class Threshold:
    """A safety limit: an absolute count, or a percentage of the existing total.

    ``Threshold.parse(10)`` allows at most 10; ``Threshold.parse("30%")`` allows at most 30% of
    the existing items (rounded down, but never below ``floor``, so that small tenants can still
    make small changes).
    """

    count: int | None = None
    percent: float | None = None
    floor: int = 0

    @classmethod
    def parse(cls, value: int | str, floor: int = 0) -> Threshold:
        if isinstance(value, bool):
            raise ValueError("must be a whole number or a percentage such as '30%'")
        if isinstance(value, int):
            if value < 0:
                raise ValueError("must not be negative")
            return cls(count=value)
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", str(value))
        if not m:
            raise ValueError(f"{value!r} is not a whole number or a percentage such as '30%'")
        pct = float(m.group(1))
        if pct > 100:
            raise ValueError(f"{value!r} is over 100%")
        return cls(percent=pct, floor=floor)

    def limit(self, total: int) -> int:
        """The largest number of items allowed out of ``total`` existing ones. ``0%`` is zero:
        the floor is for small tenants, not a way around an explicit ban."""
        if self.count is not None:
            return self.count
        assert self.percent is not None
        if self.percent == 0:
            return 0
        return max(self.floor, math.floor(total * self.percent / 100 + 1e-9))

    def allows(self, n: int, total: int) -> bool:
        return n <= self.limit(total)

    def describe(self) -> str:
        if self.count is not None:
            return str(self.count)
        return f"{self.percent:g}%"


DEFAULT_MAX_DEACTIVATIONS = Threshold(percent=10.0, floor=3)
DEFAULT_MAX_DNC_REMOVALS = Threshold(percent=30.0, floor=5)
DEFAULT_MAX_ROLE_REMOVALS = Threshold(percent=10.0, floor=3)
DEFAULT_MAX_TEAM_REMOVALS = Threshold(percent=10.0, floor=3)
DEFAULT_MAX_FIELD_CLEARS = Threshold(percent=10.0, floor=3)

#: ``policy.manage_roles`` / ``manage_teams``: every name the config mentions (the default),
#: every name the tenant has, or exactly the names listed.
Managed = Literal["declared", "all"] | frozenset[str]


@dataclass(frozen=True, slots=True)
class Tenant:
    subdomain: str | None = None
    domain: str | None = None
    loc: Location | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    unmanaged_users: Literal["ignore", "deactivate"] = "ignore"
    # Which role / team names are in scope (see docs/config.md, Memberships).
    manage_roles: Managed = "declared"
    manage_teams: Managed = "declared"
    default_region: str = "US"
    max_deactivations: Threshold = DEFAULT_MAX_DEACTIVATIONS
    max_dnc_removals: Threshold = DEFAULT_MAX_DNC_REMOVALS
    max_role_removals: Threshold = DEFAULT_MAX_ROLE_REMOVALS
    max_team_removals: Threshold = DEFAULT_MAX_TEAM_REMOVALS
    max_field_clears: Threshold = DEFAULT_MAX_FIELD_CLEARS
    protected_users: frozenset[str] = frozenset()  # lower-cased emails
    # The role marking the users this config owns (docs/config.md, "Ownership role").
    ownership_role: str | None = None
    ownership_role_loc: Location | None = None


@dataclass(slots=True)
class DesiredUser:
    """One user as the config wants it.

    ``fields`` holds only the managed scalar fields (keys from :data:`USER_FIELDS`): a key that
    is absent is not managed. Values are normalised: ``status`` a :class:`UserStatus`,
    ``location`` a name or ``None`` (explicit null = clear), ``max_chat_limit`` an int,
    ``max_chat_limit_enabled`` a bool, the rest strings. ``first_name`` and ``last_name`` are
    always present (the config requires them).

    ``roles`` / ``teams`` are the names the config gives this user (from the user's own list,
    the ``roles:``/``teams:`` sections and ``defaults``). ``roles_managed`` / ``teams_managed``
    say whether the user's whole set is managed (the user has its own ``roles:``/``teams:`` key,
    or ``defaults`` gives one); when not, only the memberships of groups that have a section
    (``DesiredState.role_sections``) are compared. The diff compares them only for the names in
    the policy's scope.
    """

    email: str  # lower-cased; the key
    fields: dict[str, Any]
    roles: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    roles_managed: bool = False
    teams_managed: bool = False
    renamed_from: str | None = None  # lower-cased
    loc: Location | None = None  # the user's block (its email key)
    # per field, incl. renamed_from (made on first use for a large plain file: config/lazyloc.py)
    field_locs: MutableMapping[str, Location] = field(default_factory=dict)
    # Where each membership was declared: ("role" | "team", name) -> location (made on first
    # use for the user's own lists in a large plain file: config/fastusers.py).
    membership_locs: MutableMapping[tuple[str, str], Location] = field(default_factory=dict)
    # The email as written in the YAML: what a create or rename sends (compared lower-cased).
    email_as_written: str | None = None


@dataclass(frozen=True, slots=True)
class DesiredDnc:
    """A DNC declaration (region applied). A plan carries every one (``Plan.desired.dnc``)."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    number: str  # E.164, the key
    raw: str  # as written in YAML
    state: Literal["present", "absent"] = "present"
    expires_at: datetime | None = None  # timezone-aware UTC
    comment: str | None = None
    loc: Location | None = None


@dataclass(slots=True)
class DesiredState:
    tenant: Tenant = field(default_factory=Tenant)
    policy: Policy = field(default_factory=Policy)
    users: dict[str, DesiredUser] = field(default_factory=dict)  # key: lower-cased email
    dnc: dict[str, DesiredDnc] = field(default_factory=dict)  # key: E.164
    # Every role / team name the config mentions, with the first place it is mentioned;
    # plan checks them against the tenant.
    role_refs: dict[str, Location] = field(default_factory=dict)
    team_refs: dict[str, Location] = field(default_factory=dict)
    # The groups with a roles:/teams: section (its key): their membership is exact over the
    # declared users.
    role_sections: dict[str, Location] = field(default_factory=dict)
    team_sections: dict[str, Location] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # the YAML files read, in load order


@dataclass(frozen=True, slots=True)
class LiveUser:
    email: str  # lower-cased
    email_raw: str  # as the tenant spells it
    first_name: str
    last_name: str
    agent_number: str
    status: UserStatus
    location: str | None
    max_chat_limit: int | None
    max_chat_limit_enabled: bool
    roles: frozenset[str]
    teams: frozenset[str]

    def field(self, name: str) -> Any:
        return getattr(self, name)


@dataclass(frozen=True, slots=True)
class LiveDnc:
    number: str  # E.164
    do_not_call: bool
    expires_at: datetime | None  # UTC; None = never expires


@dataclass(slots=True)
class LiveState:
    users: dict[str, LiveUser]  # key: lower-cased email
    roles: tuple[str, ...]  # the tenant's role names, in template order
    teams: tuple[str, ...]
    # DNC state only for the numbers that were checked (there is no list endpoint).
    dnc: dict[str, LiveDnc] = field(default_factory=dict)
    fingerprint: str = ""  # hash of the users/roles/teams as fetched
