"""Generated YAML documents and structures: the only exception the loader ever raises is
ConfigError (never a traceback for the user, never a hang)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reconciler.config import load_config_sources
from reconciler.config.models import DEFAULT_FIELDS, SECTIONS, USER_KEYS
from reconciler.errors import ConfigError

NOW = datetime(2026, 6, 1, tzinfo=UTC)
KEYS = [*SECTIONS, *USER_KEYS, *DEFAULT_FIELDS, "members", "phone_number", "expires_at", "state"]
KEYS += ["comment", "subdomain", "domain", "unmanaged_users", "manage_roles", "manage_teams"]
KEYS += ["default_region", "max_deactivations", "max_dnc_removals", "protected_users"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "ann@example.com",
            "Ann@Example.com",
            "Active",
            "Inactive",
            "Mexico",
            "+1-(358)-213-1634",
            "911",
            "30%",
            "all",
            "absent",
            "2027-01-01 00:00:00 UTC",
            "2020-01-01",
            "Agent",
        ]
    ),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=12))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)


def dump(value: Any) -> bytes:
    buf = io.StringIO()
    YAML(typ="safe", pure=False).dump(value, buf)  # block style, C emitter
    return buf.getvalue().encode()


def load(sources: list[tuple[str, bytes]]) -> None:
    try:
        load_config_sources(sources, now=NOW)
    except ConfigError as err:
        assert err.diagnostics, "a ConfigError always carries at least one diagnostic"
        for diag in err.diagnostics:
            assert diag.message
            assert (
                "Traceback (most recent call last)" not in diag.message
            )  # a key may be "Traceback"


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@FUZZ
@given(st.lists(documents, min_size=1, max_size=3))
def test_generated_structures(docs: list[dict[str, Any]]) -> None:
    load([(f"f{i}.yaml", dump(doc)) for i, doc in enumerate(docs)])


@FUZZ
@given(st.binary(max_size=300))
def test_generated_bytes(data: bytes) -> None:
    load([("b.yaml", data)])


yaml_alphabet = st.sampled_from(
    [*"abc:-[]{},&*!?|>'\"#%@` \n\t0123456789.+~<=", "users:", "dnc:", "  - ", "\n  "]
)


@FUZZ
@given(st.lists(yaml_alphabet, max_size=80).map("".join))
def test_generated_yaml_like_text(text: str) -> None:
    load([("t.yaml", text.encode())])


@FUZZ
@given(
    st.lists(
        st.fixed_dictionaries(
            {"email": st.sampled_from(["a@x.io", "B@x.io", "c@x.io", "bad"])},
            optional={
                "first_name": scalars,
                "last_name": scalars,
                "roles": st.lists(scalars, max_size=3),
                "renamed_from": scalars,
                "status": scalars,
                "max_chat_limit": scalars,
                "location": scalars,
            },
        ),
        max_size=5,
    ),
    st.dictionaries(st.text(max_size=5), st.lists(scalars, max_size=3), max_size=3),
    st.lists(st.one_of(scalars, st.fixed_dictionaries({"phone_number": scalars})), max_size=5),
)
def test_generated_configs(users: list[Any], roles: dict[str, Any], dnc: list[Any]) -> None:
    load([("c.yaml", dump({"users": users, "roles": roles, "dnc": dnc}))])
