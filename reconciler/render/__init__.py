"""Plan renderers: each takes a :class:`~reconciler.plan.Plan` and a stream, never the API."""

from __future__ import annotations

from typing import TextIO

from reconciler.plan import Plan
from reconciler.render.markdown import markdown_parts, render_markdown
from reconciler.render.text import render_text


def render_json(plan: Plan, stream: TextIO) -> None:
    """The plan as JSON (``format_version`` 1, described by ``schemas/plan.schema.json``)."""
    stream.write(plan.to_json())


__all__ = ["markdown_parts", "render_json", "render_markdown", "render_text"]
