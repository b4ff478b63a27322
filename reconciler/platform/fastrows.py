"""The fast path for template rows: the same result (or error) as
``TemplateRow.model_validate``, without pydantic's per-field machinery for the common row."""

from __future__ import annotations

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
    rules as the validators above, without pydantic's per-field machinery: a large template
    has 50,000 rows of 50 memberships each. Anything this path does not recognise is left to
    ``model_validate``, so an odd or bad row gets exactly the validators' result or error.
    Memberships are immutable and shared between rows (one per name and value).
    """
    row = _fast_row(item)
    return row if row is not None else TemplateRow.model_validate(item)


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


def _fast_row(item: Any) -> TemplateRow | None:
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
            members = _fast_members(item[key])
            if members is None:
                return None
            values[key] = members
    return TemplateRow.model_construct(set(item), **values)
