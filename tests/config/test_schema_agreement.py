"""`validate` and the checked-in JSON Schema (schemas/ccai-config.schema.json) agree: on
generated configs, valid and near-valid, the loader accepts a file exactly when the schema does.

The generator keeps what only the loader can check (an address is deliverable-looking, a phone
number exists, a region code is real, a user is declared once, a member is a declared user) on
the valid side, and breaks everything the schema describes: types, required and unknown keys,
nulls, blank strings, integral floats, numbers out of range.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reconciler.config import load_config_sources
from reconciler.config.models import SECTIONS
from reconciler.errors import ConfigError

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "ccai-config.schema.json"
VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))

EMAILS = ["ann@example.com", "bob@example.com", "Cy.Lee@Example.org", "d+x@example.net"]
OLD_EMAILS = ["old.ann@example.com", "old.bob@example.com"]
PHONES: list[Any] = ["+14155550100", "+1 (415) 555-0101", 4155550102, "+442079460958"]
NAMES = ["Agent", "Tier 1", " spaced ", "Manager Team"]
#: Near-valid replacements for any value: the wrong type, null, blank, integral or not (no
#: other text: whether "x" is an address, a number or a region only the loader can tell).
WRONG: list[Any] = [None, True, False, 0, -1, 2, 2.0, 1.5, "", "  ", [], {}, [None], {"a": 1}]


#: ... where a number is a valid type (a phone number): whether 0 is a number is semantic.
WRONG_PHONE = [w for w in WRONG if not isinstance(w, int | float) or isinstance(w, bool)]


def wrong(phone: bool = False) -> st.SearchStrategy[Any]:
    return st.sampled_from(WRONG_PHONE if phone else WRONG)


def maybe_break(valid: dict[str, st.SearchStrategy[Any]], required: tuple[str, ...] = ()) -> Any:
    """A mapping of the ``valid`` fields (a random subset of the optional ones), then perhaps a
    field replaced by a wrong value, a required one dropped or an unknown one added."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, strat in valid.items():
            if key in required or draw(st.booleans()):
                out[key] = draw(strat)
        how = draw(st.sampled_from(["valid", "valid", "wrong", "drop", "unknown"]))
        if how == "wrong" and valid:
            key = draw(st.sampled_from(sorted(valid)))
            out[key] = draw(wrong(phone=key == "phone_number"))
        elif how == "drop" and out:
            out.pop(draw(st.sampled_from(sorted(out))))
        elif how == "unknown":
            out[draw(st.sampled_from(["bogus", "frist_name", "member"]))] = draw(wrong())
        return out

    return build()


names = st.sampled_from(NAMES)
name_lists = st.lists(names, max_size=3, unique=True)
thresholds = st.sampled_from([0, 5, 100, "30%", " 5 % ", "100%", "0%", "12.5%", "007%"])
policies = maybe_break(
    {
        "unmanaged_users": st.sampled_from(["ignore", "deactivate"]),
        "manage_roles": st.one_of(st.just("all"), name_lists),
        "manage_teams": st.one_of(st.just("all"), name_lists),
        "default_region": st.sampled_from(["US", "GB", "mx", " de "]),
        "max_deactivations": thresholds,
        "max_dnc_removals": thresholds,
        "protected_users": st.lists(st.sampled_from(EMAILS), max_size=2, unique=True),
    }
)
tenants = maybe_break(
    {
        "subdomain": st.sampled_from(["demo", "acme-corp", "a1", None]),
        "domain": st.sampled_from(["ccaiplatform.com", "example.co.uk", None]),
    }
)
user_fields: dict[str, st.SearchStrategy[Any]] = {
    "status": st.sampled_from(["Active", "Inactive"]),
    "location": st.sampled_from(["Mexico", " Austin", None]),
    "max_chat_limit": st.sampled_from([1, 3, 50]),
    "max_chat_limit_enabled": st.booleans(),
    "roles": name_lists,
    "teams": name_lists,
}
defaults = maybe_break(user_fields)


EMAIL, OLD, PHONE = "<email>", "<renamed_from>", "<phone>"  # placeholders, filled per item
user_items = maybe_break(
    {
        "email": st.just(EMAIL),
        "first_name": st.sampled_from(["Ann", "Zoë", "Jean Luc"]),
        "last_name": st.sampled_from(["Lee", "O'Neil"]),
        "agent_number": st.sampled_from(["A-1", 1001, "0101"]),
        **user_fields,
        "renamed_from": st.sampled_from([OLD, None]),
    },
    required=("email", "first_name", "last_name"),
)


def fill(item: Any, values: dict[str, Any]) -> Any:
    """``item`` with its placeholders replaced (each item gets its own email or number)."""
    if isinstance(item, dict):
        return {k: values.get(v, v) if isinstance(v, str) else v for k, v in item.items()}
    return item


@st.composite
def users(draw: st.DrawFn) -> list[Any]:
    emails = draw(st.lists(st.sampled_from(EMAILS), max_size=3, unique_by=str.lower))
    out = [
        fill(draw(user_items), {EMAIL: email, OLD: old})
        for email, old in zip(emails, [*OLD_EMAILS, None, None], strict=False)
    ]
    if draw(st.integers(0, 9)) == 0:
        out.append(draw(wrong()))
    return out


@st.composite
def groups(draw: st.DrawFn, members: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from([*NAMES, "", "  "]), max_size=3, unique=True)):
        listed = draw(st.lists(st.sampled_from(members), unique=True)) if members else []
        form = draw(st.sampled_from(["list", "members", "null", "wrong", "broken"]))
        if form == "list":
            out[name] = listed
        elif form == "members":
            out[name] = {"members": listed}
        elif form == "null":
            out[name] = None
        elif form == "wrong":
            out[name] = draw(st.sampled_from([w for w in WRONG if w not in ([], None)]))
        else:
            out[name] = draw(
                st.sampled_from(
                    [
                        {},
                        {"members": listed, "bogus": 1},
                        {"members": [*listed, ""]},
                        {"members": [*listed, 5]},
                        [*listed, None],
                    ]
                )
            )
    return out


dnc_items = maybe_break(
    {
        "phone_number": st.just(PHONE),
        "expires_at": st.sampled_from(
            ["2030-01-01 00:00:00 UTC", "2031-06-30T12:00:00+02:00", "2032-01-01", None]
        ),
        "comment": st.sampled_from(["asked by phone", None]),
        "state": st.sampled_from(["present", "absent"]),
    },
    required=("phone_number",),
)


@st.composite
def dnc(draw: st.DrawFn) -> list[Any]:
    out: list[Any] = []
    for phone in draw(st.lists(st.sampled_from(PHONES), max_size=3, unique=True)):
        out.append(phone if draw(st.booleans()) else fill(draw(dnc_items), {PHONE: phone}))
    if draw(st.integers(0, 9)) == 0:
        out.append(draw(wrong(phone=True)))
    return out


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    us = draw(st.one_of(users(), st.none()))
    keys = draw(st.lists(st.sampled_from(list(SECTIONS)), unique=True))
    declared = [
        u["email"]
        for u in (us if "users" in keys and us else [])
        if isinstance(u, dict) and isinstance(u.get("email"), str)
    ]
    sections: dict[str, st.SearchStrategy[Any]] = {
        "version": st.sampled_from([1, 1.0, 2, None, True, "1"]),
        "tenant": st.one_of(tenants, st.none()),
        "policy": st.one_of(policies, st.none()),
        "defaults": st.one_of(defaults, st.none()),
        "users": st.just(us),
        "roles": st.one_of(groups(declared), st.none()),
        "teams": st.one_of(groups(declared), st.none()),
        "dnc": st.one_of(dnc(), st.none()),
    }
    doc: dict[str, Any] = {}
    for key in keys:
        doc[key] = draw(sections[key])
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.sampled_from(["user", "bogus"]))] = draw(wrong())
    elif doc and draw(st.integers(0, 9)) == 0:
        doc[draw(st.sampled_from(sorted(doc)))] = draw(wrong())
    return doc


def dump(doc: Any) -> bytes:
    buf = io.StringIO()
    YAML(typ="safe", pure=False).dump(doc, buf)
    return buf.getvalue().encode()


def loader_accepts(doc: Any) -> tuple[bool, str]:
    try:
        load_config_sources([("c.yaml", dump(doc))], now=NOW)
    except ConfigError as err:
        return False, str(err)
    return True, ""


def schema_accepts(doc: Any) -> tuple[bool, str]:
    errors = list(VALIDATOR.iter_errors(doc))
    return not errors, "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:3])


def check(doc: Any) -> None:
    (ok_loader, why_loader), (ok_schema, why_schema) = loader_accepts(doc), schema_accepts(doc)
    assert ok_loader == ok_schema, (
        f"validate {'accepts' if ok_loader else 'rejects'} and the schema "
        f"{'accepts' if ok_schema else 'rejects'}:\n{dump(doc).decode()}\n"
        f"loader: {why_loader}\nschema: {why_schema}"
    )


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(documents())
def test_validate_accepts_exactly_what_the_schema_accepts(doc: dict[str, Any]) -> None:
    check(doc)


U = {"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"}

# A fixed corpus: each was a disagreement, or sits on a boundary of one.
CORPUS: dict[str, Any] = {
    "empty mapping": {},
    "every section null": dict.fromkeys(["tenant", "policy", "defaults", "users", "dnc"]),
    "version null": {"version": None},
    "version 1.0": {"version": 1.0},
    "version true": {"version": True},
    "blank first name": {"users": [{**U, "first_name": "  "}]},
    "blank email": {"users": [{**U, "email": ""}]},
    "blank location": {"users": [{**U, "location": " "}]},
    "blank role in a user's list": {"users": [{**U, "roles": [""]}]},
    "role name with spaces": {"users": [{**U, "roles": [" Agent "]}]},
    "agent_number a float": {"users": [{**U, "agent_number": 1.5}]},
    "agent_number blank": {"users": [{**U, "agent_number": ""}]},
    "max_chat_limit 2.0": {"users": [{**U, "max_chat_limit": 2.0}]},
    "max_chat_limit 0": {"users": [{**U, "max_chat_limit": 0}]},
    "blank group name": {"teams": {" ": []}},
    "group name with spaces": {"teams": {" spaced ": []}},
    "blank member": {"users": [U], "teams": {"T": [""]}},
    "manage_roles blank name": {"policy": {"manage_roles": ["  "]}},
    "threshold null": {"policy": {"max_deactivations": None}},
    "threshold 150%": {"policy": {"max_deactivations": "150%"}},
    "threshold 100.0%": {"policy": {"max_deactivations": "100.0%"}},
    "threshold 5.0": {"policy": {"max_dnc_removals": 5.0}},
    "threshold 0.5": {"policy": {"max_dnc_removals": 0.5}},
    "threshold '10'": {"policy": {"max_dnc_removals": "10"}},
    "default_region blank": {"policy": {"default_region": ""}},
    "expires_at blank": {"dnc": [{"phone_number": "+14155550100", "expires_at": " "}]},
    "bare phone number as an integer": {"dnc": [4155550100]},
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_validate_and_the_schema_agree_on_the_corpus(name: str) -> None:
    check(CORPUS[name])


def test_empty_members_agree() -> None:
    # `members:` with no value: validate refuses it (it used to mean "remove everyone"), as
    # the schema always did
    check({"users": [U], "teams": {"T": {"members": None}}})
