"""``ccai-reconciler schema``: print the JSON Schema of a config file."""

from __future__ import annotations

import json

import click

from reconciler.config import json_schema


def config_schema_text() -> str:
    """The schema exactly as checked in at schemas/ccai-config.schema.json."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


@click.command("schema")
def command() -> None:
    """Print the JSON Schema of the config (for editors and CI)."""
    click.echo(config_schema_text(), nl=False)
