"""The dnc: section; numbers are normalised once the policy's default region is known."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ruamel.yaml.nodes import Node, ScalarNode

from reconciler.config import fastyaml, yamlio
from reconciler.config import models as m
from reconciler.config.context import DncEntry, Item, LoadContext
from reconciler.config.dates import parse_datetime
from reconciler.config.fastusers import item_location
from reconciler.config.fastyaml import ShadowSequence
from reconciler.config.messages import kind_of
from reconciler.errors import Diagnostic
from reconciler.phone import normalize_phone
from reconciler.state import (
    DesiredDnc,
)

NOT_A_LIST = (
    "dnc must be a list of phone numbers or {phone_number, expires_at, comment, state} entries"
)


def read_dnc(ctx: LoadContext, item: Item) -> None:
    """One file's DNC entries; numbers are normalised once the policy's region is known."""
    seq = item.value
    if isinstance(seq, ShadowSequence) and type(item.data) is list:
        # A fast file: an entry written as text (20,000 of them) is read from its value, with
        # no node and no model (DncModel takes any text as it is); any other takes the path
        # below with its shadow node.
        for i, data in enumerate(item.data):
            if type(data) is str:
                loc = item_location(seq, i)
                ctx.dnc_entries.append(DncEntry(data.strip(), loc, None, None, "present"))
            else:
                _read_entry(ctx, item.file, i, data, fastyaml.shadow(seq._p, i, data))
        return
    for i, data, node in ctx.list_entries(item, message=NOT_A_LIST):
        _read_entry(ctx, item.file, i, data, node)


def _read_entry(ctx: LoadContext, file: str, i: int, data: Any, node: Node) -> None:
    """Entry ``i`` of a dnc: list (``data``, its ``node``)."""
    context = f"dnc[{i}]"
    if isinstance(data, dict):
        if isinstance(data.get("phone_number"), str):
            context = f"dnc entry '{data['phone_number'].strip()}'"
        pnode = yamlio.mapping_index(node).get("phone_number", (None, None))[1]
        if isinstance(pnode, ScalarNode) and isinstance(data.get("phone_number"), int):
            data = {**data, "phone_number": pnode.value}  # keep '+' and zeros
        model = ctx.validate(m.DncModel, data, file, node, context)
        if not isinstance(model, m.DncModel):
            return
        entry = model
        num_node = pnode or node
    elif isinstance(data, str) or (
        isinstance(data, int | float)
        and not isinstance(data, bool)
        and isinstance(node, ScalarNode)
    ):
        raw_text = str(node.value if isinstance(node, ScalarNode) else data)
        entry = m.DncModel(phone_number=raw_text)
        num_node = node
    else:
        ctx.err(
            f"{context}: a DNC entry is a phone number or a mapping with "
            f"phone_number (got {kind_of(data)})",
            yamlio.loc_of(file, node),
        )
        return
    raw = entry.phone_number.strip()
    expires: datetime | None = None
    if entry.expires_at is not None:
        _, enode = yamlio.mapping_index(node)["expires_at"]
        try:
            expires = parse_datetime(entry.expires_at)
        except ValueError as err:
            ctx.err(f"dnc entry '{raw}': expires_at {err}", yamlio.loc_of(file, enode))
            return
    ctx.dnc_entries.append(
        DncEntry(raw, yamlio.loc_of(file, num_node), expires, entry.comment, entry.state)
    )


def finish_dnc(ctx: LoadContext) -> None:
    region = ctx.state.policy.default_region
    dnc = ctx.state.dnc
    for entry in ctx.dnc_entries:
        raw, loc, expires = entry.raw, entry.loc, entry.expires_at
        try:
            number = normalize_phone(raw, region)
        except ValueError as err:
            ctx.err(f"dnc entry '{raw}': {err}", loc)
            continue
        if number in dnc:
            ctx.err(
                f"dnc entry '{raw}': {number} is listed twice (first at {dnc[number].loc})",
                loc,
            )
            continue
        if expires is not None and expires <= ctx.now and entry.state == "present":
            ctx.warnings.append(
                Diagnostic(
                    f"DNC entry {number} expired on "
                    f"{expires.strftime('%Y-%m-%d %H:%M:%S UTC')}; remove it",
                    loc,
                    "warning",
                )
            )
        dnc[number] = DesiredDnc(
            number=number,
            raw=raw,
            state=entry.state,
            expires_at=expires,
            comment=entry.comment,
            loc=loc,
        )
