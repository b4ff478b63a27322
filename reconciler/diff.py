"""DesiredState × LiveState → Plan. Pure: no I/O, no clock (``now`` is passed in).

Linear in the number of users: records are compared by dict lookup on the lower-cased e-mail,
memberships by set difference. See docs/plan.md for the rules in prose.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from reconciler import safety
from reconciler.diffdnc import DncContext, diff_dnc
from reconciler.diffnames import check_names
from reconciler.diffusers import diff_users, managed_scope, membership_scope, resolve_sources
from reconciler.errors import PlanError
from reconciler.plan import (
    Plan,
    PlanDesired,
    PlanOrigin,
    PlanScope,
    PlanStats,
    PlanWarning,
)
from reconciler.state import DesiredState, LiveState, UserStatus

ADMIN_ROLE = safety.ADMIN_ROLE


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
    origin = origin or PlanOrigin()
    errors, warnings = check_names(desired, live)
    if errors:
        raise PlanError(
            "the config names roles or teams the tenant does not have: they must be created in "
            "the platform's settings first (the API cannot create them), or fix the names in "
            "the config",
            errors,
        )
    scope = managed_scope(desired, live, base)
    sources, errors = resolve_sources(desired.users, live.users)
    if errors:
        raise PlanError(diagnostics=errors)
    user_changes, user_warnings = diff_users(
        desired, live, sources, scope, base=base, base_ref=base_ref
    )
    dnc_changes, dnc_in_sync = diff_dnc(
        DncContext(desired, base, live, now, base_ref, frozenset(from_git))
    )
    violations, safety_warnings = safety.violations(
        user_changes, dnc_changes, live, desired.policy, desired.dnc
    )
    warnings = [*warnings, *user_warnings, *(PlanWarning(message=m) for m in safety_warnings)]
    active = sum(1 for u in live.users.values() if u.status == UserStatus.ACTIVE)
    return Plan(
        tenant=origin.tenant or desired.tenant.subdomain,
        created_at=origin.created_at,
        base_ref=base_ref,
        config_commit=origin.config_commit,
        fingerprint=live.fingerprint,
        user_changes=user_changes,
        dnc_changes=dnc_changes,
        warnings=warnings,
        safety=violations,
        scope=PlanScope(
            roles=membership_scope(desired, scope, "role"),
            teams=membership_scope(desired, scope, "team"),
        ),
        stats=PlanStats(
            live_users=len(live.users),
            live_active_users=active,
            desired_users=len(desired.users),
            dnc_declared=len(desired.dnc),
            dnc_checked=len(live.dnc),
            dnc_in_sync=dnc_in_sync,
            dnc_from_git=sum(1 for c in dnc_changes if not c.checked),
            dnc_rotation=origin.dnc_rotation,
        ),
        desired=PlanDesired(
            config_paths=list(origin.config_paths),
            files=list(desired.files),
            dnc=sorted(desired.dnc.values(), key=lambda e: e.number),
        ),
    )
