"""The one builder of the sticky-comment commands (``github-comment``, ``gitlab-comment``):
the same options and the same flow, in each host's words. See docs/ci.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from reconciler.github_comment import DEFAULT_MAX_WAIT, Outcome, Settings


def comment_command(
    name: str,
    post: Callable[[Path, str, int | None, float], tuple[Settings, Outcome]],
    *,
    host: str,
    notes: str,
    request: str,
    number: tuple[str, str, str],
    rate_headers: str,
    summary: Callable[[str], str] = lambda line: line,
    doc: str,
) -> click.Command:
    """A click command ``name`` that posts ``--dir``'s plan parts with ``post(directory, key,
    number, max_wait)`` and prints the outcome's summary (through ``summary``).

    ``host``: GitHub or GitLab; ``notes``: what it calls its comments; ``request``: the pull
    or merge request; ``number``: the option of its number (flag, metavar, help);
    ``rate_headers``: the headers of its rate limit; ``doc``: the command's help."""
    flag, metavar, number_help = number

    @click.command(name, help=doc)
    @click.option(
        "--dir",
        "directory",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="The directory `plan --out-dir` wrote plan-1.md, plan-2.md, ... to.",
    )
    @click.option(
        "--key",
        default="plan",
        show_default=True,
        help=f"Which sticky {notes} to edit: one key per plan in the {request} (e.g. the "
        "tenant's name).",
    )
    @click.option(
        flag,
        "number",
        type=click.IntRange(min=1),
        default=None,
        metavar=metavar,
        help=number_help,
    )
    @click.option(
        "--max-wait",
        type=click.FloatRange(min=0),
        default=DEFAULT_MAX_WAIT,
        show_default=True,
        metavar="SECONDS",
        help=f"Longest wait for {host}'s rate limit ({rate_headers}) before giving up.",
    )
    def command(directory: Path, key: str, number: int | None, max_wait: float) -> None:
        settings, outcome = post(directory, key, number, max_wait)
        click.echo(summary(outcome.summary(settings.pr)))

    return command
