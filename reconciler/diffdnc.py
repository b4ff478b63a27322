"""The DNC part of the diff: declared numbers (and those gone since the base) × what the checks
found → DNC changes. Pure: no I/O, no clock (``now`` is passed in). Rules in docs/plan.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from reconciler.plan import DNC_ACTION_ORDER, DncChange, SourceLoc
from reconciler.state import DesiredDnc, DesiredState, LiveDnc, LiveState, Location


def dnc_expired(entry: DesiredDnc, now: datetime) -> bool:
    """A declaration whose ``expires_at`` has passed is not wanted: no add, no remove, no check."""
    return entry.expires_at is not None and entry.expires_at <= now


def _sec(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt.replace(microsecond=0)


def _loc(loc: Location | None) -> SourceLoc | None:
    return SourceLoc.of(loc)


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


def diff_dnc(self: DncContext) -> tuple[list[DncChange], int]:
    """The DNC changes (sorted) and the number of checked numbers already as declared."""
    changes: list[DncChange] = []
    in_sync = 0
    desired, base, live = self.desired.dnc, (self.base.dnc if self.base else {}), self.live.dnc
    for number in sorted(set(desired) | set(base)):
        lv: LiveDnc | None = live.get(number)
        if lv is None:
            if number in self.from_git:
                changes.append(_from_git(self, number))
            continue  # not checked and not changed in git: nothing known, nothing planned
        d = desired.get(number)
        listed = lv.do_not_call
        # An entry whose expires_at has passed is no longer wanted: like state: absent.
        expired = d is not None and d.state == "present" and dnc_expired(d, self.now)
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
                    loc=_loc(d.loc),
                    reason="expiry differs" if listed else "not on the DNC list",
                )
            )
            continue
        if not listed:
            in_sync += 1
            continue
        src, loc, reason = _why_removed(self, number, d, base)
        if expired:
            reason += ", still listed"
        changes.append(
            DncChange(
                action="remove",
                number=number,
                raw=src.raw,
                expires_before=lv.expires_at,
                comment=src.comment,
                loc=_loc(loc),
                reason=reason,
            )
        )
    changes.sort(key=lambda c: (DNC_ACTION_ORDER[c.action], c.number))
    return changes, in_sync


def _why_removed(
    self: DncContext, number: str, d: DesiredDnc | None, base: Mapping[str, DesiredDnc]
) -> tuple[DesiredDnc, Location | None, str]:
    """The declaration a removal comes from, its location and the reason: an expired entry
    (``d`` present: removals only come from expired present entries), ``state: absent``,
    or a declaration deleted since the base."""
    if d is not None and d.state == "present":
        assert d.expires_at is not None
        return d, d.loc, f"expired on {d.expires_at:%Y-%m-%d %H:%M:%S} UTC"
    if d is not None:
        return d, d.loc, "state: absent"
    src = base[number]
    ref = f" {self.base_ref}" if self.base_ref else ""
    was = f" (was at {src.loc})" if src.loc else ""
    return src, None, f"deleted from config since base ref{ref}{was}"


def _from_git(self: DncContext, number: str) -> DncChange:
    """Plan a number whose declaration changed since the base without a check: present →
    upsert (its answer says created or updated), otherwise → remove (harmless if unlisted)."""
    d = self.desired.dnc.get(number)
    base = self.base.dnc if self.base is not None else {}
    ref = f" {self.base_ref}" if self.base_ref else ""
    if d is not None and d.state == "present" and not dnc_expired(d, self.now):
        how = "changed" if number in base else "added"
        return DncChange(
            action="upsert",
            number=number,
            raw=d.raw,
            expires_after=d.expires_at,
            comment=d.comment,
            loc=_loc(d.loc),
            reason=f"{how} since base ref{ref}",
            checked=False,
        )
    src, loc, reason = _why_removed(self, number, d, base)
    return DncChange(
        action="remove",
        number=number,
        raw=src.raw,
        comment=src.comment,
        loc=_loc(loc),
        reason=f"{reason}; removed if listed",
        checked=False,
    )
