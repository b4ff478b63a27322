"""The roles: and teams: sections (group-centric memberships)."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from reconciler.config import yamlio
from reconciler.config.context import Group, Item, LoadContext
from reconciler.config.fastusers import item_location
from reconciler.config.fastyaml import ShadowSequence
from reconciler.config.messages import kind_of, show, suggest_email
from reconciler.state import (
    Location,
)


def read_groups(ctx: LoadContext, item: Item, section: str, kind: str) -> None:
    """One file's ``roles:`` / ``teams:``: NAME: {members: [...]} or NAME: [...]."""
    if item.data is None:
        return
    if not isinstance(item.data, dict) or not isinstance(item.value, MappingNode):
        ctx.err(
            f"{section} must be a mapping of {kind} names to members "
            f"(NAME: {{members: [emails]}}), not {kind_of(item.data)}",
            yamlio.loc_of(item.file, item.value),
        )
        return
    file = item.file
    index = yamlio.mapping_index(item.value)
    for name, data in item.data.items():
        knode, vnode = index[name]
        loc = yamlio.loc_of(file, knode)
        if not name.strip():
            ctx.err(f"{section}: a {kind} name must not be empty", loc)
            continue
        context = f"{kind} '{name}'"
        raw_members, seq = _members(ctx, data, file, vnode, context, loc)
        members: list[tuple[str, Location]] = []
        seen: dict[str, Location] = {}
        for j, raw in enumerate(raw_members):
            mloc = _item_loc(file, seq, j)
            if raw is yamlio.BAD:
                continue
            if not isinstance(raw, str) or not raw.strip():
                ctx.err(f"{context}: a member must be an email address (got {show(raw)})", mloc)
                continue
            email = ctx.email(raw, file, mloc, f"{context}: member")
            if email is None:
                continue
            if email in seen:
                ctx.err(
                    f"{context}: member '{email}' is listed twice (first at {seen[email]})",
                    mloc,
                )
                continue
            seen[email] = mloc
            members.append((email, mloc))
        ctx.groups.append(Group(kind, name, loc, members))


def finish_groups(ctx: LoadContext) -> None:
    """Add the group-centric memberships to the users (all users are known now)."""
    first_seen: dict[tuple[str, str], Location] = {}
    users = ctx.state.users
    grown: dict[tuple[frozenset[str], str], frozenset[str]] = {}  # (set, name) -> set | {name}
    for group in ctx.groups:
        kind, name = group.kind, group.name
        if (kind, name) in first_seen:
            ctx.err(
                f"{kind} '{name}' is declared twice (first at {first_seen[kind, name]})",
                group.loc,
            )
            continue
        first_seen[kind, name] = group.loc
        ctx.ref(kind, name, group.loc)
        sections = ctx.state.role_sections if kind == "role" else ctx.state.team_sections
        sections[name] = group.loc
        attr, key = kind + "s", (kind, name)
        for email, mloc in group.members:
            user = users.get(email)
            if user is None:
                if email in ctx.renames:
                    new, rloc = ctx.renames[email]
                    ctx.err(
                        f"{kind} '{name}': member '{email}' was renamed to '{new}' (at "
                        f"{rloc}); list the new email",
                        mloc,
                    )
                elif email not in ctx.declared:
                    hint = ctx.suggest(email, ctx.declared, suggest_email)
                    ctx.err(
                        f"{kind} '{name}': member '{email}' is not a user declared in the "
                        f"config{hint}",
                        mloc,
                    )
                continue
            have = getattr(user, attr)
            now = grown.get((have, name))
            if now is None:  # users share their sets: each grown by a name once
                now = grown[have, name] = ctx.name_set(have | {name})
            setattr(user, attr, now)
            user.membership_locs.setdefault(key, mloc)


def _item_loc(file: str, seq: SequenceNode | None, index: int) -> Location:
    """The location of member ``index`` (a fast file's without making its node: 70,000
    members)."""
    assert seq is not None
    if isinstance(seq, ShadowSequence):
        return item_location(seq, index)
    return yamlio.loc_of(file, seq.value[index])


def _members(
    ctx: LoadContext, data: Any, file: str, vnode: Node, context: str, key_loc: Location
) -> tuple[list[Any], SequenceNode | None]:
    """The member values and their sequence node of a role/team declaration (both forms)."""
    if data is None:
        # A section says who is in the group and removes everyone else: a key left empty
        # (list items deleted, a value forgotten) must not silently mean "nobody".
        ctx.err(
            f"{context} has no members list: write [] for a {context.split()[0]} with no "
            "members (every declared user in it is removed), or delete the entry to leave "
            "its memberships unmanaged",
            key_loc,
        )
        return [], None
    if isinstance(data, list) and isinstance(vnode, SequenceNode):
        return data, vnode
    if not isinstance(data, dict):
        ctx.err(
            f"{context} must be a list of member emails or {{members: [emails]}} "
            f"(got {kind_of(data)})",
            yamlio.loc_of(file, vnode),
        )
        return [], None
    index = yamlio.mapping_index(vnode)
    unknown = [key for key in data if key != "members"]
    for key in unknown:
        ctx.err(
            f"{context}: unknown field '{key}' (a {context.split()[0]} has only 'members')",
            yamlio.loc_of(file, index[key][0]),
        )
    if unknown and "members" not in data:
        return [], None
    if "members" not in data:
        ctx.err(f"{context}: missing required field 'members'", yamlio.loc_of(file, vnode))
        return [], None
    members = data["members"]
    mnode = index["members"][1]
    if members is None:
        ctx.err(
            f"{context}: members is empty: write members: [] for a {context.split()[0]} "
            "with no members (every declared user in it is removed), or delete the entry "
            "to leave its memberships unmanaged",
            yamlio.loc_of(file, index["members"][0]),
        )
        return [], None
    if not isinstance(members, list) or not isinstance(mnode, SequenceNode):
        ctx.err(
            f"{context}: members must be a list of emails (got {kind_of(members)})",
            yamlio.loc_of(file, mnode),
        )
        return [], None
    return members, mnode
