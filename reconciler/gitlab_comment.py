"""Sticky merge-request notes on GitLab: the plan parts of ``plan --out-dir DIR`` as notes,
edited in place on every later pipeline, exactly as :mod:`reconciler.github_comment` does on
GitHub (same marker, same rules: only notes that start with this key's marker are touched).

Reads the GitLab CI environment: ``CI_API_V4_URL``, ``CI_PROJECT_ID``, ``CI_MERGE_REQUEST_IID``,
and a token in ``GITLAB_TOKEN`` (a project access token with the ``api`` scope: the job token
cannot write notes); the token is never printed. See docs/ci.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

from reconciler.github_comment import (
    DEFAULT_MAX_WAIT,
    GitHub,
    GitHubCommentError,
    Outcome,
    Settings,
    check_api_url,
    post_from,
)


def settings_from_env(env: Mapping[str, str], mr: int | None = None) -> Settings:
    api_url = (env.get("CI_API_V4_URL") or "").strip()
    if not api_url:
        raise GitHubCommentError("no GitLab API URL: set CI_API_V4_URL (GitLab CI sets it)")
    token = (env.get("GITLAB_TOKEN") or "").strip()
    if not token:
        raise GitHubCommentError(
            "no GitLab token: set GITLAB_TOKEN to a project access token with the api scope "
            "(a masked CI/CD variable; the job token cannot write notes)"
        )
    project = (env.get("CI_PROJECT_ID") or "").strip()
    if not project.isdigit():
        raise GitHubCommentError("no project: set CI_PROJECT_ID (GitLab CI sets it)")
    if mr is None:
        iid = (env.get("CI_MERGE_REQUEST_IID") or "").strip()
        if not iid.isdigit() or int(iid) < 1:
            raise GitHubCommentError(
                "no merge request: CI_MERGE_REQUEST_IID is not set (run the job in merge-request "
                "pipelines, or pass --mr IID)"
            )
        mr = int(iid)
    return Settings(api_url=check_api_url(api_url), token=token, repository=project, pr=mr)


class GitLab(GitHub):
    """The merge request's notes: list (paged), create, update (PUT), delete."""

    update_method = "PUT"

    def __init__(self, settings: Settings, **kwargs: object) -> None:
        super().__init__(settings, **kwargs)  # type: ignore[arg-type]
        for name in ("Authorization", "X-GitHub-Api-Version"):
            self.session.headers.pop(name, None)
        self.session.headers["Accept"] = "application/json"
        self.session.headers["PRIVATE-TOKEN"] = settings.token

    @property
    def comments_url(self) -> str:
        s = self.settings
        return f"{s.api_url}/projects/{s.repository}/merge_requests/{s.pr}/notes"

    def comment_url(self, comment_id: int) -> str:
        return f"{self.comments_url}/{comment_id}"

    def _rate_limit_wait(self, resp: requests.Response) -> float | None:
        if resp.status_code != 429:
            return None
        if not resp.headers.get("Retry-After") and resp.headers.get("RateLimit-Reset"):
            try:
                return float(resp.headers["RateLimit-Reset"]) - self.clock() + 1
            except ValueError:
                return DEFAULT_MAX_WAIT
        return super()._rate_limit_wait(resp)

    service = "GitLab"
    notes = "notes"
    note = "note"
    max_body = 1_000_000  # GitLab's API docs: "Limited to 1,000,000 characters."
    request_name = "merge request"
    rate_headers = "Retry-After, RateLimit-Reset"
    number_option = ("--mr", "IID", "The merge request (default: CI_MERGE_REQUEST_IID).")

    def _refusal(self, status: int, msg: str) -> str | None:
        s = self.settings
        if status == 401:
            return "check GITLAB_TOKEN"
        if status == 403:
            return "GITLAB_TOKEN needs the api scope and at least the Reporter role in the project"
        if status == 404:
            return (
                f"is {s.repository} the project and !{s.pr} its merge request, and may the "
                "token see them?"
            )
        return None


def run(
    directory: Path,
    env: Mapping[str, str] = os.environ,
    *,
    key: str = "plan",
    mr: int | None = None,
    max_wait: float = DEFAULT_MAX_WAIT,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Settings, Outcome]:
    return post_from(
        directory,
        lambda: settings_from_env(env, mr),
        lambda settings: GitLab(settings, max_wait=max_wait, sleep=sleep),
        key,
    )
