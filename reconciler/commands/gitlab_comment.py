"""``ccai-reconciler gitlab-comment``: the plan parts as sticky merge-request notes.
Thin: options → :func:`reconciler.gitlab_comment.run` → one line. See docs/ci.md."""

from __future__ import annotations

from reconciler.commands._comment import comment_command
from reconciler.gitlab_comment import GitLab, run

HELP = """Post the Markdown plan parts in DIR to the merge request as notes, and edit the same
    notes on every later pipeline (adding or deleting parts as the plan grows or shrinks).

    Reads CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID (as GitLab CI sets them) and
    GITLAB_TOKEN (a project access token with the api scope; never printed). Other people's
    notes are never touched.
    """

command = comment_command(
    "gitlab-comment",
    GitLab,
    lambda d, key, mr, wait: run(d, key=key, mr=mr, max_wait=wait),
    HELP,
    summary=lambda line: line.replace("Plan comment on #", "Plan note on !"),
)
