"""The one builder of the sticky-comment commands (``github-comment``, ``gitlab-comment``):
the same options and the same flow, in the words of the host's client class. See docs/ci.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from reconciler.github_comment import DEFAULT_MAX_WAIT, GitHub, Outcome, Settings

#: ``post(directory, key, number, max_wait)``: the library's ``run`` of the host.
Post = Callable[[Path, str, int | None, float], tuple[Settings, Outcome]]


def comment_command(
    name: str,
    host: type[GitHub],
    post: Post,
    doc: str,
    summary: Callable[[str], str] = lambda line: line,
) -> click.Command:
    """A click command ``name`` that posts ``--dir``'s plan parts with ``post`` and prints the
    outcome's summary (through ``summary``); its options speak the words of ``host``
    (``notes``, ``request_name``, ``rate_headers``, ``number_option``); ``doc`` is its help."""
    flag, metavar, number_help = host.number_option

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
        help=f"Which sticky {host.notes} to edit: one key per plan in the {host.request_name} "
        "(e.g. the tenant's name).",
    )
    @click.option(
        flag, "number", type=click.IntRange(min=1), default=None, metavar=metavar, help=number_help
    )
    @click.option(
        "--max-wait",
        type=click.FloatRange(min=0),
        default=DEFAULT_MAX_WAIT,
        show_default=True,
        metavar="SECONDS",
        help=f"Longest wait for {host.service}'s rate limit ({host.rate_headers}) before "
        "giving up.",
    )
    def command(directory: Path, key: str, number: int | None, max_wait: float) -> None:
        settings, outcome = post(directory, key, number, max_wait)
        click.echo(summary(outcome.summary(settings.pr)))

    return command
