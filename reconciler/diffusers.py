"""The users part of the diff (declared users × the tenant's users → user changes), pure.
:func:`reconciler.diff.diff` calls, in order: :func:`managed_scope` (which memberships the config
manages), :func:`resolve_sources` (which tenant user each declared user is compared with),
:func:`diff_users` (the changes and their warnings). Rules in docs/plan.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from operator import attrgetter
from typing import Any

from reconciler.diffsame import Kind, MembershipMemo, SameFields
from reconciler.errors import Diagnostic
from reconciler.plan import (
    USER_ACTION_ORDER,
    FieldChange,
    MembershipChange,
    MembershipScope,
    PlanWarning,
    UserAction,
    UserChange,
)
from reconciler.state import (
    USER_FIELDS,
    DesiredState,
    DesiredUser,
    LiveState,
    LiveUser,
    Managed,
    Policy,
    UserStatus,
)

#: kind -> [(user, the unnamed memberships it keeps)] for users whose list is empty.
KeptUnnamed = dict[Kind, list[tuple[DesiredUser, list[str]]]]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _field_equal(name: str, want: Any, have: Any) -> bool:
    if name == "location":
        w = want.casefold() if isinstance(want, str) else None
        h = have.casefold() if isinstance(have, str) else None
        return w == h
    if name == "status":
        return str(_plain(want)) == str(_plain(have))
    if name == "max_chat_limit_enabled":
        return bool(want) == bool(have)
    if name == "max_chat_limit":
        return want == have
    return ("" if want is None else str(want)) == ("" if have is None else str(have))


# ---- which memberships the config manages ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ManagedScope:
    """The tenant's role (team) names whose memberships the config manages, and among them the
    groups with a ``roles:``/``teams:`` section (exact over every declared user, whatever else
    the user says)."""

    roles: frozenset[str]
    teams: frozenset[str]
    section_roles: frozenset[str]
    section_teams: frozenset[str]

    def names(self, kind: Kind) -> frozenset[str]:
        return self.roles if kind == "role" else self.teams

    def sections(self, kind: Kind) -> frozenset[str]:
        return self.section_roles if kind == "role" else self.section_teams


def _manage(policy: Policy, kind: Kind) -> Managed:
    return policy.manage_roles if kind == "role" else policy.manage_teams


def _in_scope(
    desired: DesiredState, live: LiveState, base: DesiredState | None, kind: Kind
) -> frozenset[str]:
    """``declared``: every name the config mentions (user lists, ``defaults``, sections), and
    with a base ref every name the base mentioned (so deleting the last mention of a role
    removes it from the users whose roles are managed); ``all``: every tenant name; a list:
    those names."""
    manage = _manage(desired.policy, kind)
    known = live.roles if kind == "role" else live.teams
    if manage == "all":
        return frozenset(known)
    if manage == "declared":
        refs = set(desired.role_refs if kind == "role" else desired.team_refs)
        if base is not None:
            refs |= set(base.role_refs if kind == "role" else base.team_refs)
        return frozenset(refs) & frozenset(known)
    return frozenset(manage) & frozenset(known)


def managed_scope(
    desired: DesiredState, live: LiveState, base: DesiredState | None
) -> ManagedScope:
    roles = _in_scope(desired, live, base, "role")
    teams = _in_scope(desired, live, base, "team")
    return ManagedScope(
        roles=roles,
        teams=teams,
        section_roles=roles & set(desired.role_sections),
        section_teams=teams & set(desired.team_sections),
    )


def membership_scope(desired: DesiredState, scope: ManagedScope, kind: Kind) -> MembershipScope:
    """What the plan records about the scope of one kind."""
    manage = _manage(desired.policy, kind)
    managed = attrgetter(f"{kind}s_managed")
    return MembershipScope(
        policy=manage if isinstance(manage, str) else "list",
        names=sorted(scope.names(kind)),
        users=sum(map(bool, map(managed, desired.users.values()))),
        sections=sorted(scope.sections(kind)),
    )


# ---- which live record each desired user maps to ---------------------------------------------


def resolve_sources(
    users: Mapping[str, DesiredUser], live: Mapping[str, LiveUser]
) -> tuple[dict[str, str | None], list[Diagnostic]]:
    """desired e-mail → live key it is compared with (None: create), and the impossible
    renames."""
    errors: list[Diagnostic] = []
    renaming = [du for du in users.values() if du.renamed_from]
    if not renaming:  # the common case, in one comprehension: each user is its own source
        return {e: e if e in live else None for e in [du.email for du in users.values()]}, []
    renamed_away = {du.renamed_from: du.email for du in renaming if du.renamed_from != du.email}
    sources: dict[str, str | None] = {}
    for du in users.values():
        rf = du.renamed_from if du.renamed_from != du.email else None
        if not rf:
            sources[du.email] = du.email if du.email in live else None
            continue
        # Only a rename reads the location (made on first use for a large file).
        rf_loc = du.field_locs.get("renamed_from", du.loc)
        old_live, new_live = rf in live, du.email in live
        freed = du.email in renamed_away  # the new address is itself renamed away (swap)
        if old_live and (not new_live or freed):
            sources[du.email] = rf
        elif old_live and new_live:
            errors.append(
                Diagnostic(
                    f"cannot rename {rf} to {du.email}: both exist in the tenant "
                    f"(remove renamed_from if the rename is done, or deactivate one of them)",
                    rf_loc,
                )
            )
        elif new_live and not freed:
            sources[du.email] = du.email  # already renamed: compare normally
        elif new_live:
            errors.append(
                Diagnostic(
                    f"cannot rename {rf} to {du.email}: {rf} does not exist in the tenant "
                    f"and {du.email} is itself renamed to {renamed_away[du.email]}",
                    rf_loc,
                )
            )
        else:
            errors.append(
                Diagnostic(
                    f"cannot rename {rf} to {du.email}: neither exists in the tenant "
                    f"(remove renamed_from to create {du.email})",
                    rf_loc,
                )
            )
    claimed: dict[str, str] = {}
    for email, src in sources.items():
        if src is None:
            continue
        if src in claimed:
            a, b = sorted((claimed[src], email))
            du = users[b]
            loc = du.field_locs.get("renamed_from", du.loc) or users[a].loc
            errors.append(
                Diagnostic(
                    f"tenant user {src} would become both {a} and {b} (a user cannot be "
                    "kept and renamed, or renamed twice)",
                    loc,
                )
            )
        else:
            claimed[src] = email
    return sources, errors


# ---- one declared user -----------------------------------------------------------------------


def field_changes(du: DesiredUser, lu: LiveUser | None) -> list[FieldChange]:
    out: list[FieldChange] = []
    for name in USER_FIELDS:
        if name not in du.fields:
            continue
        want = _plain(du.fields[name])
        have = None if lu is None else _plain(lu.field(name))
        if lu is not None and _field_equal(name, want, have):
            continue
        if lu is None and want is None:
            continue  # nothing to set on a new user
        out.append(
            FieldChange(field=name, before=have, after=want, loc=du.field_locs.get(name, du.loc))
        )
    return out


def membership_changes(
    du: DesiredUser, lu: LiveUser | None, kind: Kind, scope: ManagedScope, policy: Policy
) -> tuple[list[MembershipChange], list[str]]:
    """The memberships of one kind to assign or unassign, and (for ``roles: []`` under the
    ``declared`` scope) the memberships the user keeps because the config never names them."""
    want: frozenset[str] = du.roles if kind == "role" else du.teams
    have: frozenset[str] = frozenset() if lu is None else (lu.roles if kind == "role" else lu.teams)
    # The user's own key or defaults: exact over the scope; otherwise only the sections.
    whole = du.roles_managed if kind == "role" else du.teams_managed
    managed = scope.names(kind) if whole else scope.sections(kind)
    owner = policy.ownership_role if kind == "role" else None
    if owner is not None:  # every declared user holds it; the config never removes it
        want, managed = want | {owner}, managed | {owner}
    kept: list[str] = []
    if whole and not want - {owner} and _manage(policy, kind) == "declared":
        kept = sorted(have - managed)
    out = [
        MembershipChange(
            name=n,
            assign=n in want,
            loc=du.membership_locs.get((kind, n), du.loc) if n in want else du.loc,
            ownership=n == owner,
        )
        for n in (want ^ have) & managed
    ]
    out.sort(key=lambda m: m.name)
    return out, kept


def _declared_change(
    du: DesiredUser,
    lu: LiveUser | None,
    src: str | None,
    fields: list[FieldChange],
    roles: list[MembershipChange],
    teams: list[MembershipChange],
) -> UserChange:
    rename = lu is not None and src != du.email
    first = du.fields.get("first_name", lu.first_name if lu else "")
    last = du.fields.get("last_name", lu.last_name if lu else "")
    new_email: str | None
    reason: str | None
    action: UserAction
    if lu is None:
        written = du.email_as_written or du.email
        action, email, new_email, reason = "create", written, None, "not in the tenant"
    elif rename:
        action, email, new_email = "rename", lu.email_raw, du.email_as_written or du.email
        reason = f"renamed_from {lu.email}"
    else:
        status = next((f for f in fields if f.field == "status"), None)
        deact = status is not None and status.after == UserStatus.INACTIVE.value
        action = "deactivate" if deact else "update"
        email, new_email = lu.email_raw, None
        reason = "status: Inactive declared" if deact else None
        if not (fields or teams) and [r.ownership for r in roles] == [True]:
            reason = f"ownership role {roles[0].name!r} (policy.ownership_role)"
    return UserChange(
        action=action,
        email=email,
        new_email=new_email,
        first_name=str(first),
        last_name=str(last),
        fields=fields,
        roles=roles,
        teams=teams,
        loc=du.loc,
        reason=reason,
    )


# ---- all users -------------------------------------------------------------------------------


def _declared_changes(
    desired: DesiredState,
    live: LiveState,
    sources: Mapping[str, str | None],
    scope: ManagedScope,
) -> tuple[list[UserChange], list[PlanWarning], KeptUnnamed]:
    """The changes to declared users (protected ones warned about instead)."""
    policy = desired.policy
    changes: list[UserChange] = []
    warnings: list[PlanWarning] = []
    kept_unnamed: KeptUnnamed = {"role": [], "team": []}
    same_fields = SameFields()
    memberships = MembershipMemo(
        lambda du, lu, kind: membership_changes(du, lu, kind, scope, policy)
    )
    source, live_user = sources.get, live.users.get
    kept_roles_of, kept_teams_of = kept_unnamed["role"], kept_unnamed["team"]
    for du in desired.users.values():
        src = source(du.email)
        lu = live_user(src) if src else None
        fields = [] if lu is not None and same_fields(du, lu) else field_changes(du, lu)
        (roles, kept_roles), (teams, kept_teams) = memberships.both(du, lu)
        if kept_roles:
            kept_roles_of.append((du, kept_roles))
        if kept_teams:
            kept_teams_of.append((du, kept_teams))
        rename = lu is not None and src != du.email
        if not (fields or roles or teams or rename):
            continue
        if du.email in policy.protected_users or (
            src is not None and src in policy.protected_users
        ):
            warnings.append(
                PlanWarning(
                    message=f"{du.email} is a protected user (policy.protected_users): the "
                    "config would change it; left unchanged",
                    loc=du.loc,
                )
            )
            continue
        changes.append(_declared_change(du, lu, src, fields, roles, teams))
    return changes, warnings, kept_unnamed


def _offboarding(
    desired: DesiredState,
    live: LiveState,
    sources: Mapping[str, str | None],
    base: DesiredState | None,
    base_ref: str | None,
) -> tuple[list[UserChange], list[PlanWarning]]:
    """The active tenant users no declared user claims that the config deactivates: deleted
    since the base, owned (``policy.ownership_role``) or unmanaged under ``deactivate``."""
    policy = desired.policy
    changes: list[UserChange] = []
    warnings: list[PlanWarning] = []
    claimed = {s for s in sources.values() if s}
    base_users = base.users if base is not None else {}
    # A base user whose rename never reached the tenant is still known by its old email.
    base_by_old = {u.renamed_from: u for u in base_users.values() if u.renamed_from}
    unclaimed_active = 0
    owner = policy.ownership_role
    for key, lu in live.users.items():
        if key in claimed or lu.status != UserStatus.ACTIVE:
            continue
        if owner is not None and owner not in lu.roles:
            continue  # not owned by this config: never touched, whatever else says
        base_user = base_users.get(key) or base_by_old.get(key)
        if base_user is not None:
            bl = base_user.loc
            ref = f" {base_ref}" if base_ref else ""
            reason = f"deleted from config since base ref{ref}" + (f" (was at {bl})" if bl else "")
        elif owner is not None:
            reason = f"holds the ownership role {owner!r} and is not in the config"
        elif policy.unmanaged_users == "deactivate":
            reason = "unmanaged user (policy.unmanaged_users: deactivate)"
        else:
            unclaimed_active += 1
            continue
        if key in policy.protected_users:
            warnings.append(
                PlanWarning(
                    message=f"{lu.email_raw} is a protected user: would be {reason}; left unchanged"
                )
            )
            continue
        changes.append(
            UserChange(
                action="deactivate",
                email=lu.email_raw,
                first_name=lu.first_name,
                last_name=lu.last_name,
                fields=[
                    FieldChange(
                        field="status",
                        before=UserStatus.ACTIVE.value,
                        after=UserStatus.INACTIVE.value,
                    )
                ],
                reason=reason,
            )
        )
    if base is None and unclaimed_active:
        n = unclaimed_active
        warnings.append(
            PlanWarning(
                message=f"no --base-ref: users deleted from the config cannot be told apart "
                f"from users never in it; {n} active tenant user{'s' if n != 1 else ''} not in "
                f"the config {'are' if n != 1 else 'is'} left unchanged (pass --base-ref to "
                "offboard users whose YAML was deleted)"
            )
        )
    return changes, warnings


def _kept_unnamed_warnings(kept_unnamed: KeptUnnamed, policy: Policy) -> list[PlanWarning]:
    """``roles: []`` reads as "no roles"; with ``declared`` it removes only named roles, so say
    which users keep which (one warning per kind, the first few users named)."""
    warnings: list[PlanWarning] = []
    for kind, found in kept_unnamed.items():
        found = [f for f in found if f[0].email not in policy.protected_users]
        if not found:
            continue
        found.sort(key=lambda f: f[0].email)
        n = len(found)
        shown = ", ".join(f"{du.email} ({', '.join(names)})" for du, names in found[:3])
        if n > 3:
            shown += f" and {n - 3} more"
        warnings.append(
            PlanWarning(
                message=f"{n} user{'s' if n != 1 else ''} with {kind}s: [] "
                f"keep{'' if n != 1 else 's'} {kind}s the config does not name "
                f"(policy.manage_{kind}s: declared manages only the {kind}s the config names): "
                f"{shown}; name them in the config or set policy.manage_{kind}s: all to remove "
                "them",
                loc=found[0][0].loc,
            )
        )
    return warnings


def diff_users(
    desired: DesiredState,
    live: LiveState,
    sources: Mapping[str, str | None],
    scope: ManagedScope,
    *,
    base: DesiredState | None,
    base_ref: str | None,
) -> tuple[list[UserChange], list[PlanWarning]]:
    """The user changes (sorted by action, then e-mail) and their warnings, in that order:
    protected declared users, protected or uncounted tenant users, kept unnamed memberships."""
    declared, warnings, kept_unnamed = _declared_changes(desired, live, sources, scope)
    offboarded, off_warnings = _offboarding(desired, live, sources, base, base_ref)
    changes = declared + offboarded
    changes.sort(key=lambda u: (USER_ACTION_ORDER[u.action], u.key))
    return changes, warnings + off_warnings + _kept_unnamed_warnings(kept_unnamed, desired.policy)
