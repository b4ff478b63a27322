"""DesiredState × LiveState → Plan. Pure: no I/O, no clock (``now`` is passed in).

Linear in the number of users: records are compared by dict lookup on the lower-cased e-mail,
memberships by set difference. See docs/plan.md for the rules in prose.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from reconciler import safety
from reconciler.errors import Diagnostic, PlanError
from reconciler.plan import (
    DNC_ACTION_ORDER,
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
    DesiredDnc,
    DesiredState,
    DesiredUser,
    LiveDnc,
    LiveState,
    LiveUser,
    Location,
    UserStatus,
)

ADMIN_ROLE = safety.ADMIN_ROLE


# ---- DNC expiry ------------------------------------------------------------------------------


def dnc_expired(entry: DesiredDnc, now: datetime) -> bool:
    """A declaration whose ``expires_at`` has passed is not wanted: no add, no remove, no check."""
    return entry.expires_at is not None and entry.expires_at <= now


# ---- helpers ---------------------------------------------------------------------------------


def _sec(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt.replace(microsecond=0)


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


def _suggest(name: str, known: Iterable[str]) -> str:
    known = list(known)
    for k in known:
        if k.casefold() == name.casefold():
            return f" (did you mean {k!r}?)"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---- the diff --------------------------------------------------------------------------------


class _Differ:
    def __init__(
        self,
        desired: DesiredState,
        live: LiveState,
        base: DesiredState | None,
        now: datetime,
        base_ref: str | None,
        from_git: frozenset[str] = frozenset(),
    ) -> None:
        self.desired = desired
        self.from_git = from_git
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
        self.dnc_in_sync = 0
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

    # -- names the tenant must have --

    def check_names(self) -> None:
        d = self.desired
        for kind, refs, known, member_attr in (
            ("role", d.role_refs, self.live.roles, "roles"),
            ("team", d.team_refs, self.live.teams, "teams"),
        ):
            known_set = set(known)
            missing: dict[str, Location | None] = {
                n: loc for n, loc in refs.items() if n not in known_set
            }
            for du in d.users.values():  # names on users the loader did not list in refs
                for n in getattr(du, member_attr):
                    if n not in known_set and n not in missing:
                        missing[n] = du.membership_locs.get((kind, n), du.loc)
            for n, loc in sorted(
                missing.items(), key=lambda kv: (kv[1] is None, kv[1] or Location("", 0, 0), kv[0])
            ):
                self.error(f"{kind} {n!r} does not exist in the tenant{_suggest(n, known)}", loc)
            manage = self.policy.manage_roles if kind == "role" else self.policy.manage_teams
            if isinstance(manage, frozenset):
                # A listed name the tenant lacks is in refs (the loader puts it there): an error.
                for n, loc in sorted(refs.items(), key=lambda kv: kv[1]):
                    if n in known_set and n not in manage:
                        self.warn(
                            f"{kind} {n!r} is not in policy.manage_{kind}s: the config's "
                            f"memberships of it are not applied",
                            loc,
                        )
        owner = self.policy.ownership_role
        if owner is not None:
            if owner not in set(self.live.roles):
                self.error(
                    f"policy.ownership_role {owner!r} does not exist in the tenant (create the "
                    f"role once in the portal){_suggest(owner, self.live.roles)}",
                    self.policy.ownership_role_loc,
                )
            if owner in d.role_refs:
                self.error(
                    f"role {owner!r} is policy.ownership_role: every declared user gets it, so "
                    "the config must not name it (remove it here)",
                    d.role_refs[owner],
                )
        # Locations are validated by the server; warn on names no live user has.
        live_locs = sorted({u.location for u in self.live.users.values() if u.location})
        known_locs = {name.casefold() for name in live_locs}
        seen: set[str] = set()
        for du in d.users.values():
            loc_name = du.fields.get("location")
            if isinstance(loc_name, str) and loc_name.casefold() not in known_locs:
                if loc_name.casefold() in seen:
                    continue
                seen.add(loc_name.casefold())
                self.warn(
                    f"location {loc_name!r} is not used by any user in the tenant"
                    f"{_suggest(loc_name, live_locs)}; the platform rejects it unless the "
                    "location exists",
                    du.field_locs.get("location", du.loc),
                )

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

    # -- DNC --

    def dnc(self) -> None:
        desired, base, live = self.desired.dnc, (self.base.dnc if self.base else {}), self.live.dnc
        for number in sorted(set(desired) | set(base)):
            lv: LiveDnc | None = live.get(number)
            if lv is None:
                if number in self.from_git:
                    self.dnc_from_git(number)
                continue  # not checked and not changed in git: nothing known, nothing planned
            d = desired.get(number)
            listed = lv.do_not_call
            # An entry whose expires_at has passed is no longer wanted: like state: absent.
            expired = d is not None and d.state == "present" and dnc_expired(d, self.now)
            if d is not None and d.state == "present" and not expired:
                if listed and _sec(lv.expires_at) == _sec(d.expires_at):
                    self.dnc_in_sync += 1
                    continue
                self.dnc_changes.append(
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
                self.dnc_in_sync += 1
                continue
            src, loc, reason = self._why_removed(number, d, base)
            if expired:
                reason += ", still listed"
            self.dnc_changes.append(
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
        self.dnc_changes.sort(key=lambda c: (DNC_ACTION_ORDER[c.action], c.number))

    def _why_removed(
        self, number: str, d: DesiredDnc | None, base: Mapping[str, DesiredDnc]
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

    def dnc_from_git(self, number: str) -> None:
        """Plan a number whose declaration changed since the base without a check: present →
        upsert (its answer says created or updated), otherwise → remove (harmless if unlisted)."""
        d = self.desired.dnc.get(number)
        base = self.base.dnc if self.base is not None else {}
        ref = f" {self.base_ref}" if self.base_ref else ""
        if d is not None and d.state == "present" and not dnc_expired(d, self.now):
            how = "changed" if number in base else "added"
            self.dnc_changes.append(
                DncChange(
                    action="upsert",
                    number=number,
                    raw=d.raw,
                    expires_after=d.expires_at,
                    comment=d.comment,
                    loc=_loc(d.loc),
                    reason=f"{how} since base ref{ref}",
                    checked=False,
                )
            )
            return
        src, loc, reason = self._why_removed(number, d, base)
        self.dnc_changes.append(
            DncChange(
                action="remove",
                number=number,
                raw=src.raw,
                comment=src.comment,
                loc=_loc(loc),
                reason=f"{reason}; removed if listed",
                checked=False,
            )
        )

    # -- safety --

    def check_safety(self) -> None:
        found, warnings = safety.violations(
            self.user_changes, self.dnc_changes, self.live, self.policy, self.desired.dnc
        )
        self.safety.extend(found)
        for message in warnings:
            self.warn(message)


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
    planned from their declaration alone (:meth:`_Differ.dnc_from_git`). ``origin``: what the
    plan records about where it comes from (time, commit, tenant, paths, the DNC rotation)."""
    d = _Differ(desired, live, base, now, base_ref, frozenset(from_git))
    origin = origin or PlanOrigin()
    d.check_names()
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
    d.dnc()
    d.check_safety()
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
            dnc_in_sync=d.dnc_in_sync,
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
