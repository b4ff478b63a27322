"""Plan renderers: each takes a :class:`~reconciler.plan.Plan` and a stream, never the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from reconciler.plan import Plan

if TYPE_CHECKING:
    from reconciler.render.markdown import markdown_parts, render_markdown
    from reconciler.render.text import render_text

# The text and Markdown renderers are imported on first use (a JSON plan needs neither).
_LATER = {"markdown_parts": "markdown", "render_markdown": "markdown", "render_text": "text"}


def __getattr__(name: str) -> Any:
    if name not in _LATER:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{_LATER[name]}"), name)


def render_json(plan: Plan, stream: TextIO, data: bytes | None = None) -> None:
    """The plan as JSON (``format_version`` 1, described by ``schemas/plan.schema.json``);
    ``data``: its :meth:`~reconciler.plan.Plan.json_bytes`, when already made. Written to the
    stream's bytes where it has them (no 6 MB text copy of a 50,000-user plan)."""
    data = plan.json_bytes() if data is None else data
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(data.decode() + "\n")
        return
    stream.flush()
    Plan.write(data, buffer)
    buffer.flush()


__all__ = ["markdown_parts", "render_json", "render_markdown", "render_text"]
