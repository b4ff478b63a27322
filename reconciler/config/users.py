"""The users: section (user-centric memberships) and the defaults applied to it."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from reconciler.config import fastusers, yamlio
from reconciler.config import models as m
from reconciler.config.context import Defaults, Item, LoadContext
from reconciler.state import (
    USER_FIELDS,
    DesiredUser,
    UserStatus,
)

#: Each status by its value: a lookup instead of an enum call per user.
_STATUS: dict[object, UserStatus] = {s.value: s for s in UserStatus}


def read_users(ctx: LoadContext, item: Item) -> None:
    """Validate the users of one file; defaults are applied once all files are read."""
    mentioned: set[tuple[str, str]] = set()  # (kind, name) already referenced in this section
    fast = fastusers.FastUsers.of(ctx, item)
    if fast is not None:  # a fast file: its common users read from their data
        for i in range(len(fast.data)):
            if not fast.read(i, mentioned):
                _read_user(ctx, item.file, i, fast.data[i], fast.node(i), mentioned)
        return
    for i, data, node in ctx.list_entries(
        item, message="users must be a list of users (- email: ...)"
    ):
        _read_user(ctx, item.file, i, data, node, mentioned)


def _read_user(
    ctx: LoadContext, file: str, i: int, data: Any, node: Node, mentioned: set[tuple[str, str]]
) -> None:
    """The exact path: one user validated by its model, located by its nodes."""
    users = ctx.state.users
    raw_email = data.get("email") if isinstance(data, dict) else None
    context = (
        f"user '{raw_email.strip()}'"
        if isinstance(raw_email, str) and raw_email.strip()
        else f"users[{i}]"
    )
    if isinstance(raw_email, str):
        ctx.declared.add(raw_email.strip().lower())
    model = ctx.validate(m.UserModel, data, file, node, context)
    if not isinstance(model, m.UserModel):
        # Report a bad email too, so one run shows every problem of this user.
        if isinstance(raw_email, str) and isinstance(node, MappingNode):
            ctx.email(raw_email, file, yamlio.mapping_index(node)["email"][1], context)
        return
    index = yamlio.mapping_index(node)
    email_key, email_node = index["email"]
    email = ctx.email(model.email, file, email_node, context)
    if email is None:
        return
    loc = yamlio.loc_of(file, email_key)
    if ctx.declared_twice(email, loc):
        return
    fields_set = model.model_fields_set
    given = ctx.name_list(name for name in USER_FIELDS if name in fields_set)
    fields: dict[str, Any] = {name: getattr(model, name) for name in given}
    field_locs = yamlio.key_locations(file, node, index, given)
    anode = index["agent_number"][1] if "agent_number" in fields_set else None
    if isinstance(anode, ScalarNode) and isinstance(data.get("agent_number"), int | float):
        # A string for the platform: keep an unquoted number as written (0101, 1e3).
        fields["agent_number"] = anode.value
    user = DesiredUser(
        email=email,
        fields=fields,
        loc=loc,
        field_locs=field_locs,
        email_as_written=model.email.strip(),
    )
    for kind in ("role", "team"):
        key = kind + "s"
        names: list[str] | None = getattr(model, key)
        if key not in fields_set or names is None:
            continue
        _, lnode = index[key]
        if isinstance(lnode, yamlio.LazyNode):
            # A fast file: the locations are made when read, and only the first mention of
            # a name in this section is a reference (the later ones come after it).
            if not isinstance(user.membership_locs, fastusers.MemberLocations):
                user.membership_locs = fastusers.MemberLocations()
            user.membership_locs.add_list(kind, lnode, ctx.name_list(names))
            for j, name in enumerate(names):
                if (kind, name) not in mentioned:
                    mentioned.add((kind, name))
                    ctx.ref(kind, name, fastusers.item_location(lnode, j))
        else:
            for name, nnode in zip(names, lnode.value, strict=True):
                nloc = yamlio.loc_of(file, nnode)
                user.membership_locs.setdefault((kind, name), nloc)
                ctx.ref(kind, name, nloc)
        setattr(user, key, ctx.name_set(names))
        setattr(user, key + "_managed", True)
        ctx.own_lists.add((email, kind))
    if model.renamed_from is not None:
        rkey, rnode = index["renamed_from"]
        old = ctx.email(model.renamed_from, file, rnode, context + ": renamed_from")
        if old is not None:
            ctx.rename(user, old, yamlio.loc_of(file, rkey), context)
    users[email] = user


def finish_users(ctx: LoadContext, defaults: Defaults) -> None:
    """Fill in defaults; check renames against the complete set of users."""
    dvalues, dlocs = defaults.values, defaults.locs
    users = ctx.state.users
    default_fields = [name for name in USER_FIELDS if name in dvalues]
    default_lists = [
        (kind, dvalues[kind + "s"], defaults.item_locs[kind + "s"])
        for kind in ("role", "team")
        if kind + "s" in defaults.item_locs
    ]
    for email, user in users.items():
        for name in default_fields:
            if name not in user.fields:
                user.fields[name] = dvalues[name]
                user.field_locs[name] = dlocs[name]
        for kind, names, locs in default_lists:
            if (email, kind) in ctx.own_lists:
                continue
            for name, nloc in zip(names, locs, strict=True):
                user.membership_locs.setdefault((kind, name), nloc)
            setattr(user, kind + "s", ctx.name_set(names))
            setattr(user, kind + "s_managed", True)
        if "status" in user.fields:
            status = user.fields["status"]
            user.fields["status"] = _STATUS.get(status) or UserStatus(status)
    for old, (new, rloc) in ctx.renames.items():
        if old in users:
            ctx.err(
                f"user '{new}': renamed_from '{old}', but '{old}' is also declared as a "
                f"user at {users[old].loc}",
                rloc,
            )
