"""``ccai-reconciler github-comment``: the plan parts as sticky pull-request comments.
Thin: options → :func:`reconciler.github_comment.run` → one line. See docs/ci.md."""

from __future__ import annotations

from reconciler.commands._comment import comment_command
from reconciler.github_comment import GitHub, run

HELP = """Post the Markdown plan parts in DIR to the pull request as comments, and edit the same
    comments on every later run (adding or deleting parts as the plan grows or shrinks).

    Reads GITHUB_API_URL (GitHub Enterprise too), GITHUB_TOKEN (never printed),
    GITHUB_REPOSITORY and the event at GITHUB_EVENT_PATH, as GitHub Actions sets them. Other
    people's comments are never touched.
    """

command = comment_command(
    "github-comment", GitHub, lambda d, key, pr, wait: run(d, key=key, pr=pr, max_wait=wait), HELP
)
