"""Safety guards: one mechanism for every kind of change that takes something away.

At plan time :func:`violations` counts each destructive kind of change in the plan against its
own policy threshold (a count, or a percentage of the items that exist) and records a
:class:`~reconciler.plan.SafetyViolation` naming the numbers; it also applies the Admin rule.
At apply time :func:`refusals` turns the plan's recorded violations into refusals unless the
matching override was given (``--allow-mass-changes`` for every threshold,
``--allow-no-admin`` for the Admin rule). Pure: no I/O.

The guarded kinds (docs/config.md, Safety guards), each ``policy.max_<kind>``:

- ``deactivations``: users set Inactive, of the active tenant users;
- ``role_removals`` / ``team_removals``: memberships removed, of the tenant's memberships;
- ``field_clears``: per clearable field, users whose value is cleared, of those that have one;
- ``dnc_removals``: numbers removed, of the DNC entries known to the plan.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from reconciler.plan import DncChange, SafetyKind, SafetyViolation, UserChange
from reconciler.state import LiveState, LiveUser, Policy, Threshold, UserStatus

ADMIN_ROLE = "Admin"

MASS_OVERRIDE = "--allow-mass-changes"
ADMIN_OVERRIDE = "--allow-no-admin"


def pct(n: int, total: int, limit_pct: float | None = None) -> str:
    """``n`` of ``total`` as a whole percentage for people (half up). A share that would round
    down to the percentage limit (or to 0%) gets the decimals that show it: 41 of 400 over a
    10% limit reads 10.2%, not 10% (which next to "limit 10%" looks allowed); 1 of 300 reads
    0.3%, not 0%."""
    if not total:
        return "100%"
    share = 100 * n / total
    whole = math.floor(share + 0.5)
    below = 0.0 if limit_pct is None else limit_pct
    if whole > below or share == whole:
        return f"{whole}%"
    text = f"{share:.3f}"
    for digits in (1, 2):
        if float(f"{share:.{digits}f}") > below:
            text = f"{share:.{digits}f}"
            break
    return f"{text}%"


def _inactive(u: UserChange) -> bool:
    st = u.field("status")
    return st is not None and st.after == UserStatus.INACTIVE.value


# ---- the clearable fields ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Clear:
    """A field the diff can clear: what "set" means on a live user, what a clear looks like."""

    field: str
    what: str  # "clear the location", in "would clear the location of ..."
    having: str  # "users that have one"
    is_set: Callable[[LiveUser], bool]
    clears: Callable[[object, object], bool]  # (before, after)


CLEARABLE: tuple[_Clear, ...] = (
    _Clear(
        "location",
        "clear the location",
        "users that have one",
        lambda u: bool(u.location),
        lambda before, after: bool(before) and after is None,
    ),
    _Clear(
        "max_chat_limit_enabled",
        "disable the chat limit (max_chat_limit_enabled: false)",
        "users that have it enabled",
        lambda u: u.max_chat_limit_enabled,
        lambda before, after: before is True and after is False,
    ),
)


# ---- the guards ----------------------------------------------------------------------------


def _over(
    kind: SafetyKind,
    threshold: Threshold,
    key: str,
    n: int,
    total: int,
    head: str,
    tail: str = "",
    field: str | None = None,
) -> SafetyViolation | None:
    """A violation when ``n`` of ``total`` is more than ``threshold`` allows. The message is
    ``{head} ({share}){tail}, limit {threshold} (= {count}, policy.{key})``, without the
    ``= {count}`` when the threshold is a count."""
    if not n or threshold.allows(n, total):
        return None
    limit = threshold.limit(total)
    share = pct(n, total, threshold.percent)
    counted = "" if threshold.count is not None else f"= {limit}, "
    return SafetyViolation(
        kind=kind,
        message=f"{head} ({share}){tail}, limit {threshold.describe()} ({counted}policy.{key})",
        count=n,
        total=total,
        limit=limit,
        field=field,
    )


def _memberships(
    kind: Literal["role", "team"],
    changes: Sequence[UserChange],
    live: LiveState,
    threshold: Threshold,
) -> SafetyViolation | None:
    attr = kind + "s"
    removed = 0
    users = 0
    for u in changes:
        k = sum(1 for m in getattr(u, attr) if not m.assign)
        removed += k
        users += k > 0
    if not removed:
        return None  # what _over says of none, without counting the tenant's memberships
    total = sum(len(getattr(lu, attr)) for lu in live.users.values())
    holders = sum(1 for lu in live.users.values() if getattr(lu, attr))
    return _over(
        "role_removals" if kind == "role" else "team_removals",
        threshold,
        f"max_{kind}_removals",
        removed,
        total,
        f"would remove {removed} of {total} {kind} memberships",
        f" from {users} of {holders} users that have one",
    )


def violations(
    user_changes: Sequence[UserChange],
    dnc_changes: Sequence[DncChange],
    live: LiveState,
    policy: Policy,
    dnc_declared: Iterable[str],
) -> tuple[list[SafetyViolation], list[str]]:
    """Every guard over the plan's changes: ``(violations, warnings)``, in a fixed order."""
    out: list[SafetyViolation | None] = []
    existing = [u for u in user_changes if u.action != "create"]

    # Every active user the plan makes Inactive, also one renamed in the same row.
    n = sum(1 for u in existing if _inactive(u))
    # (Each guard counts the tenant's items only when the plan has some of its changes: with
    # none it never objects, and the counts are per live user.)
    live_active = sum(1 for u in live.users.values() if u.status == UserStatus.ACTIVE) if n else 0
    out.append(
        _over(
            "deactivations",
            policy.max_deactivations,
            "max_deactivations",
            n,
            live_active,
            f"would deactivate {n} of {live_active} active users",
        )
    )
    out.append(_memberships("role", existing, live, policy.max_role_removals))
    out.append(_memberships("team", existing, live, policy.max_team_removals))
    for c in CLEARABLE:
        cleared = sum(
            1
            for u in existing
            if (f := u.field(c.field)) is not None and c.clears(f.before, f.after)
        )
        if not cleared:
            continue
        having = sum(1 for lu in live.users.values() if c.is_set(lu))
        out.append(
            _over(
                "field_clears",
                policy.max_field_clears,
                "max_field_clears",
                cleared,
                having,
                f"would {c.what} of {cleared} of {having} {c.having}",
                field=c.field,
            )
        )
    removed = {c.number for c in dnc_changes if c.action == "remove"}
    total = len(set(dnc_declared) | removed) if removed else 0
    k = len(removed)
    out.append(
        _over(
            "dnc_removals",
            policy.max_dnc_removals,
            "max_dnc_removals",
            k,
            total,
            f"would remove {k} of {total} DNC numbers",
        )
    )
    found = [v for v in out if v is not None]
    warnings: list[str] = []
    admin = _admin(user_changes, live)
    if isinstance(admin, SafetyViolation):
        found.append(admin)
    elif admin:
        warnings.append(admin)
    return found, warnings


def _admin(user_changes: Sequence[UserChange], live: LiveState) -> SafetyViolation | str | None:
    """A violation when the plan leaves no active Admin while one exists now; a warning when
    there is none now and the plan adds none."""
    admin = next((r for r in live.roles if r == ADMIN_ROLE), None)
    if admin is None:
        return None
    changes = {u.email.lower(): u for u in user_changes if u.action != "create"}
    before = after = 0
    for key, lu in live.users.items():
        active = lu.status == UserStatus.ACTIVE
        holds = admin in lu.roles
        before += active and holds
        ch = changes.get(key)
        if ch is not None:
            if ch.field("status") is not None:
                active = not _inactive(ch)
            for m in ch.roles:
                if m.name == admin:
                    holds = m.assign
        after += active and holds
    for ch in user_changes:
        if ch.action == "create":
            after += not _inactive(ch) and any(m.name == admin and m.assign for m in ch.roles)
    if after:
        return None
    if before:
        return SafetyViolation(
            kind="admin",
            message=(
                f"no active user would hold the {admin} role after this plan ({before} "
                f"{'does' if before == 1 else 'do'} now)"
            ),
            count=before,
            total=before,
            limit=0,
        )
    return f"no active user holds the {admin} role, and this plan does not add one"


# ---- apply: enforcing ----------------------------------------------------------------------


def refusals(
    found: Iterable[SafetyViolation], *, allow_mass_changes: bool, allow_no_admin: bool
) -> list[str]:
    """The violations no override allows, each with the option that would."""
    out = []
    for v in found:
        if v.kind == "admin":
            if not allow_no_admin:
                out.append(f"{v.message} (use {ADMIN_OVERRIDE} to apply anyway)")
        elif not allow_mass_changes:
            out.append(f"{v.message} (use {MASS_OVERRIDE} to apply anyway)")
    return out
