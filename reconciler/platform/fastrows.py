"""The fast path for template rows: the same result (or error) as
``TemplateRow.model_validate``, without pydantic's per-field machinery for the common row.

Two entry points: :func:`template_row` for a row already parsed into Python values, and
:func:`template_row_json` for a row's raw JSON bytes (what the client gets from
:func:`~reconciler.platform.decode.decode_items`). The second decodes the common row with
msgspec into a struct whose role and team lists stay raw bytes: a tenant's users share a few
membership lists (the same roles and teams in the same column order), so each distinct list is
parsed and normalised once (:data:`_MEMBER_LISTS`), not 50,000 times.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgspec
from msgspec import UNSET

from reconciler.platform.models import (
    Membership,
    TemplateRow,
    _is_null,
    _membership_value,
    _to_bool_or_none,
)
from reconciler.state import UserStatus

_ROW_FIELDS = frozenset(TemplateRow.model_fields)
_STATUSES = {s.value.lower(): s for s in UserStatus}
_MEMBERSHIPS: dict[tuple[Any, Any], Membership] = {}  # (name, value) -> its Membership
_MEMBERSHIP_CACHE_MAX = 100_000
# A membership list's raw JSON -> its Memberships (None: not the common shape).
_MEMBER_LISTS: dict[bytes, list[Membership] | None] = {}
_MEMBER_LISTS_MAX = 10_000


class _WireRow(msgspec.Struct, forbid_unknown_fields=True):
    """A template row as msgspec decodes it: each field as it was in the JSON (``UNSET`` when
    absent), the role and team lists as raw bytes (empty when absent). A row with any other
    key fails to decode and takes the exact path."""

    email: Any = UNSET
    new_email: Any = UNSET
    agent_number: Any = UNSET
    first_name: Any = UNSET
    last_name: Any = UNSET
    status: Any = UNSET
    location: Any = UNSET
    max_chat_limit: Any = UNSET
    max_chat_limit_enabled: Any = UNSET
    roles: msgspec.Raw = msgspec.Raw()
    teams: msgspec.Raw = msgspec.Raw()


_WIRE = msgspec.json.Decoder(_WireRow)
_SCALARS = tuple(f for f in _WireRow.__struct_fields__ if f not in ("roles", "teams"))


def template_row(item: Any) -> TemplateRow:
    """One template row, exactly as ``TemplateRow.model_validate(item)`` would give it.

    The common row (the JSON types the reference documents) is normalised here by the same
    rules as the validators above, without pydantic's per-field machinery: a large template
    has 50,000 rows of 50 memberships each. Anything this path does not recognise is left to
    ``model_validate``, so an odd or bad row gets exactly the validators' result or error.
    Memberships are immutable and shared between rows (one per name and value).
    """
    row = _fast_row(item)
    return row if row is not None else TemplateRow.model_validate(item)


def template_row_json(raw: bytes | msgspec.Raw) -> TemplateRow:
    """One template row from its JSON bytes, exactly as ``TemplateRow.model_validate`` would
    give it for ``json.loads(raw)`` (anything but the common row is decoded that way)."""
    try:
        wire = _WIRE.decode(raw)
    except msgspec.DecodeError:  # another key, a number out of range, ...: the exact path
        return template_row(json.loads(bytes(raw)))
    item: dict[str, Any] = {}
    for name in _SCALARS:
        value = getattr(wire, name)
        if value is not UNSET:
            item[name] = value
    for name in ("roles", "teams"):
        members = bytes(getattr(wire, name))
        if members:
            item[name] = members
    row = _fast_row(item, _raw_members)
    return row if row is not None else template_row(json.loads(bytes(raw)))


def _raw_members(raw: Any) -> list[Membership] | None:
    """The Memberships of one raw JSON list (a fresh list; the Memberships are shared)."""
    try:
        members = _MEMBER_LISTS[raw]
    except KeyError:
        members = _fast_members(json.loads(raw))
        if len(_MEMBER_LISTS) < _MEMBER_LISTS_MAX:
            _MEMBER_LISTS[raw] = members
    return None if members is None else list(members)


def _fast_text(v: Any) -> str | None:
    if type(v) is str:
        return v
    return "" if v is None else None


def _fast_members(items: Any) -> list[Membership] | None:
    if type(items) is not list:
        return None
    out = []
    cache = _MEMBERSHIPS
    for it in items:
        if type(it) is not dict:
            return None
        key = (it.get("name"), it.get("value", False))
        try:
            m = cache.get(key)
        except TypeError:  # an unhashable value: the validators decide
            return None
        if m is None:
            name, value = key
            if type(name) is not str:
                return None
            try:
                b = _membership_value(value)
            except ValueError:
                return None
            if type(b) is not bool:
                return None
            m = Membership(name, b)
            if len(cache) < _MEMBERSHIP_CACHE_MAX:
                cache[key] = m
        out.append(m)
    return out


def _fast_row(
    item: Any, members_of: Callable[[Any], list[Membership] | None] = _fast_members
) -> TemplateRow | None:
    """The row normalised, or None when it is not the common row (``members_of``: how the
    role and team values become Memberships)."""
    if type(item) is not dict or not _ROW_FIELDS.issuperset(item):
        return None
    values: dict[str, Any] = {}
    email = item.get("email")
    if type(email) is not str:
        return None
    values["email"] = email
    for key in ("agent_number", "first_name", "last_name"):
        if key in item:
            text = _fast_text(item[key])
            if text is None:
                return None
            values[key] = text
    for key in ("new_email", "location"):
        if key in item:
            v = item[key]
            if _is_null(v):
                values[key] = None
            elif type(v) is str:
                values[key] = v
            else:
                return None
    if "status" in item:
        v = item["status"]
        if _is_null(v):
            values["status"] = None
        elif type(v) is str and v.strip().lower() in _STATUSES:
            values["status"] = _STATUSES[v.strip().lower()]
        else:
            return None
    if "max_chat_limit" in item:
        v = item["max_chat_limit"]
        if _is_null(v):
            values["max_chat_limit"] = None
        elif type(v) is str and v.strip().isascii() and v.strip().isdigit():
            values["max_chat_limit"] = int(v)
        elif type(v) is int:
            values["max_chat_limit"] = v
        else:
            return None
    if "max_chat_limit_enabled" in item:
        try:
            b = _to_bool_or_none(item["max_chat_limit_enabled"])
        except ValueError:
            return None
        if b is not None and type(b) is not bool:
            return None
        values["max_chat_limit_enabled"] = b
    for key in ("roles", "teams"):
        if key in item:
            members = members_of(item[key])
            if members is None:
                return None
            values[key] = members
    return TemplateRow.model_construct(set(item), **values)
