"""``ccai-reconciler github-comment``: the plan parts as sticky pull-request comments.
Thin: options → :func:`reconciler.github_comment.run` → one line. See docs/ci.md."""

from __future__ import annotations

from reconciler.commands._comment import comment_command
from reconciler.github_comment import run

command = comment_command(
    "github-comment",
    lambda directory, key, pr, max_wait: run(directory, key=key, pr=pr, max_wait=max_wait),
    host="GitHub",
    notes="comments",
    request="pull request",
    number=(
        "--pr",
        "NUMBER",
        "The pull request (default: pull_request.number of the event at GITHUB_EVENT_PATH).",
    ),
    rate_headers="Retry-After, x-ratelimit-reset",
    doc="""Post the Markdown plan parts in DIR to the pull request as comments, and edit the same
    comments on every later run (adding or deleting parts as the plan grows or shrinks).

    Reads GITHUB_API_URL (GitHub Enterprise too), GITHUB_TOKEN (never printed),
    GITHUB_REPOSITORY and the event at GITHUB_EVENT_PATH, as GitHub Actions sets them. Other
    people's comments are never touched.
    """,
)
