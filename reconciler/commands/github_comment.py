"""``ccai-reconciler github-comment``: the plan parts as sticky pull-request comments.
Thin: options → :func:`reconciler.github_comment.run` → one line. See docs/ci.md."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.github_comment import DEFAULT_MAX_WAIT, run


@click.command("github-comment")
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
    help="Which sticky comments to edit: one key per plan in the pull request (e.g. the "
    "tenant's name).",
)
@click.option(
    "--pr",
    type=click.IntRange(min=1),
    default=None,
    metavar="NUMBER",
    help="The pull request (default: pull_request.number of the event at GITHUB_EVENT_PATH).",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=DEFAULT_MAX_WAIT,
    show_default=True,
    metavar="SECONDS",
    help="Longest wait for GitHub's rate limit (Retry-After, x-ratelimit-reset) before giving up.",
)
def command(directory: Path, key: str, pr: int | None, max_wait: float) -> None:
    """Post the Markdown plan parts in DIR to the pull request as comments, and edit the same
    comments on every later run (adding or deleting parts as the plan grows or shrinks).

    Reads GITHUB_API_URL (GitHub Enterprise too), GITHUB_TOKEN (never printed),
    GITHUB_REPOSITORY and the event at GITHUB_EVENT_PATH, as GitHub Actions sets them. Other
    people's comments are never touched.
    """
    settings, outcome = run(directory, key=key, pr=pr, max_wait=max_wait)
    click.echo(outcome.summary(settings.pr))
