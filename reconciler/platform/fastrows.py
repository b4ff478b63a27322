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
    _flag,
    _is_null,
    _to_bool_or_none,
)
from reconciler.state import UserStatus

_ROW_FIELDS = frozenset(TemplateRow.model_fields)
_STATUSES = {s.value.lower(): s for s in UserStatus}
_MEMBERSHIPS: dict[tuple[Any, Any], Membership] = {}  # (name, value) -> its Membership
_MEMBERSHIP_CACHE_MAX = 100_000
# A membership list's raw JSON -> its Memberships (None: not the common shape).
_MEMBER_LISTS: dict[bytes, tuple[Membership, ...] | None] = {}
_MEMBER_LISTS_MAX = 10_000


_MEMBER_FIELDS = ("roles", "teams")
_SCALARS = tuple(f for f in TemplateRow.model_fields if f not in _MEMBER_FIELDS)
_SCALAR_DEFAULTS = tuple(
    (name, TemplateRow.model_fields[name].default)
    for name in _SCALARS
    if not TemplateRow.model_fields[name].is_required()
)

# A template row as msgspec decodes it, its fields derived from TemplateRow's: each scalar as
# it was in the JSON (``UNSET`` when absent), the role and team lists as raw bytes (empty when
# absent). A row with any other key fails to decode and takes the exact path.
_WireRow = msgspec.defstruct(
    "_WireRow",
    [
        *((name, Any, UNSET) for name in _SCALARS),
        *((name, msgspec.Raw, msgspec.Raw()) for name in _MEMBER_FIELDS),
    ],
    forbid_unknown_fields=True,
)
_WIRE = msgspec.json.Decoder(_WireRow)


def template_row(item: Any) -> TemplateRow:
    """One template row, exactly as ``TemplateRow.model_validate(item)`` would give it.

    The common row (the JSON types the reference documents) is normalised here by the same
    rules as the models' validators (one function per field, ``_FAST``), without pydantic's
    per-field machinery: a large template has 50,000 rows of 50 memberships each. Anything
    this path does not recognise is left to ``model_validate``, so an odd or bad row gets
    exactly the validators' result or error.
    Memberships are immutable and shared between rows (one per name and value).
    """
    row = _fast_row(item)
    return row if row is not None else TemplateRow.model_validate(item)


def template_row_json(raw: bytes | memoryview | msgspec.Raw) -> TemplateRow:
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
    for name in _MEMBER_FIELDS:
        members = bytes(getattr(wire, name))
        if members:
            item[name] = members
    row = _fast_row(item, _raw_members)
    return row if row is not None else template_row(json.loads(bytes(raw)))


def _raw_members(raw: Any) -> list[Membership] | None:
    """The Memberships of one raw JSON list (a fresh list; the Memberships are shared)."""
    members = raw_memberships(raw)
    return None if members is None else list(members)


def raw_memberships(raw: bytes) -> tuple[Membership, ...] | None:
    """The Memberships of one raw JSON role or team list (``b""``: absent, none), as
    TemplateRow's validators make them; None when it is not the common list (only
    :func:`template_row_json` then says what the row is). Shared between rows: one tuple per
    distinct list."""
    if not raw:
        return ()
    try:
        return _MEMBER_LISTS[raw]
    except KeyError:
        pass
    found = _fast_members(json.loads(raw))
    members = None if found is None else tuple(found)
    if len(_MEMBER_LISTS) < _MEMBER_LISTS_MAX:
        _MEMBER_LISTS[raw] = members
    return members


class _Required:
    """The default of a field a row must have (``email``)."""


_REQUIRED = _Required()


def common_row(raw: bytes | memoryview | msgspec.Raw) -> tuple[list[Any], bytes, bytes] | None:
    """A template row's scalar fields (in :data:`SCALARS` order) normalised by the same rules
    as :func:`template_row_json` (``_FAST``; an absent field its TemplateRow default), and its
    raw role and team lists (``b""`` when absent; see :func:`raw_memberships`). None when the
    row is not the common row: only :func:`template_row_json` then says what it is (or what
    is wrong with it). For a caller that needs the values, not a TemplateRow (the live state
    of 50,000 users: no model per row)."""
    try:
        wire = _WIRE.decode(raw)
    except msgspec.DecodeError:
        return None
    return wire_values(wire)


def wire_values(wire: Any) -> tuple[list[Any], bytes, bytes] | None:
    """:func:`common_row` of a row already decoded by :data:`WIRE`."""
    fields = msgspec.structs.astuple(wire)
    values = []
    for value, (normalise, default) in zip(fields, _RULES, strict=False):  # then roles, teams
        if value is UNSET:
            if default is _REQUIRED:
                return None
            values.append(default)
            continue
        value = normalise(value)
        if value is _UNDECIDED:
            return None
        values.append(value)
    return values, bytes(fields[-2]), bytes(fields[-1])


class _Undecided:
    """What a fast normaliser returns for a value it does not recognise: the row then goes to
    the validators."""


_UNDECIDED = _Undecided()


def _fast_str(v: Any) -> Any:
    return v if type(v) is str else _UNDECIDED


def _fast_text(v: Any) -> Any:
    if type(v) is str:
        return v
    return "" if v is None else _UNDECIDED


def _fast_opt_str(v: Any) -> Any:
    if _is_null(v):
        return None
    return v if type(v) is str else _UNDECIDED


def _fast_status(v: Any) -> Any:
    if _is_null(v):
        return None
    return _STATUSES.get(v.strip().lower(), _UNDECIDED) if type(v) is str else _UNDECIDED


def _fast_limit(v: Any) -> Any:
    if _is_null(v):
        return None
    if type(v) is str and v.strip().isascii() and v.strip().isdigit():
        return int(v)
    return v if type(v) is int else _UNDECIDED


def _fast_enabled(v: Any) -> Any:
    try:
        b = _to_bool_or_none(v)
    except ValueError:
        return _UNDECIDED
    return b if b is None or type(b) is bool else _UNDECIDED


# The fast normaliser of each scalar TemplateRow field: the validators' rule for the common
# values (roles and teams: ``members_of`` of :func:`_fast_row`).
_FAST: dict[str, Callable[[Any], Any]] = {
    "email": _fast_str,
    "new_email": _fast_opt_str,
    "agent_number": _fast_text,
    "first_name": _fast_text,
    "last_name": _fast_text,
    "status": _fast_status,
    "location": _fast_opt_str,
    "max_chat_limit": _fast_limit,
    "max_chat_limit_enabled": _fast_enabled,
}
assert _FAST.keys() == set(_SCALARS)
SCALARS = _SCALARS
# A row's JSON -> its fields as given (what common_row reads first); WIRE_LIST: a list of rows.
WIRE: msgspec.json.Decoder[Any] = _WIRE
WIRE_LIST: msgspec.json.Decoder[list[Any]] = msgspec.json.Decoder(list[_WireRow])  # type: ignore[valid-type]
WIRE_ROW: type = _WireRow
UNDECIDED = _UNDECIDED
# Per scalar in order: its fast normaliser and its default when absent.
_RULES = tuple(
    (
        _FAST[name],
        _REQUIRED
        if TemplateRow.model_fields[name].is_required()
        else TemplateRow.model_fields[name].default,
    )
    for name in _SCALARS
)
assert [n for n in _WireRow.__struct_fields__] == [*_SCALARS, *_MEMBER_FIELDS]
# A scalar -> (its normaliser, its default when absent).
RULES: dict[str, tuple[Callable[[Any], Any], Any]] = dict(zip(_SCALARS, _RULES, strict=True))


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
                b = _flag(value)
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
    if type(item) is not dict or "email" not in item or not _ROW_FIELDS.issuperset(item):
        return None
    values: dict[str, Any] = {}
    fast = _FAST
    for key, raw in item.items():
        normalise = fast.get(key)
        if normalise is None:  # roles, teams
            members = members_of(raw)
            if members is None:
                return None
            values[key] = members
        else:
            value = normalise(raw)
            if value is _UNDECIDED:
                return None
            values[key] = value
    fields_set = set(values)
    # Every field given: pydantic's model_construct would inspect a default factory's
    # signature for each absent list (0.7 ms a row, 35 s for a template of 50,000 rows
    # without ``roles``).
    for name, default in _SCALAR_DEFAULTS:
        if name not in values:
            values[name] = default
    for name in _MEMBER_FIELDS:
        if name not in values:
            values[name] = []
    return TemplateRow.model_construct(fields_set, **values)
