"""Sticky pull-request comments for the Markdown plan parts (``plan --out-dir DIR``).

The first run creates one comment per part; every later run edits the same comments, adds
comments when the plan grew and deletes its extra ones when it shrank. Its own comments are
told apart by a hidden marker on their first line (``<!-- ccai-reconciler plan key=K part=N
-->``); nobody else's comment is ever edited or deleted. The key keeps several plans apart in
one pull request (one per tenant). See docs/ci.md.

It talks to the GitHub REST API (``GITHUB_API_URL``, so GitHub Enterprise too) with the token
of the run (``GITHUB_TOKEN``); the token is never printed.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from reconciler import __version__
from reconciler.errors import ReconcilerError
from reconciler.platform.connection import is_loopback

DEFAULT_API_URL = "https://api.github.com"
MARKER_RE = re.compile(r"\A<!-- ccai-reconciler plan key=(?P<key>[\w.-]+) part=(?P<part>\d+) -->")
KEY_RE = re.compile(r"\A[\w.-]+\Z")
PART_RE = re.compile(r"\Aplan-(\d+)\.md\Z")
#: GitHub refuses comment bodies longer than this.
MAX_BODY = 65536
#: Rate limit: wait at most this many seconds at a time, and at most this many times a run.
DEFAULT_MAX_WAIT = 60.0
MAX_WAITS = 3


class GitHubCommentError(ReconcilerError):
    """The plan comment cannot be posted (settings, permissions, the API)."""


@dataclass
class Settings:
    api_url: str
    token: str = field(repr=False)
    repository: str
    pr: int


@dataclass
class Outcome:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    first_url: str | None = None

    def summary(self, pr: int) -> str:
        counts = ", ".join(
            f"{len(ids)} {what}"
            for what, ids in (
                ("created", self.created),
                ("updated", self.updated),
                ("unchanged", self.unchanged),
                ("deleted", self.deleted),
            )
        )
        return f"Plan comment on #{pr}: {counts}." + (
            f" {self.first_url}" if self.first_url else ""
        )


def marker(key: str, part: int) -> str:
    return f"<!-- ccai-reconciler plan key={key} part={part} -->"


def read_parts(directory: Path) -> list[str]:
    """The parts ``plan --out-dir`` wrote, in order (plan-1.md, plan-2.md, ...)."""
    if not directory.is_dir():
        raise GitHubCommentError(
            f"{directory} is not a directory: write the plan parts first with "
            f"`ccai-reconciler plan --out-dir {directory}`"
        )
    numbered = []
    for path in directory.iterdir():
        m = PART_RE.match(path.name)
        if m:
            numbered.append((int(m.group(1)), path))
    if not numbered:
        raise GitHubCommentError(
            f"no plan parts (plan-1.md, ...) in {directory}: write them with "
            f"`ccai-reconciler plan --out-dir {directory}`"
        )
    numbered.sort()
    if [n for n, _ in numbered] != list(range(1, len(numbered) + 1)):
        raise GitHubCommentError(f"the plan parts in {directory} are not numbered 1, 2, ...")
    try:
        return [p.read_text(encoding="utf-8") for _, p in numbered]
    except (OSError, UnicodeDecodeError) as err:
        raise GitHubCommentError(f"cannot read the plan parts in {directory}: {err}") from None


def check_api_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GitHubCommentError(f"GITHUB_API_URL {url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise GitHubCommentError("GITHUB_API_URL must not contain credentials")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise GitHubCommentError(
            f"refusing plain http to {parts.hostname}: use https (http is only allowed for "
            "loopback hosts such as 127.0.0.1 and localhost)"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def settings_from_env(env: Mapping[str, str], pr: int | None = None) -> Settings:
    """The run's settings from the standard GitHub Actions environment."""
    api_url = check_api_url(env.get("GITHUB_API_URL") or DEFAULT_API_URL)
    token = (env.get("GITHUB_TOKEN") or "").strip()
    if not token:
        raise GitHubCommentError(
            "no GitHub token: set GITHUB_TOKEN (in a workflow: "
            "`env: GITHUB_TOKEN: ${{ github.token }}`)"
        )
    repository = (env.get("GITHUB_REPOSITORY") or "").strip()
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        raise GitHubCommentError(
            "no repository: set GITHUB_REPOSITORY to OWNER/NAME (GitHub Actions sets it)"
        )
    if pr is None:
        pr = pr_from_event(env.get("GITHUB_EVENT_PATH"))
    return Settings(api_url=api_url, token=token, repository=repository, pr=pr)


def pr_from_event(event_path: str | None) -> int:
    """``pull_request.number`` (or ``issue.number``) of the event that started the run."""
    hint = "run it on pull_request events, or pass --pr NUMBER"
    if not event_path:
        raise GitHubCommentError(f"no pull request number: GITHUB_EVENT_PATH is not set ({hint})")
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise GitHubCommentError(
            f"cannot read the event file {event_path}: {getattr(err, 'strerror', None) or err}"
        ) from None
    for key in ("pull_request", "issue"):
        item = event.get(key) if isinstance(event, dict) else None
        number = item.get("number") if isinstance(item, dict) else None
        if isinstance(number, int) and not isinstance(number, bool) and number > 0:
            return number
    raise GitHubCommentError(
        f"no pull request number: the event in {event_path} has no pull_request.number or "
        f"issue.number ({hint})"
    )


class GitHub:
    """The few issue-comment calls, with GitHub's rate limit honoured (bounded waits)."""

    def __init__(
        self,
        settings: Settings,
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        self.settings = settings
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.timeout = timeout
        self.waits = 0
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {settings.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": f"ccai-reconciler/{__version__}",
            }
        )

    def close(self) -> None:
        self.session.close()

    #: The method that edits a comment (GitLab: PUT).
    update_method = "PATCH"

    @property
    def repo_url(self) -> str:
        return f"{self.settings.api_url}/repos/{self.settings.repository}"

    @property
    def comments_url(self) -> str:
        """The pull request's comments (list, create)."""
        return f"{self.repo_url}/issues/{self.settings.pr}/comments"

    def comment_url(self, comment_id: int) -> str:
        """One comment (update, delete)."""
        return f"{self.repo_url}/issues/comments/{comment_id}"

    def request(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        return _json(self.response(method, url, body), self.service)

    def response(
        self, method: str, url: str, body: dict[str, Any] | None = None
    ) -> requests.Response:
        what = f"{method} {urlsplit(url).path}"
        while True:
            try:
                resp = self.session.request(method, url, json=body, timeout=self.timeout)
            except requests.RequestException as err:
                raise GitHubCommentError(
                    f"{what}: cannot reach {self.settings.api_url}: {type(err).__name__}"
                ) from None
            wait = self._rate_limit_wait(resp)
            if wait is None:
                break
            if wait > self.max_wait or self.waits >= MAX_WAITS:
                raise GitHubCommentError(
                    f"{what}: {self.service}'s rate limit: retry in {round(wait)} s (waited "
                    f"{self.waits} time(s) already, at most {round(self.max_wait)} s each; "
                    "--max-wait raises it)"
                )
            self.waits += 1
            self.sleep(max(wait, 0.0))
        if resp.status_code >= 400:
            raise self._error(what, resp)
        return resp

    def _rate_limit_wait(self, resp: requests.Response) -> float | None:
        """Seconds to wait before retrying, if the answer is GitHub's rate limit."""
        if resp.status_code not in (403, 429):
            return None
        retry_after = resp.headers.get("Retry-After")
        if retry_after:
            try:
                return float(retry_after)
            except ValueError:
                try:
                    return parsedate_to_datetime(retry_after).timestamp() - self.clock()
                except (TypeError, ValueError):
                    return DEFAULT_MAX_WAIT
        if resp.headers.get("x-ratelimit-remaining") == "0":
            try:
                return float(resp.headers.get("x-ratelimit-reset", "")) - self.clock() + 1
            except ValueError:
                return DEFAULT_MAX_WAIT
        if resp.status_code == 429 or "rate limit" in _message(resp).lower():
            return DEFAULT_MAX_WAIT  # a secondary limit without headers: GitHub says a minute
        return None

    #: Who answers, in messages ("GitHub refused the token", "GitHub answered 500").
    service = "GitHub"
    #: The command's words (commands/_comment.py): what the host calls its comments and the
    #: request they are on, the headers of its rate limit, and the option of the number.
    notes = "comments"
    note = "comment"
    max_body = MAX_BODY  # characters of one comment
    request_name = "pull request"
    rate_headers = "Retry-After, x-ratelimit-reset"
    number_option = (
        "--pr",
        "NUMBER",
        "The pull request (default: pull_request.number of the event at GITHUB_EVENT_PATH).",
    )

    def _refusal(self, status: int, msg: str) -> str | None:
        """What to check when the API refuses with 401, 403 or 404 (None: no advice)."""
        s = self.settings
        if status == 401:
            return "check GITHUB_TOKEN"
        if status == 403:
            return "the workflow's token needs `permissions: pull-requests: write`" + (
                " (a pull request from a fork gets a read-only token)" if msg else ""
            )
        if status == 404:
            return (
                f"is {s.repository} the repository and #{s.pr} its pull request, and may the "
                "token see them?"
            )
        return None

    def _error(self, what: str, resp: requests.Response) -> GitHubCommentError:
        status = resp.status_code
        msg = _message(resp)
        said = f" ({msg})" if msg else ""
        advice = self._refusal(status, msg)
        if advice is None:
            return GitHubCommentError(f"{what}: {self.service} answered {status}{said}")
        refused = {401: f"{self.service} refused the token", 403: "permission denied"}
        head = refused.get(status, "not found")
        return GitHubCommentError(f"{what}: {head} ({status}{said}): {advice}")

    def list_comments(self) -> list[dict[str, Any]]:
        url: str | None = f"{self.comments_url}?per_page=100"
        comments: list[dict[str, Any]] = []
        pages = 0
        while url:
            resp = self.response("GET", url)
            page = _json(resp, self.service)
            if not isinstance(page, list):
                raise GitHubCommentError(f"{self.service}'s comment list is not a list")
            comments += [c for c in page if isinstance(c, dict)]
            pages += 1
            url = resp.links.get("next", {}).get("url")
            if pages > 1000:
                raise GitHubCommentError(f"{self.service}'s comment list does not end")
        return comments

    def create(self, body: str) -> dict[str, Any]:
        made = self.request("POST", self.comments_url, {"body": body})
        return made if isinstance(made, dict) else {}

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        made = self.request(self.update_method, self.comment_url(comment_id), {"body": body})
        return made if isinstance(made, dict) else {}

    def delete(self, comment_id: int) -> None:
        self.request("DELETE", self.comment_url(comment_id))


def _json(resp: requests.Response, service: str = "GitHub") -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        what = f"{resp.request.method} {urlsplit(resp.url).path}"
        raise GitHubCommentError(f"{what}: {service}'s answer is not JSON") from None


def _message(resp: requests.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return ""
    msg = data.get("message") if isinstance(data, dict) else None
    return msg.strip()[:200] if isinstance(msg, str) else ""


def own_comments(comments: list[dict[str, Any]], key: str) -> dict[int, list[dict[str, Any]]]:
    """This key's comments by part number (oldest first), by the marker on the first line."""
    own: dict[int, list[dict[str, Any]]] = {}
    for c in comments:
        body = c.get("body")
        m = MARKER_RE.match(body) if isinstance(body, str) else None
        if m and m.group("key") == key and isinstance(c.get("id"), int):
            own.setdefault(int(m.group("part")), []).append(c)
    return own


def post_parts(gh: GitHub, parts: list[str], key: str = "plan") -> Outcome:
    """Make the pull request's comments of ``key`` exactly ``parts``: edit, add, delete."""
    if not KEY_RE.match(key):
        raise GitHubCommentError(f"--key {key!r}: use letters, digits, '.', '_' or '-'")
    outcome = Outcome()
    own = own_comments(gh.list_comments(), key)
    for i, part in enumerate(parts, 1):
        body = f"{marker(key, i)}\n{part}"
        if len(body) > gh.max_body:
            raise GitHubCommentError(
                f"plan part {i} is {len(body)} characters, more than a {gh.service} {gh.note} "
                f"holds ({gh.max_body}): write the parts with `plan --out-dir`"
            )
        existing = own.get(i, [])
        if existing:
            first, *extra = existing
            if first.get("body") == body:
                outcome.unchanged.append(first["id"])
                url = first.get("html_url")
            else:
                url = gh.update(first["id"], body).get("html_url")
                outcome.updated.append(first["id"])
            for dup in extra:  # two runs raced: keep one comment per part
                gh.delete(dup["id"])
                outcome.deleted.append(dup["id"])
        else:
            made = gh.create(body)
            outcome.created.append(made.get("id", 0))
            url = made.get("html_url")
        if i == 1 and isinstance(url, str):
            outcome.first_url = url
    for n in sorted(own):
        if n > len(parts):
            for c in own[n]:
                gh.delete(c["id"])
                outcome.deleted.append(c["id"])
    return outcome


def post_from(
    directory: Path,
    settings_of: Callable[[], Settings],
    client_of: Callable[[Settings], GitHub],
    key: str,
) -> tuple[Settings, Outcome]:
    """The plan parts in ``directory`` as the sticky comments of ``key``, through the client
    (GitHub or GitLab) made for the settings: what every ``*-comment`` command runs."""
    parts = read_parts(directory)
    settings = settings_of()
    client = client_of(settings)
    try:
        return settings, post_parts(client, parts, key)
    finally:
        client.close()


def run(
    directory: Path,
    env: Mapping[str, str] = os.environ,
    *,
    key: str = "plan",
    pr: int | None = None,
    max_wait: float = DEFAULT_MAX_WAIT,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Settings, Outcome]:
    return post_from(
        directory,
        lambda: settings_from_env(env, pr),
        lambda settings: GitHub(settings, max_wait=max_wait, sleep=sleep),
        key,
    )
