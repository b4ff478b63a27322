"""docs/config.md names every property of the config's JSON Schema (the schema the package
builds: `ccai-reconciler schema`), in backticks, so the reference cannot drift from the
models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"


def properties(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            out.update(props)
        for value in node.values():
            properties(value, out)
    elif isinstance(node, list):
        for value in node:
            properties(value, out)
    return out


def schema() -> Any:
    import json

    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_every_schema_property_is_in_config_md() -> None:
    text = DOC.read_text(encoding="utf-8")
    names = properties(schema(), set())
    assert {"users", "email", "dnc"} <= names  # the walk reaches nested definitions
    gaps = sorted(n for n in names if f"`{n}" not in text)
    assert not gaps, "docs/config.md does not name these schema properties: " + ", ".join(gaps)
