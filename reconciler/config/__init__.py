"""The desired-state config: YAML files with source locations -> :class:`DesiredState`.

See docs/config.md for the format and docs/internals.md for the contract.
"""

from reconciler.config.loader import LoadResult, load_config, load_config_sources, parse_datetime
from reconciler.config.models import json_schema

__all__ = ["LoadResult", "json_schema", "load_config", "load_config_sources", "parse_datetime"]
