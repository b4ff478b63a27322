"""DesiredState × LiveState → Plan. Pure: no I/O, no clock (``now`` is passed in).

Linear in the number of users: records are compared by dict lookup on the lower-cased e-mail,
memberships by set difference. See docs/plan.md for the rules in prose.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from reconciler import safety
from reconciler.diffdnc import DncContext, diff_dnc
from reconciler.diffnames import check_names
from reconciler.errors import Diagnostic, PlanError
from reconciler.plan import (
    USER_ACTION_ORDER,
    DncChange,
    DncEntry,
    FieldChange,
    MembershipChange,
    MembershipScope,
    Plan,
    PlanDesired,
    PlanOrigin,
    PlanScope,
    PlanStats,
    PlanWarning,
    SafetyViolation,
    SourceLoc,
    UserAction,
    UserChange,
)
from reconciler.state import (
    USER_FIELDS,
    DesiredState,
    DesiredUser,
    LiveState,
    LiveUser,
    Location,
    UserStatus,
)

ADMIN_ROLE = safety.ADMIN_ROLE


# ---- helpers ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _loc(loc: Location | None) -> SourceLoc | None:
    return SourceLoc.of(loc)


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


# ---- the diff --------------------------------------------------------------------------------


class _Differ:
    def __init__(
        self,
        desired: DesiredState,
        live: LiveState,
        base: DesiredState | None,
        now: datetime,
        base_ref: str | None,
    ) -> None:
        self.desired = desired
        self.live = live
        self.base = base
        self.now = now
        self.base_ref = base_ref
        self.policy = desired.policy
        self.errors: list[Diagnostic] = []
        self.warnings: list[PlanWarning] = []
        self.user_changes: list[UserChange] = []
        self.dnc_changes: list[DncChange] = []
        self.safety: list[SafetyViolation] = []
        self.scope_roles = self.in_scope("role")
        self.scope_teams = self.in_scope("team")
        # Groups with a section: exact over every declared user, whatever else the user says.
        self.section_roles = self.scope_roles & set(desired.role_sections)
        self.section_teams = self.scope_teams & set(desired.team_sections)
        # kind -> [(user, the unnamed memberships it keeps)] for users whose list is empty.
        self.kept_unnamed: dict[str, list[tuple[DesiredUser, list[str]]]] = {"role": [], "team": []}

    def error(self, message: str, loc: Location | None = None) -> None:
        self.errors.append(Diagnostic(message, loc))

    def in_scope(self, kind: Literal["role", "team"]) -> frozenset[str]:
        """The tenant's role (team) names whose memberships the config manages.

        ``declared``: every name the config mentions (user lists, ``defaults``, sections), and
        with a base ref every name the base mentioned (so deleting the last mention of a role
        removes it from the users whose roles are managed); ``all``: every tenant name; a list:
        those names."""
        manage = self.policy.manage_roles if kind == "role" else self.policy.manage_teams
        known = self.live.roles if kind == "role" else self.live.teams
        if manage == "all":
            return frozenset(known)
        if manage == "declared":
            refs = set(self.desired.role_refs if kind == "role" else self.desired.team_refs)
            if self.base is not None:
                refs |= set(self.base.role_refs if kind == "role" else self.base.team_refs)
            return frozenset(refs) & frozenset(known)
        return frozenset(manage) & frozenset(known)

    def scope(self, kind: Literal["role", "team"]) -> MembershipScope:
        manage = self.policy.manage_roles if kind == "role" else self.policy.manage_teams
        names = self.scope_roles if kind == "role" else self.scope_teams
        sections = self.section_roles if kind == "role" else self.section_teams
        attr = f"{kind}s_managed"
        return MembershipScope(
            policy=manage if isinstance(manage, str) else "list",
            names=sorted(names),
            users=sum(1 for du in self.desired.users.values() if getattr(du, attr)),
            sections=sorted(sections),
        )

    def warn(self, message: str, loc: Location | None = None) -> None:
        self.warnings.append(PlanWarning(message=message, loc=_loc(loc)))

    # -- which live record each desired user maps to --

    def resolve_sources(self) -> dict[str, str | None]:
        """desired e-mail → live key it is compared with (None: create)."""
        users = self.desired.users
        live = self.live.users
        renamed_away = {
            du.renamed_from: du.email
            for du in users.values()
            if du.renamed_from and du.renamed_from != du.email
        }
        sources: dict[str, str | None] = {}
        for du in users.values():
            rf = du.renamed_from if du.renamed_from != du.email else None
            rf_loc = du.field_locs.get("renamed_from", du.loc)
            if not rf:
                sources[du.email] = du.email if du.email in live else None
                continue
            old_live, new_live = rf in live, du.email in live
            freed = du.email in renamed_away  # the new address is itself renamed away (swap)
            if old_live and (not new_live or freed):
                sources[du.email] = rf
            elif old_live and new_live:
                self.error(
                    f"cannot rename {rf} to {du.email}: both exist in the tenant "
                    f"(remove renamed_from if the rename is done, or deactivate one of them)",
                    rf_loc,
                )
            elif new_live and not freed:
                sources[du.email] = du.email  # already renamed: compare normally
            elif new_live:
                self.error(
                    f"cannot rename {rf} to {du.email}: {rf} does not exist in the tenant "
                    f"and {du.email} is itself renamed to {renamed_away[du.email]}",
                    rf_loc,
                )
            else:
                self.error(
                    f"cannot rename {rf} to {du.email}: neither exists in the tenant "
                    f"(remove renamed_from to create {du.email})",
                    rf_loc,
                )
        claimed: dict[str, str] = {}
        for email, src in sources.items():
            if src is None:
                continue
            if src in claimed:
                a, b = sorted((claimed[src], email))
                du = users[b]
                loc = du.field_locs.get("renamed_from", du.loc) or users[a].loc
                self.error(
                    f"tenant user {src} would become both {a} and {b} (a user cannot be "
                    "kept and renamed, or renamed twice)",
                    loc,
                )
            else:
                claimed[src] = email
        return sources

    # -- users --

    def field_changes(self, du: DesiredUser, lu: LiveUser | None) -> list[FieldChange]:
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
                FieldChange(
                    field=name, before=have, after=want, loc=_loc(du.field_locs.get(name, du.loc))
                )
            )
        return out

    def membership_changes(
        self, du: DesiredUser, lu: LiveUser | None, kind: Literal["role", "team"]
    ) -> list[MembershipChange]:
        want: frozenset[str] = du.roles if kind == "role" else du.teams
        have: frozenset[str] = (
            frozenset() if lu is None else (lu.roles if kind == "role" else lu.teams)
        )
        # The user's own key or defaults: exact over the scope; otherwise only the sections.
        whole = du.roles_managed if kind == "role" else du.teams_managed
        if whole:
            managed = self.scope_roles if kind == "role" else self.scope_teams
        else:
            managed = self.section_roles if kind == "role" else self.section_teams
        owner = self.policy.ownership_role if kind == "role" else None
        if owner is not None:  # every declared user holds it; the config never removes it
            want, managed = want | {owner}, managed | {owner}
        manage = self.policy.manage_roles if kind == "role" else self.policy.manage_teams
        # `roles: []` that keeps roles the config never names (declared scope): warned later.
        if (
            whole
            and not want - {owner}
            and manage == "declared"
            and (kept := sorted(have - managed))
        ):
            self.kept_unnamed[kind].append((du, kept))
        out = [
            MembershipChange(
                name=n,
                assign=n in want,
                loc=_loc(du.membership_locs.get((kind, n), du.loc)) if n in want else _loc(du.loc),
                ownership=n == owner,
            )
            for n in (want ^ have) & managed
        ]
        out.sort(key=lambda m: m.name)
        return out

    def users(self) -> None:
        policy = self.policy
        live = self.live.users
        sources = self.resolve_sources()
        if self.errors:
            return
        protected = policy.protected_users
        for du in self.desired.users.values():
            src = sources.get(du.email)
            lu = live.get(src) if src else None
            fields = self.field_changes(du, lu)
            roles = self.membership_changes(du, lu, "role")
            teams = self.membership_changes(du, lu, "team")
            rename = lu is not None and src != du.email
            if not (fields or roles or teams or rename):
                continue
            if du.email in protected or (src is not None and src in protected):
                self.warn(
                    f"{du.email} is a protected user (policy.protected_users): the config would "
                    "change it; left unchanged",
                    du.loc,
                )
                continue
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
            self.user_changes.append(
                UserChange(
                    action=action,
                    email=email,
                    new_email=new_email,
                    first_name=str(first),
                    last_name=str(last),
                    fields=fields,
                    roles=roles,
                    teams=teams,
                    loc=_loc(du.loc),
                    reason=reason,
                )
            )
        claimed = {s for s in sources.values() if s}
        base_users = self.base.users if self.base is not None else {}
        # A base user whose rename never reached the tenant is still known by its old email.
        base_by_old = {u.renamed_from: u for u in base_users.values() if u.renamed_from}
        unclaimed_active = 0
        owner = policy.ownership_role
        for key, lu in live.items():
            if key in claimed or lu.status != UserStatus.ACTIVE:
                continue
            if owner is not None and owner not in lu.roles:
                continue  # not owned by this config: never touched, whatever else says
            base_user = base_users.get(key) or base_by_old.get(key)
            if base_user is not None:
                bl = base_user.loc
                ref = f" {self.base_ref}" if self.base_ref else ""
                reason = f"deleted from config since base ref{ref}" + (
                    f" (was at {bl})" if bl else ""
                )
            elif owner is not None:
                reason = f"holds the ownership role {owner!r} and is not in the config"
            elif policy.unmanaged_users == "deactivate":
                reason = "unmanaged user (policy.unmanaged_users: deactivate)"
            else:
                unclaimed_active += 1
                continue
            if key in protected:
                self.warn(f"{lu.email_raw} is a protected user: would be {reason}; left unchanged")
                continue
            self.user_changes.append(
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
        if self.base is None and unclaimed_active:
            n = unclaimed_active
            self.warn(
                f"no --base-ref: users deleted from the config cannot be told apart from users "
                f"never in it; {n} active tenant user{'s' if n != 1 else ''} not in the config "
                f"{'are' if n != 1 else 'is'} left unchanged (pass --base-ref to offboard users "
                "whose YAML was deleted)"
            )
        self.user_changes.sort(key=lambda u: (USER_ACTION_ORDER[u.action], u.key))
        self.warn_kept_unnamed()

    def warn_kept_unnamed(self) -> None:
        """``roles: []`` reads as "no roles"; with ``declared`` it removes only named roles, so
        say which users keep which (one warning per kind, the first few users named)."""
        protected = self.policy.protected_users
        for kind, found in self.kept_unnamed.items():
            found = [f for f in found if f[0].email not in protected]
            if not found:
                continue
            found.sort(key=lambda f: f[0].email)
            n = len(found)
            shown = ", ".join(f"{du.email} ({', '.join(names)})" for du, names in found[:3])
            if n > 3:
                shown += f" and {n - 3} more"
            self.warn(
                f"{n} user{'s' if n != 1 else ''} with {kind}s: [] keep{'' if n != 1 else 's'} "
                f"{kind}s the config does not name (policy.manage_{kind}s: declared manages only "
                f"the {kind}s the config names): {shown}; name them in the config or set "
                f"policy.manage_{kind}s: all to remove them",
                found[0][0].loc,
            )


def diff(
    desired: DesiredState,
    live: LiveState,
    *,
    base: DesiredState | None = None,
    now: datetime,
    base_ref: str | None = None,
    from_git: Iterable[str] = (),
    origin: PlanOrigin | None = None,
) -> Plan:
    """Compare the config with the tenant. Raises :class:`PlanError` for names the tenant lacks
    and impossible renames (all of them, with YAML locations).

    ``from_git``: numbers changed since the base that were not checked (refresh mode "git"):
    planned from their declaration alone (:func:`reconciler.diffdnc.diff_dnc`). ``origin``: what the
    plan records about where it comes from (time, commit, tenant, paths, the DNC rotation)."""
    d = _Differ(desired, live, base, now, base_ref)
    origin = origin or PlanOrigin()
    errors, warnings = check_names(desired, live)
    d.errors.extend(errors)
    d.warnings.extend(warnings)
    if d.errors:
        raise PlanError(
            "the config names roles or teams the tenant does not have: they must be created in "
            "the platform's settings first (the API cannot create them), or fix the names in "
            "the config",
            d.errors,
        )
    d.users()
    if d.errors:
        raise PlanError(diagnostics=d.errors)
    dnc_changes, dnc_in_sync = diff_dnc(
        DncContext(desired, base, live, now, base_ref, frozenset(from_git))
    )
    d.dnc_changes = dnc_changes
    found, safety_warnings = safety.violations(
        d.user_changes, d.dnc_changes, live, desired.policy, desired.dnc
    )
    d.safety.extend(found)
    for message in safety_warnings:
        d.warn(message)
    active = sum(1 for u in live.users.values() if u.status == UserStatus.ACTIVE)
    return Plan(
        tenant=origin.tenant or desired.tenant.subdomain,
        created_at=origin.created_at,
        base_ref=base_ref,
        config_commit=origin.config_commit,
        fingerprint=live.fingerprint,
        user_changes=d.user_changes,
        dnc_changes=d.dnc_changes,
        warnings=d.warnings,
        safety=d.safety,
        scope=PlanScope(roles=d.scope("role"), teams=d.scope("team")),
        stats=PlanStats(
            live_users=len(live.users),
            live_active_users=active,
            desired_users=len(desired.users),
            dnc_declared=len(desired.dnc),
            dnc_checked=len(live.dnc),
            dnc_in_sync=dnc_in_sync,
            dnc_from_git=sum(1 for c in d.dnc_changes if not c.checked),
            dnc_rotation=origin.dnc_rotation,
        ),
        desired=PlanDesired(
            config_paths=list(origin.config_paths),
            files=list(desired.files),
            dnc=[
                DncEntry(
                    number=e.number,
                    raw=e.raw,
                    state=e.state,
                    expires_at=e.expires_at,
                    comment=e.comment,
                    loc=_loc(e.loc),
                )
                for e in sorted(desired.dnc.values(), key=lambda e: e.number)
            ],
        ),
    )
