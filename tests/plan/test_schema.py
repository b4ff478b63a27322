from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from reconciler.plan import plan_json_schema, schema_text

from .test_plan_model import sample_plan

SCHEMA_PATH = Path(__file__).parents[2] / "schemas" / "plan.schema.json"


def test_checked_in_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), (
        "schemas/plan.schema.json is out of date: run "
        "`.venv/bin/python -m reconciler.plan > schemas/plan.schema.json`"
    )


def test_schema_validates_plan_json_and_rejects_garbage() -> None:
    schema = plan_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(sample_plan().to_json())
    jsonschema.validate(data, schema)
    data["user_changes"][0]["action"] = "delete"
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("an unknown action must not validate")
