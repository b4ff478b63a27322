"""The fast path for template rows: the same result (or error) as
``TemplateRow.model_validate``, without pydantic's per-field machinery for the common row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def _fast_members(items: Any) -> Any:
    if type(items) is not list:
        return _UNDECIDED
    out = []
    cache = _MEMBERSHIPS
    for it in items:
        if type(it) is not dict:
            return _UNDECIDED
        key = (it.get("name"), it.get("value", False))
        try:
            m = cache.get(key)
        except TypeError:  # an unhashable value: the validators decide
            return _UNDECIDED
        if m is None:
            name, value = key
            if type(name) is not str:
                return _UNDECIDED
            try:
                b = _flag(value)
            except ValueError:
                return _UNDECIDED
            if type(b) is not bool:
                return _UNDECIDED
            m = Membership(name, b)
            if len(cache) < _MEMBERSHIP_CACHE_MAX:
                cache[key] = m
        out.append(m)
    return out


# The fast normaliser of each TemplateRow field: the validators' rule for the common values.
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
    "roles": _fast_members,
    "teams": _fast_members,
}
assert _FAST.keys() == TemplateRow.model_fields.keys()


def _fast_row(item: Any) -> TemplateRow | None:
    if type(item) is not dict or "email" not in item or not _ROW_FIELDS.issuperset(item):
        return None
    values: dict[str, Any] = {}
    fast = _FAST
    for key, raw in item.items():
        value = fast[key](raw)
        if value is _UNDECIDED:
            return None
        values[key] = value
    return TemplateRow.model_construct(set(item), **values)
