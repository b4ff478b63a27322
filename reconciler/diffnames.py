"""The names check of the diff: the roles, teams and locations the config uses against the
tenant's. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.config import messages
from reconciler.errors import Diagnostic
from reconciler.plan import PlanWarning
from reconciler.state import DesiredState, LiveState, Location


def suggest(name: str, known: Iterable[str]) -> str:
    """The did-you-mean for a tenant name (stricter than for config keys: names are short)."""
    return messages.suggest(name, known, cutoff=0.7)


def _error(out: list[Diagnostic], message: str, loc: Location | None = None) -> None:
    out.append(Diagnostic(message, loc))


def _warn(out: list[PlanWarning], message: str, loc: Location | None = None) -> None:
    out.append(PlanWarning(message=message, loc=loc))


def check_names(
    desired: DesiredState, live: LiveState
) -> tuple[list[Diagnostic], list[PlanWarning]]:
    """Every role, team and location name the config uses that the tenant lacks: errors for
    roles and teams (with the YAML line and a did-you-mean), warnings for locations no user has
    and for names outside ``policy.manage_*`` lists."""
    errors: list[Diagnostic] = []
    warnings: list[PlanWarning] = []
    policy = desired.policy
    d = desired
    for kind, refs, known, member_attr in (
        ("role", d.role_refs, live.roles, "roles"),
        ("team", d.team_refs, live.teams, "teams"),
    ):
        known_set = set(known)
        missing: dict[str, Location | None] = {
            n: loc for n, loc in refs.items() if n not in known_set
        }
        used = frozenset().union(*[getattr(du, member_attr) for du in d.users.values()])
        if not used <= known_set.union(missing):  # else the users add none (the common case)
            for du in d.users.values():  # names on users the loader did not list in refs
                for n in getattr(du, member_attr):
                    if n not in known_set and n not in missing:
                        missing[n] = du.membership_locs.get((kind, n), du.loc)
        for n, loc in sorted(
            missing.items(), key=lambda kv: (kv[1] is None, kv[1] or Location("", 0, 0), kv[0])
        ):
            _error(errors, f"{kind} {n!r} does not exist in the tenant{suggest(n, known)}", loc)
        manage = policy.manage_roles if kind == "role" else policy.manage_teams
        if isinstance(manage, frozenset):
            # A listed name the tenant lacks is in refs (the loader puts it there): an error.
            for n, loc in sorted(refs.items(), key=lambda kv: kv[1]):
                if n in known_set and n not in manage:
                    _warn(
                        warnings,
                        f"{kind} {n!r} is not in policy.manage_{kind}s: the config's "
                        f"memberships of it are not applied",
                        loc,
                    )
    owner = policy.ownership_role
    if owner is not None:
        if owner not in set(live.roles):
            _error(
                errors,
                f"policy.ownership_role {owner!r} does not exist in the tenant (create the "
                f"role once in the portal){suggest(owner, live.roles)}",
                policy.ownership_role_loc,
            )
        if owner in d.role_refs:
            _error(
                errors,
                f"role {owner!r} is policy.ownership_role: every declared user gets it, so "
                "the config must not name it (remove it here)",
                d.role_refs[owner],
            )
    # Locations are validated by the server; warn on names no live user has.
    live_locs = sorted({u.location for u in live.users.values() if u.location})
    known_locs = {name.casefold() for name in live_locs}
    seen: set[str] = set()
    names = {du.fields.get("location") for du in d.users.values()}
    if all(not isinstance(n, str) or n.casefold() in known_locs for n in names):
        return errors, warnings  # no unknown location (the loop below would warn of none)
    for du in d.users.values():
        loc_name = du.fields.get("location")
        if isinstance(loc_name, str) and loc_name.casefold() not in known_locs:
            if loc_name.casefold() in seen:
                continue
            seen.add(loc_name.casefold())
            _warn(
                warnings,
                f"location {loc_name!r} is not used by any user in the tenant"
                f"{suggest(loc_name, live_locs)}; the platform rejects it unless the "
                "location exists",
                du.field_locs.get("location", du.loc),
            )
    return errors, warnings
