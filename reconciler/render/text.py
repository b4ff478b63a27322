"""Terraform-like text: ``+`` create/add, ``~`` update/rename, ``-`` deactivate/remove.

Colour only when asked (the command passes ``color=stream.isatty()``). Every change names the
YAML ``file:line`` it comes from. Reads only the Plan.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

import click

from reconciler.plan import (
    DncChange,
    FieldChange,
    MembershipChange,
    MembershipScope,
    Plan,
    UserChange,
)
from reconciler.state import Location

COLORS = {"+": "green", "~": "yellow", "-": "red", "!": "red"}
USER_MARK = {"create": "+", "update": "~", "rename": "~", "deactivate": "-"}
DNC_MARK = {"add": "+", "upsert": "+", "update": "~", "remove": "-"}
LOC_COLUMN = 64


def fmt_value(value: object, *, field: str | None = None) -> str:
    if value is None:
        return "(none)" if field == "location" else "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def fmt_time(dt: datetime | None) -> str:
    if dt is None:
        return "never"
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_loc(loc: Location | None) -> str:
    return f"{loc.file}:{loc.line}" if loc else ""


def _field_line(f: FieldChange, create: bool) -> str:
    if create:
        return f"{f.field} = {fmt_value(f.after, field=f.field)}"
    before = fmt_value(f.before, field=f.field)
    return f"{f.field}: {before} -> {fmt_value(f.after, field=f.field)}"


def _member_line(kind: str, m: MembershipChange) -> tuple[str, str]:
    owned = "  # ownership role (policy.ownership_role)" if m.ownership else ""
    return ("+" if m.assign else "-"), f"{kind} {m.name}{owned}"


def user_title(u: UserChange) -> str:
    if u.action == "rename":
        return f"{u.email} -> {u.new_email} (rename)"
    if u.action == "deactivate":
        return f"{u.email} (deactivate)"
    if u.action == "create":
        return f"{u.email} (create)"
    return u.email


def user_lines(u: UserChange) -> Iterator[tuple[int, str, str, str]]:
    """(indent, mark, text, location) rows for one user change."""
    yield 0, USER_MARK[u.action], user_title(u), fmt_loc(u.loc)
    if u.reason and u.action == "deactivate":
        yield 2, " ", f"# {u.reason}", ""
    for f in u.fields:
        if u.action == "deactivate" and f.field == "status" and not f.loc:
            continue
        mark = "+" if u.action == "create" else "~"
        loc = fmt_loc(f.loc) if f.loc != u.loc else ""
        yield 2, mark, _field_line(f, u.action == "create"), loc
    for kind, items in (("role", u.roles), ("team", u.teams)):
        for m in items:
            mark, text = _member_line(kind, m)
            yield 2, mark, text, fmt_loc(m.loc) if m.loc != u.loc else ""


def dnc_line(c: DncChange) -> tuple[str, str, str]:
    number = c.number if c.raw in (c.number, "") else f"{c.number} ({c.raw})"
    if c.action == "add":
        text = f"{number} expires {fmt_time(c.expires_after)}"
    elif c.action == "upsert":  # not checked: added, or updated if already listed
        text = f"{number} add or update, expires {fmt_time(c.expires_after)}"
        text += f"  # {c.reason}" if c.reason else ""
    elif c.action == "update":
        text = f"{number} expires {fmt_time(c.expires_before)} -> {fmt_time(c.expires_after)}"
    else:
        text = f"{number}  # {c.reason}" if c.reason else number
    return DNC_MARK[c.action], text, fmt_loc(c.loc)


def header(plan: Plan) -> str:
    bits = []
    if plan.tenant:
        bits.append(f"tenant {plan.tenant}")
    if plan.base_ref:
        bits.append(f"base ref {plan.base_ref}")
    if plan.config_commit:
        sha, dirty, _ = plan.config_commit.partition("-dirty")
        bits.append(f"config {sha[:12]}{'-dirty' if dirty else ''}")
    if plan.fingerprint:
        bits.append(f"live {plan.fingerprint[:12]}")
    s = plan.stats
    bits.append(f"{s.live_users} users in tenant, {s.desired_users} in config")
    bits.append(f"{s.dnc_checked} DNC number{'s' if s.dnc_checked != 1 else ''} checked")
    if s.dnc_from_git:
        bits.append(f"{s.dnc_from_git} planned from git without a check")
    return "Plan for " + ", ".join(bits)


SCOPE_NAMES = 8  # names shown per kind; the JSON plan has them all
_HOW = {
    "declared": "named in the config",
    "all": "policy.manage_{kind}s: all",
    "list": "policy.manage_{kind}s",
}


def _scope_line(
    kind: str, s: MembershipScope, desired_users: int, base_ref: str | None = None
) -> str:
    """``Roles managed (named in the config): Admin, Agent; every one for 4 of 5 users (their
    roles: list or defaults.roles); 1 by a roles: section, for every declared user``. With
    ``declared`` and a base
    ref, the names the config had at the base are in scope too, and the title says so."""
    how = _HOW[s.policy].format(kind=kind)
    if s.policy == "declared" and base_ref:
        how += f" or at base ref {base_ref}"
    title = f"{kind.capitalize()}s managed ({how})"
    if not s.names:
        return f"{title}: none (no {kind} membership is changed)"
    shown = ", ".join(s.names[:SCOPE_NAMES])
    if len(s.names) > SCOPE_NAMES:
        shown += f" and {len(s.names) - SCOPE_NAMES} more"
    line = (
        f"{title}: {shown}; every one for {s.users} of {desired_users} user"
        f"{'s' if desired_users != 1 else ''} (their {kind}s: list or defaults.{kind}s)"
    )
    if s.sections:
        line += f"; {len(s.sections)} by a {kind}s: section, for every declared user"
    return line


def scope_lines(plan: Plan) -> list[str]:
    """Which roles and teams the plan manages (nothing for a plan saved without a scope)."""
    if plan.scope is None:
        return []
    n, ref = plan.stats.desired_users, plan.base_ref
    return [
        _scope_line("role", plan.scope.roles, n, ref),
        _scope_line("team", plan.scope.teams, n, ref),
    ]


def rotation_line(plan: Plan) -> str | None:
    """What the budgeted DNC check covered (``--refresh-budget``), or None without one."""
    r = plan.stats.dnc_rotation
    if r is None:
        return None
    line = (
        f"DNC drift check (--refresh-budget {r.budget}): window {r.window} of {r.windows}, "
        f"{r.checked} of {r.declared} declared number{'s' if r.declared != 1 else ''} checked"
    )
    if r.runs_to_cycle_end == 0:
        return line + "; this run completes the cycle (every number checked once)"
    when = f" (on {r.cycle_ends_on:%Y-%m-%d} with one run a day)" if r.cycle_ends_on else ""
    runs = f"{r.runs_to_cycle_end} more run{'s' if r.runs_to_cycle_end != 1 else ''}"
    return line + f"; the cycle completes after {runs}{when}"


class _Writer:
    def __init__(self, stream: TextIO, color: bool) -> None:
        self.stream = stream
        self.color = color

    def row(self, indent: int, mark: str, text: str, loc: str = "") -> None:
        plain = f"{' ' * (2 + indent)}{mark} {text}"
        gap = " " * (LOC_COLUMN - len(plain)) if len(plain) < LOC_COLUMN else "  "
        shown = plain
        if self.color and mark in COLORS:
            shown = plain.replace(f"{mark} {text}", click.style(f"{mark} {text}", fg=COLORS[mark]))
        self.stream.write((f"{shown}{gap}{loc}" if loc else shown).rstrip() + "\n")

    def line(self, text: str = "", *, bold: bool = False, fg: str | None = None) -> None:
        if self.color and (bold or fg):
            text = click.style(text, bold=bold, fg=fg)
        self.stream.write(text + "\n")


def render_text(plan: Plan, stream: TextIO, *, color: bool = False) -> None:
    plan.resolve_locations(desired=False)
    w = _Writer(stream, color)
    w.line(header(plan))
    for line in scope_lines(plan):
        w.line(line)
    if (rotated := rotation_line(plan)) is not None:
        w.line(rotated)
    if plan.user_changes:
        w.line()
        w.line("Users:", bold=True)
        for u in plan.user_changes:
            for indent, mark, text, loc in user_lines(u):
                w.row(indent, mark, text, loc)
    if plan.dnc_changes:
        w.line()
        w.line("DNC:", bold=True)
        for c in plan.dnc_changes:
            mark, text, loc = dnc_line(c)
            w.row(0, mark, text, loc)
    if plan.warnings:
        w.line()
        w.line("Warnings:", bold=True)
        for wn in plan.warnings:
            w.line(f"  {wn}", fg="yellow")
    if plan.safety:
        w.line()
        w.line("Unsafe (apply will refuse without an explicit override):", bold=True, fg="red")
        for v in plan.safety:
            w.row(0, "!", v.message)
    w.line()
    w.line(plan.summary(), bold=True)
