"""The small sections: version, tenant, policy, defaults."""

from __future__ import annotations

from typing import Any

from reconciler.config import models as m
from reconciler.config import yamlio
from reconciler.config.context import Defaults, LoadContext
from reconciler.config.messages import show
from reconciler.phone import is_supported_region
from reconciler.state import (
    DEFAULT_MAX_DEACTIVATIONS,
    DEFAULT_MAX_DNC_REMOVALS,
    DEFAULT_MAX_FIELD_CLEARS,
    DEFAULT_MAX_ROLE_REMOVALS,
    DEFAULT_MAX_TEAM_REMOVALS,
    Location,
    Policy,
    Tenant,
    Threshold,
)


def read_tenant(ctx: LoadContext) -> None:
    item = ctx.single("tenant")
    if item is None or item.data is None:
        return
    model = ctx.validate(m.TenantModel, item.data, item.file, item.value, "tenant")
    if isinstance(model, m.TenantModel):
        ctx.state.tenant = Tenant(
            subdomain=model.subdomain,
            domain=model.domain.lower() if model.domain else None,
            loc=yamlio.loc_of(item.file, item.key),
        )


def read_policy(ctx: LoadContext) -> None:
    item = ctx.single("policy")
    if item is None or item.data is None:
        return
    model = ctx.validate(m.PolicyModel, item.data, item.file, item.value, "policy")
    if not isinstance(model, m.PolicyModel):
        return
    file, node = item.file, item.value

    def at(key: str) -> Location:
        _, vnode = yamlio.child(node, key)
        return yamlio.loc_of(file, vnode if vnode is not None else node)

    def threshold(key: str, default: Threshold) -> Threshold:
        value = getattr(model, key)
        if value is None:
            return default
        try:
            return Threshold.parse(value, floor=default.floor)
        except ValueError as err:
            ctx.err(f"policy: {key} {err}", at(key))
            return default

    def managed(key: str, kind: str) -> Any:
        value = getattr(model, key)
        if value in ("declared", "all"):
            return value
        if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            _, lnode = yamlio.child(node, key)
            for i, name in enumerate(value):
                _, vnode = yamlio.child(lnode, i) if lnode is not None else (None, None)
                ctx.ref(kind, name, yamlio.loc_of(file, vnode or node))
            return frozenset(value)
        ctx.err(
            f"policy: {key} must be 'declared', 'all' or a list of {kind} names "
            f"(got {show(value)})",
            at(key),
        )
        return "declared"

    region = model.default_region.strip().upper()
    if not is_supported_region(region):
        ctx.err(
            f"policy: default_region '{model.default_region}' is not a region code "
            "such as 'US' or 'GB'",
            at("default_region"),
        )
        region = "US"
    protected: set[str] = set()
    _, pnode = yamlio.child(node, "protected_users")
    for i, raw in enumerate(model.protected_users):
        _, vnode = yamlio.child(pnode, i) if pnode is not None else (None, None)
        email = ctx.email(raw, item.file, vnode or node, "policy: protected_users")
        if email:
            protected.add(email)
    policy = Policy(
        unmanaged_users=model.unmanaged_users,
        manage_roles=managed("manage_roles", "role"),
        manage_teams=managed("manage_teams", "team"),
        default_region=region,
        max_deactivations=threshold("max_deactivations", DEFAULT_MAX_DEACTIVATIONS),
        max_dnc_removals=threshold("max_dnc_removals", DEFAULT_MAX_DNC_REMOVALS),
        max_role_removals=threshold("max_role_removals", DEFAULT_MAX_ROLE_REMOVALS),
        max_team_removals=threshold("max_team_removals", DEFAULT_MAX_TEAM_REMOVALS),
        max_field_clears=threshold("max_field_clears", DEFAULT_MAX_FIELD_CLEARS),
        protected_users=frozenset(protected),
        ownership_role=model.ownership_role,
        ownership_role_loc=at("ownership_role") if model.ownership_role else None,
    )
    ctx.state.policy = policy


def read_defaults(ctx: LoadContext) -> Defaults:
    """The defaults section: values, where each is set, where each list item is."""
    item = ctx.single("defaults")
    if item is None or item.data is None:
        return Defaults()
    hint = f" (defaults may set: {', '.join(m.DEFAULT_FIELDS)})"
    model = ctx.validate(
        m.DefaultsModel, item.data, item.file, item.value, "defaults", allowed_hint=hint
    )
    if not isinstance(model, m.DefaultsModel):
        return Defaults()
    found = Defaults()
    index = yamlio.mapping_index(item.value)
    for key in model.model_fields_set:
        found.values[key] = getattr(model, key)
        found.locs[key] = yamlio.loc_of(item.file, index[key][0])
    for kind in ("role", "team"):
        names = found.values.get(kind + "s")
        if names is not None:
            locs = [yamlio.loc_of(item.file, n) for n in index[kind + "s"][1].value]
            found.item_locs[kind + "s"] = locs
            for name, loc in zip(names, locs, strict=True):
                ctx.ref(kind, name, loc)
    return found
