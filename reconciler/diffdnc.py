"""The DNC part of the diff: declared numbers (and those gone since the base) × what the checks
found → DNC changes. Pure: no I/O, no clock (``now`` is passed in). Rules in docs/plan.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reconciler.plan import DNC_ACTION_ORDER, DncChange
from reconciler.state import DesiredDnc, DesiredState, LiveDnc, LiveState, Location


def dnc_expired(entry: DesiredDnc, now: datetime) -> bool:
    """A declaration whose ``expires_at`` has passed is not wanted: no add, no remove, no check."""
    return entry.expires_at is not None and entry.expires_at <= now


def _sec(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt.replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class DncContext:
    """What the DNC diff reads: the config, its base, the checks made, the numbers to plan from
    git without a check (``from_git``)."""

    desired: DesiredState
    base: DesiredState | None
    live: LiveState
    now: datetime
    base_ref: str | None
    from_git: frozenset[str]


def diff_dnc(ctx: DncContext) -> tuple[list[DncChange], int]:
    """The DNC changes (sorted) and the number of checked numbers already as declared."""
    changes: list[DncChange] = []
    in_sync = 0
    desired, base, live = ctx.desired.dnc, (ctx.base.dnc if ctx.base else {}), ctx.live.dnc
    for number in sorted(set(desired) | set(base)):
        lv: LiveDnc | None = live.get(number)
        if lv is None:
            if number in ctx.from_git:
                changes.append(_from_git(ctx, number))
            continue  # not checked and not changed in git: nothing known, nothing planned
        d = desired.get(number)
        listed = lv.do_not_call
        # An entry whose expires_at has passed is no longer wanted: like state: absent.
        expired = d is not None and d.state == "present" and dnc_expired(d, ctx.now)
        if d is not None and d.state == "present" and not expired:
            if listed and _sec(lv.expires_at) == _sec(d.expires_at):
                in_sync += 1
                continue
            changes.append(
                DncChange(
                    action="update" if listed else "add",
                    number=number,
                    raw=d.raw,
                    expires_before=lv.expires_at if listed else None,
                    expires_after=d.expires_at,
                    comment=d.comment,
                    loc=d.loc,
                    reason="expiry differs" if listed else "not on the DNC list",
                )
            )
            continue
        if not listed:
            in_sync += 1
            continue
        changes.append(_removal(ctx, number, d, lv, expired=expired))
    changes.sort(key=lambda c: (DNC_ACTION_ORDER[c.action], c.number))
    return changes, in_sync


def _why_removed(
    ctx: DncContext, number: str, d: DesiredDnc | None
) -> tuple[DesiredDnc, Location | None, str]:
    """The declaration a removal comes from, its location and the reason: an expired entry
    (``d`` present: removals only come from expired present entries), ``state: absent``,
    or a declaration deleted since the base."""
    if d is not None and d.state == "present":
        assert d.expires_at is not None
        return d, d.loc, f"expired on {d.expires_at:%Y-%m-%d %H:%M:%S} UTC"
    if d is not None:
        return d, d.loc, "state: absent"
    assert ctx.base is not None  # neither declared nor in the base: never asked
    src = ctx.base.dnc[number]
    ref = f" {ctx.base_ref}" if ctx.base_ref else ""
    was = f" (was at {src.loc})" if src.loc else ""
    return src, None, f"deleted from config since base ref{ref}{was}"


def _from_git(ctx: DncContext, number: str) -> DncChange:
    """Plan a number whose declaration changed since the base without a check: present →
    upsert (its answer says created or updated), otherwise → remove (harmless if unlisted)."""
    d = ctx.desired.dnc.get(number)
    base = ctx.base.dnc if ctx.base is not None else {}
    ref = f" {ctx.base_ref}" if ctx.base_ref else ""
    if d is not None and d.state == "present" and not dnc_expired(d, ctx.now):
        how = "changed" if number in base else "added"
        return DncChange(
            action="upsert",
            number=number,
            raw=d.raw,
            expires_after=d.expires_at,
            comment=d.comment,
            loc=d.loc,
            reason=f"{how} since base ref{ref}",
            checked=False,
        )
    return _removal(ctx, number, d, None, expired=False)


def _removal(
    ctx: DncContext, number: str, d: DesiredDnc | None, lv: LiveDnc | None, *, expired: bool
) -> DncChange:
    """A removal: of a checked, listed number (``lv``), or planned from git without a check
    (``lv`` None: removing an unlisted number is harmless)."""
    src, loc, reason = _why_removed(ctx, number, d)
    if lv is None:
        reason += "; removed if listed"
    elif expired:
        reason += ", still listed"
    return DncChange(
        action="remove",
        number=number,
        raw=src.raw,
        expires_before=None if lv is None else lv.expires_at,
        comment=src.comment,
        loc=loc,
        reason=reason,
        checked=lv is not None,
    )
