"""Markdown for pull-request comments and ``$GITHUB_STEP_SUMMARY``: a summary table, then the
changes in collapsible ``<details>`` sections (``diff`` code blocks, which GitHub colours).

GitHub comments hold at most 65,536 characters: :func:`markdown_parts` splits a long plan into
numbered parts that each fit. Reads only the Plan.
"""

from __future__ import annotations

from typing import TextIO

from reconciler.plan import Plan
from reconciler.render.text import dnc_line, header, rotation_line, scope_lines, user_lines

COMMENT_LIMIT = 65_000


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def _summary_block(plan: Plan, warn_budget: int | None = None) -> list[str]:
    """The summary, safety and warnings. ``warn_budget``: at most that many characters of
    warnings, then a count of the rest (only when the plan must fit in comment-sized parts)."""
    c = plan.counts()
    out = [f"**{plan.summary()}**", ""]
    out.append(f"<sub>{_md_escape(header(plan))}</sub>")
    rotated = rotation_line(plan)
    for line in [*scope_lines(plan), *([rotated] if rotated else [])]:
        out.append("")
        out.append(f"<sub>{_md_escape(line)}</sub>")
    out.append("")
    if not plan.is_empty:
        out += [
            "| | Create / add | Update | Rename | Deactivate / remove |",
            "|---|---:|---:|---:|---:|",
            f"| Users | {c['user_create']} | {c['user_update']} | {c['user_rename']} "
            f"| {c['user_deactivate']} |",
            f"| DNC numbers | {c['dnc_add'] + c['dnc_upsert']} | {c['dnc_update']} | – "
            f"| {c['dnc_remove']} |",
            "",
        ]
    if plan.safety:
        out.append("> [!CAUTION]")
        out.append("> **Apply will refuse this plan** without an explicit override:")
        for v in plan.safety:
            out.append(f"> - {_md_escape(v.message)}")
        out.append("")
    if plan.warnings:
        out.append("> [!WARNING]")
        used = 0
        for i, w in enumerate(plan.warnings):
            line = f"> - {_md_escape(str(w))}"
            used += len(line) + 1
            if warn_budget is not None and used > warn_budget:
                rest = len(plan.warnings) - i
                out.append(
                    f"> - … and {rest} more warning{'s' if rest != 1 else ''} (the text and "
                    "JSON plans list them all)"
                )
                break
            out.append(line)
        out.append("")
    return out


def _diff_mark(mark: str) -> str:
    """GitHub colours ``diff`` blocks by the first character: ``!`` (orange) for updates."""
    return "!" if mark == "~" else mark


def _sections(plan: Plan) -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = []
    if plan.user_changes:
        lines: list[str] = []
        for u in plan.user_changes:
            for indent, mark, text, loc in user_lines(u):
                where = f"    {loc}" if loc else ""
                lines.append(f"{_diff_mark(mark)}{' ' * (1 + indent)}{text}{where}")
        sections.append((f"Users ({len(plan.user_changes)})", lines))
    if plan.dnc_changes:
        lines = []
        for c in plan.dnc_changes:
            mark, text, loc = dnc_line(c)
            lines.append(f"{_diff_mark(mark)} {text}{f'    {loc}' if loc else ''}")
        sections.append((f"DNC numbers ({len(plan.dnc_changes)})", lines))
    return sections


TITLE = "### ccai-reconciler plan"


def markdown_parts(plan: Plan, *, limit: int = COMMENT_LIMIT) -> list[str]:
    """The plan as one or more Markdown documents, each at most ``limit`` characters."""
    plan.resolve_locations(desired=False)
    head = _summary_block(plan)
    sections = _sections(plan)
    whole = [TITLE, "", *head]
    for title, lines in sections:
        whole += _section(title, lines)
    text = "\n".join(whole) + "\n"
    if len(text) <= limit:
        return [text]
    # Split: part 1 carries the summary; sections continue across parts.
    budget = limit - 400  # room for part headers and the closing of an open section
    head = _summary_block(plan, warn_budget=budget // 2)  # part 1 must fit too
    parts: list[list[str]] = [[*head]]
    size = sum(len(x) + 1 for x in head)
    for title, lines in sections:
        opened = False
        for line in lines:
            line = line if len(line) < budget // 2 else line[: budget // 2] + "…"
            if not opened or size + len(line) + 1 > budget:
                if opened:
                    parts[-1] += ["```", "</details>", ""]
                if size + len(line) + 200 > budget:
                    parts.append([])
                    size = 0
                cont = " (continued)" if opened else ""
                block = ["<details open>", f"<summary>{title}{cont}</summary>", "", "```diff"]
                parts[-1] += block
                size += sum(len(x) + 1 for x in block)
                opened = True
            parts[-1].append(line)
            size += len(line) + 1
        if opened:
            parts[-1] += ["```", "</details>", ""]
            size += 20
    n = len(parts)
    return [
        "\n".join([f"{TITLE} (part {i} of {n})", "", *p]) + "\n" for i, p in enumerate(parts, 1)
    ]


def _section(title: str, lines: list[str]) -> list[str]:
    return [
        "<details>",
        f"<summary>{title}</summary>",
        "",
        "```diff",
        *lines,
        "```",
        "</details>",
        "",
    ]


def render_markdown(plan: Plan, stream: TextIO) -> None:
    """The whole plan in one document (see :func:`markdown_parts` for comment-sized parts)."""
    parts = markdown_parts(plan, limit=10**12)
    stream.write(parts[0])
