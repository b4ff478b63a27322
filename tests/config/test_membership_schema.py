"""Memberships and the new policy keys: ``validate`` and the checked-in JSON Schema agree."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from reconciler.config import load_config_sources
from reconciler.errors import ConfigError

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "ccai-config.schema.json").read_text())
USER = "users:\n  - {email: a@x.io, first_name: A, last_name: B}\n"

CASES = {
    # text: accepted?
    "members null": (USER + "teams:\n  Tier 1:\n    members:\n", False),
    "group null": (USER + "teams:\n  Tier 1:\n", False),
    "roles group null": (USER + "roles:\n  Agent:\n", False),
    "members empty list": (USER + "teams:\n  Tier 1:\n    members: []\n", True),
    "group empty list": (USER + "teams:\n  Tier 1: []\n", True),
    "manage declared": ("policy:\n  manage_roles: declared\n  manage_teams: declared\n", True),
    "manage all": ("policy:\n  manage_roles: all\n", True),
    "manage list": ("policy:\n  manage_teams: [Tier 1]\n", True),
    "manage other word": ("policy:\n  manage_roles: none\n", False),
    "new thresholds": (
        "policy:\n  max_role_removals: 5\n  max_team_removals: 20%\n  max_field_clears: 0\n",
        True,
    ),
    "bad threshold": ("policy:\n  max_field_clears: lots\n", False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_validate_and_schema_agree(case: str) -> None:
    text, ok = CASES[case]
    try:
        load_config_sources([("c.yaml", text.encode())])
        validated = True
    except ConfigError:
        validated = False
    data = YAML(typ="safe").load(text)
    in_schema = jsonschema.Draft202012Validator(SCHEMA).is_valid(data)
    assert (validated, in_schema) == (ok, ok)


def test_null_members_is_a_located_error() -> None:
    with pytest.raises(ConfigError) as ei:
        load_config_sources([("c.yaml", (USER + "teams:\n  Tier 1:\n    members:\n").encode())])
    assert str(ei.value).startswith("c.yaml:5:5: error: team 'Tier 1': members is empty: write ")
