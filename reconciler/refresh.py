"""Which DNC numbers a plan checks (one API call each): the refresh mode and the budgeted
rotation. Pure: no I/O, no clock (``now`` is passed in).

There is no list endpoint, so the only way to see the tenant's DNC list is one check per number.
With a base ref the numbers changed since the base are planned from git alone (no checks); the
refresh mode adds checks (``changed``, ``all``), and a *refresh budget* adds N checks per run
that rotate deterministically through every declared number, so drift anywhere in the list is
found within ``ceil(declared / N)`` runs without a state file (docs/plan.md, "Drift checks
within a call budget").
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime, timedelta
from typing import Literal

from reconciler.diffdnc import dnc_expired
from reconciler.plan import DncRotation
from reconciler.state import DesiredDnc, DesiredState

Refresh = Literal["git", "changed", "all"]
#: The ``--refresh`` choices, typed (click hands over a plain string).
REFRESH_MODES: dict[str, Refresh] = {"git": "git", "changed": "changed", "all": "all"}

__all__ = [
    "REFRESH_MODES",
    "Refresh",
    "numbers_changed",
    "numbers_to_check",
    "rotation",
    "rotation_slot",
]


def _decl(entry: DesiredDnc | None) -> tuple[str, datetime | None] | None:
    if entry is None:
        return None
    expires = entry.expires_at.replace(microsecond=0) if entry.expires_at else None
    return (entry.state, expires)


def numbers_changed(desired: DesiredState, base: DesiredState, *, now: datetime) -> list[str]:
    """The DNC numbers whose declaration changed in git since ``base``, sorted: a declaration
    (state, expiry) that differs from the base, or a number declared present (and unexpired) at
    the base and gone from the config now."""
    out = {n for n, d in desired.dnc.items() if _decl(base.dnc.get(n)) != _decl(d)}
    for n, b in base.dnc.items():
        if n not in desired.dnc and b.state == "present" and not dnc_expired(b, now):
            out.add(n)
    return sorted(out)


def numbers_to_check(
    desired: DesiredState, base: DesiredState | None, *, refresh: Refresh, now: datetime
) -> list[str]:
    """The DNC numbers a plan must check by its refresh mode, sorted (the budgeted rotation,
    :func:`rotation`, comes on top).

    - no base: every declared number, whatever the mode (an expired entry too: the tenant may
      still block it). Without a base nothing says which numbers an earlier apply handled.
    - ``refresh="git"`` (the default) with a base: none. The numbers changed since the base
      (:func:`numbers_changed`) are planned from git alone (an upsert, or a removal, which is
      harmless for an unlisted number); an entry unchanged since the base was handled by an
      earlier apply.
    - ``refresh="changed"`` with a base: the numbers changed since the base.
    - ``refresh="all"``: every declared number, plus (with a base) the numbers gone since the
      base: a full refresh checks more than a changed-only one, never less.
    """
    if base is None:
        return sorted(desired.dnc)
    if refresh == "git":
        return []
    out = set(numbers_changed(desired, base, now=now))
    if refresh == "all":
        out |= set(desired.dnc)
    return sorted(out)


# ---- the budgeted rotation -------------------------------------------------------------------

_EPOCH = date(1970, 1, 1)


def rotation_slot(now: datetime) -> int:
    """The default slot: the UTC day (days since 1970-01-01), so a nightly run moves on by one
    window per day, and any number of runs on one day check the same window."""
    return (now.date() - _EPOCH).days


def _ring(numbers: list[str]) -> list[str]:
    """The declared numbers in rotation order: sorted by a hash of the number, so the windows
    mix numbers from every file and a block of numbers added together spreads over the cycle."""
    return sorted(numbers, key=lambda n: hashlib.sha256(n.encode()).hexdigest())


def rotation(
    desired: DesiredState,
    budget: int,
    *,
    slot: int,
    now: datetime,
    slot_is_day: bool,
) -> tuple[list[str], DncRotation]:
    """The window of at most ``budget`` declared numbers to check in run ``slot``, and what the
    plan says about it.

    The declared numbers (every ``dnc:`` entry, ``state: absent`` and expired ones included:
    the tenant may still list them) are ordered by :func:`_ring` and cut into
    ``ceil(declared / budget)`` windows; run ``slot`` checks window ``slot mod windows``. Over
    any ``windows`` consecutive slots every number is checked once, as long as the declared set
    and the budget stay the same (a change shifts the windows; the next cycle covers it)."""
    if budget < 1:
        raise ValueError("the refresh budget must be at least 1")
    ring = _ring(list(desired.dnc))
    windows = max(1, math.ceil(len(ring) / budget))
    window = slot % windows
    numbers = ring[window * budget : (window + 1) * budget]
    remaining = windows - 1 - window
    info = DncRotation(
        budget=budget,
        slot=slot,
        window=window + 1,
        windows=windows,
        checked=len(numbers),
        declared=len(ring),
        runs_to_cycle_end=remaining,
        cycle_ends_on=(now.date() + timedelta(days=remaining)) if slot_is_day else None,
    )
    return sorted(numbers), info
