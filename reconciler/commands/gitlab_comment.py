"""``ccai-reconciler gitlab-comment``: the plan parts as sticky merge-request notes.
Thin: options → :func:`reconciler.gitlab_comment.run` → one line. See docs/ci.md."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.github_comment import DEFAULT_MAX_WAIT
from reconciler.gitlab_comment import run


@click.command("gitlab-comment")
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
    help="Which sticky notes to edit: one key per plan in the merge request (e.g. the "
    "tenant's name).",
)
@click.option(
    "--mr",
    type=click.IntRange(min=1),
    default=None,
    metavar="IID",
    help="The merge request (default: CI_MERGE_REQUEST_IID).",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=DEFAULT_MAX_WAIT,
    show_default=True,
    metavar="SECONDS",
    help="Longest wait for GitLab's rate limit (Retry-After, RateLimit-Reset) before giving up.",
)
def command(directory: Path, key: str, mr: int | None, max_wait: float) -> None:
    """Post the Markdown plan parts in DIR to the merge request as notes, and edit the same
    notes on every later pipeline (adding or deleting parts as the plan grows or shrinks).

    Reads CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID (as GitLab CI sets them) and
    GITLAB_TOKEN (a project access token with the api scope; never printed). Other people's
    notes are never touched.
    """
    settings, outcome = run(directory, key=key, mr=mr, max_wait=max_wait)
    click.echo(outcome.summary(settings.pr).replace("Plan comment on #", "Plan note on !"))
