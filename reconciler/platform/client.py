"""The one client for the tenant's Apps API: basic auth, the 1 request/second budget, safe
retries and typed answers.

Policy lives here and in :mod:`~reconciler.platform.throttle` (when to wait, when to retry);
:mod:`~reconciler.platform.decode` says what an answer means; ``_send`` only sends.

Which calls are retried:

- GETs (template, jobs, job, scheme/update errors, DNC check) and the idempotent DNC add/remove
  and replace-upload: on connection errors, timeouts, 429 and 5xx, with backoff, within
  ``RetryPolicy.deadline``.
- upload (creates a job, not idempotent): a failure *before* sending (connection refused,
  connect timeout) or a 429 is retried directly; after an *ambiguous* failure (connection
  dropped after sending, read timeout, 5xx) the job list is searched for the upload's filename
  first, and only if no new job carries it is the file sent again.
- proceed: after an ambiguous failure the job is re-read; ``in_progress``/``finished`` means it
  went through (and "Update is already in progress." is then not an error).

Time bounds: every call (all its attempts, the waits for the throttle and the transfer of each
answer) ends by its deadline: ``request_timeout`` seconds when set (``--request-timeout``,
``CCAI_REQUEST_TIMEOUT``), else 300 s for the template and ``RetryPolicy.deadline`` (60 s) for
the others; and, inside :meth:`PlatformClient.time_limit`, by that limit too. A transfer still
running at the deadline is cut by a watchdog (:mod:`~reconciler.platform.transport`), so a
server trickling its answer cannot hold a call past it: :class:`DeadlineError`.
"""

from __future__ import annotations

import gc
import ipaddress
import json
import logging
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import requests
from pydantic import TypeAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from reconciler import __version__
from reconciler.platform import models as m
from reconciler.platform.decode import (
    RawResponse,
    decode,
    decode_items,
    error_for,
    is_retryable_status,
    parse_retry_after,
    server_message,
)
from reconciler.platform.errors import (
    ApiError,
    ConnectionSettingsError,
    DeadlineError,
    MalformedResponseError,
    TransportError,
)
from reconciler.platform.throttle import (
    Clock,
    RetryPolicy,
    SharedPace,
    Sleep,
    SlotBeyondDeadline,
    Throttle,
)
from reconciler.platform.transport import Watchdog, WatchedAdapter
from reconciler.state import Tenant

T = TypeVar("T")

log = logging.getLogger("reconciler.platform")

USER_AGENT = f"ccai-reconciler/{__version__}"
API_PATH = "/apps/api/v1"
DEFAULT_TIMEOUT = (10.0, 120.0)  # connect, each read (also capped by the call's deadline)
TEMPLATE_DEADLINE = 300.0  # seconds for the template call (tens of MB for a large tenant)
REQUEST_TIMEOUT_SETTING = "--request-timeout / CCAI_REQUEST_TIMEOUT"
MAX_BODY = 2**30  # bytes: 10x the template of a 50,000-user tenant
BODY_CHUNK = 2**20
ALREADY_IN_PROGRESS = "Update is already in progress."
JOBS_PER_PAGE = 100  # the vendor's maximum page size
JOBS_HORIZON = 24 * 3600.0  # how far back (before the newest job) the job list is read

ENDPOINTS = (
    "template",
    "jobs",
    "job",
    "upload",
    "replace_upload",
    "proceed",
    "scheme_errors",
    "update_errors",
    "dnc_add",
    "dnc_remove",
    "dnc_check",
)


class _NotSent(Exception):
    """The request surely did not reach the server (refused, connect timeout)."""


class _Ambiguous(Exception):
    """The request may have reached the server (reset after sending, read timeout)."""


class _TooLarge(Exception):
    """The answer is larger than ``PlatformClient.max_body``."""


@dataclass(frozen=True, slots=True)
class _Bound:
    """A call's deadline: ``at`` on the client's clock, ``seconds`` long, set by ``what``."""

    at: float
    seconds: float
    what: str


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n} bytes"


def _describe(exc: requests.RequestException) -> str:
    """A short, token-free description of a transport failure (never the request headers)."""
    if isinstance(exc, requests.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, requests.ReadTimeout):
        return "read timeout"
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        name = type(reason).__name__ if reason is not None else type(exc).__name__
        return f"connection error ({name})"
    return type(exc).__name__


def _not_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _has_next_page(raw: RawResponse, size: int) -> bool:
    """Whether the job list has a page after this one: the ``Link`` header's ``rel="next"``
    when the server sends a ``Link`` header, else a full page (a server that ignores paging
    returns everything at once; the caller stops when a page brings no new job)."""
    link = raw.headers.get("Link")
    if link is not None:
        return any('rel="next"' in part or "rel=next" in part for part in link.split(","))
    return size >= JOBS_PER_PAGE


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """A usable base URL: https, or http on a loopback host; no credentials in it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectionSettingsError(
            f"base URL {parts.scheme + '://' if parts.scheme else ''}{parts.hostname or ''}"
            f"{parts.path} is not an http(s) URL"
        )
    if parts.username or parts.password:
        raise ConnectionSettingsError(
            "the base URL must not contain credentials: give the token with CCAI_API_TOKEN or "
            "--token-file"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConnectionSettingsError(
            f"refusing plain http to {parts.hostname}: use https (http is only allowed for "
            "loopback hosts such as 127.0.0.1 and localhost)"
        )
    if parts.query or parts.fragment:
        raise ConnectionSettingsError("the base URL must not have a query or fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def read_token_file(path: str | os.PathLike[str]) -> str:
    p = Path(path)
    try:
        token = p.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise ConnectionSettingsError(
            f"cannot read the token file {p}: {err.strerror or type(err).__name__}"
        ) from None
    except UnicodeDecodeError:
        raise ConnectionSettingsError(f"the token file {p} is not UTF-8 text") from None
    if not token:
        raise ConnectionSettingsError(f"the token file {p} is empty")
    return token


def connect(
    tenant: Tenant | None = None,
    *,
    token: str | None = None,
    token_file: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    rate: float = 1.0,
    verbose: bool = False,
    env: Mapping[str, str] = os.environ,
    echo: Callable[[str], None] | None = None,
    retry: RetryPolicy | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    request_timeout: float | None = None,
    shared_pace: bool = True,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
) -> PlatformClient:
    """Resolve the connection settings and open a client.

    Token: ``token``, else ``token_file``, else ``CCAI_API_TOKEN``. Subdomain and domain:
    ``CCAI_SUBDOMAIN`` / ``CCAI_DOMAIN``, else the config's ``tenant:`` section. URL:
    ``base_url``, else ``CCAI_BASE_URL``, else ``https://{subdomain}.{domain}/apps/api/v1``.
    """
    if not (isinstance(rate, int | float) and rate > 0):
        raise ConnectionSettingsError(f"--rate must be a positive number, got {rate!r}")
    if request_timeout is not None and not (
        isinstance(request_timeout, int | float) and request_timeout > 0
    ):
        raise ConnectionSettingsError(
            f"--request-timeout must be a positive number of seconds, got {request_timeout!r}"
        )
    tenant = tenant or Tenant()
    subdomain = (env.get("CCAI_SUBDOMAIN") or tenant.subdomain or "").strip() or None
    domain = (env.get("CCAI_DOMAIN") or tenant.domain or "").strip() or None
    url = (base_url or env.get("CCAI_BASE_URL") or "").strip() or None

    if url is not None:
        url = check_base_url(url)
        if subdomain is None:
            host = urlsplit(url).hostname or ""
            labels = host.split(".")
            if not is_loopback(host) and len(labels) > 2 and not host.replace(".", "").isdigit():
                subdomain = labels[0]
        if subdomain is None:
            raise ConnectionSettingsError(
                "no subdomain: set CCAI_SUBDOMAIN or tenant.subdomain in the config (it is the "
                "API user name)"
            )
    else:
        missing = [
            name
            for name, value in (("CCAI_SUBDOMAIN", subdomain), ("CCAI_DOMAIN", domain))
            if value is None
        ]
        if missing:
            raise ConnectionSettingsError(
                f"no tenant address: set {' and '.join(missing)} (or tenant.subdomain and "
                "tenant.domain in the config, or CCAI_BASE_URL)"
            )
        url = check_base_url(f"https://{subdomain}.{domain}{API_PATH}")
    assert subdomain is not None

    if token is None and token_file is not None:
        token = read_token_file(token_file)
    if token is None:
        token = (env.get("CCAI_API_TOKEN") or "").strip() or None
    if not token:
        raise ConnectionSettingsError("no API token: set CCAI_API_TOKEN or pass --token-file PATH")
    return PlatformClient(
        base_url=url,
        subdomain=subdomain,
        token=token,
        rate=rate,
        verbose=verbose,
        echo=echo,
        retry=retry,
        timeout=timeout,
        request_timeout=request_timeout,
        shared_pace=shared_pace,
        clock=clock,
        sleep=sleep,
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _default_echo(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class PlatformClient:
    """Typed access to the bulk-user and DNC endpoints. Use as a context manager (or call
    :meth:`close`). ``calls`` counts every HTTP request sent (retries included) by endpoint."""

    def __init__(
        self,
        *,
        base_url: str,
        subdomain: str,
        token: str,
        rate: float = 1.0,
        verbose: bool = False,
        echo: Callable[[str], None] | None = None,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        request_timeout: float | None = None,
        shared_pace: bool = True,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        margin: float | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.subdomain = subdomain
        self.verbose = verbose
        self._echo = echo or _default_echo
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.request_timeout = request_timeout
        self.max_body = MAX_BODY
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()  # time_limit() of the current thread
        throttle_kwargs: dict[str, Any] = {"clock": clock, "sleep": sleep}
        if margin is not None:
            throttle_kwargs["margin"] = margin
        if shared_pace and clock is time.monotonic:  # (wall-clock file: not with a fake clock)
            throttle_kwargs["pace"] = SharedPace.for_tenant(self.base_url, subdomain)
        self.throttle = Throttle(rate, **throttle_kwargs)
        self.calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()
        # Job ids seen per filename in earlier job listings: never "this upload's" job.
        self._seen_jobs: dict[str, set[int]] = {}
        self._session = requests.Session()
        adapter = WatchedAdapter()
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.auth = (subdomain, token)  # the only place the token is kept
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.headers["Accept"] = "application/json"
        self._session.verify = True

    def __repr__(self) -> str:
        return (
            f"PlatformClient(base_url={self.base_url!r}, subdomain={self.subdomain!r}, "
            f"rate={self.throttle.rate:g})"
        )

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    # --- time bounds ------------------------------------------------------------------------

    @contextmanager
    def time_limit(self, seconds: float, what: str) -> Iterator[None]:
        """Every call this thread makes inside the block ends within ``seconds`` from now
        (waits for the rate limit, retries and transfers included), or raises
        :class:`DeadlineError` naming ``what`` (e.g. ``"apply --timeout 20 s"``). Nested limits:
        the earliest wins."""
        outer: _Bound | None = getattr(self._local, "limit", None)
        bound = _Bound(self._clock() + max(0.0, seconds), max(0.0, seconds), what)
        self._local.limit = bound if outer is None or bound.at < outer.at else outer
        try:
            yield
        finally:
            self._local.limit = outer

    def _bound(self, endpoint: str) -> _Bound:
        """The deadline of a call starting now."""
        if self.request_timeout is not None:
            seconds = float(self.request_timeout)
        elif endpoint == "template":
            seconds = max(TEMPLATE_DEADLINE, self.retry.deadline)
        else:
            seconds = self.retry.deadline
        own = _Bound(self._clock() + seconds, seconds, REQUEST_TIMEOUT_SETTING)
        limit: _Bound | None = getattr(self._local, "limit", None)
        return limit if limit is not None and limit.at < own.at else own

    def _deadline_error(self, method: str, path: str, bound: _Bound, why: str) -> DeadlineError:
        return DeadlineError(
            f"{method} {path} {why} within {bound.seconds:g} s (the bound set by {bound.what}); "
            f"{self._host()} is too slow or not answering",
            method=method,
            path=path,
        )

    # --- transport --------------------------------------------------------------------------

    def _send(
        self,
        endpoint: str,
        method: str,
        path: str,
        bound: _Bound,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> RawResponse:
        """One throttled HTTP request, over by ``bound``. Raises _NotSent / _Ambiguous on
        transport failures, DeadlineError when the bound is reached (before sending: the slot
        is too late; while sending or receiving: the watchdog cut the connection)."""
        try:
            self.throttle.acquire(bound.at)
        except SlotBeyondDeadline:
            raise self._deadline_error(
                method, path, bound, "could not be sent (the next request slot is too late)"
            ) from None
        remaining = bound.at - self._clock()
        if remaining <= 0:
            raise self._deadline_error(method, path, bound, "could not be sent")
        with self._calls_lock:
            self.calls[endpoint] += 1
        shown = path + ("?" + urlencode(params) if params else "")
        started = self._clock()
        failure: tuple[str, bool] | None = None
        timeout = (min(self.timeout[0], remaining), min(self.timeout[1], remaining))
        watchdog = Watchdog(remaining)
        try:
            with watchdog:
                resp = self._session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    json=json_body,
                    data=data,
                    files=files,
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                )
                with resp:
                    body = self._read_body(resp)
        except _TooLarge:
            raise MalformedResponseError(
                f"the answer to {method} {path} is larger than {_size(self.max_body)}: "
                "refused (not an answer this API gives)",
                method=method,
                path=path,
            ) from None
        except requests.RequestException as exc:
            failure = (_describe(exc), _not_sent(exc))
        except (OSError, ValueError) as exc:  # a socket cut mid-read may surface raw
            if not watchdog.fired:
                raise
            failure = (type(exc).__name__, False)
        if watchdog.fired:
            self._report(f"{method} {shown} -> deadline ({self._clock() - started:.2f}s)")
            raise self._deadline_error(method, path, bound, "got no complete answer")
        if failure is not None:
            # Raised outside the except block: no exception chain keeps requests' exception,
            # whose request object holds the Authorization header.
            what, not_sent = failure
            self._report(f"{method} {shown} -> {what} ({self._clock() - started:.2f}s)")
            raise _NotSent(what) if not_sent else _Ambiguous(what)
        elapsed = self._clock() - started
        self._report(f"{method} {shown} -> {resp.status_code} ({elapsed:.2f}s)")
        if resp.status_code != 429:
            self.throttle.success()
        return RawResponse(resp.status_code, resp.headers, body)

    def _read_body(self, resp: requests.Response) -> bytes:
        """The whole body, in chunks, refusing one above ``max_body`` bytes (a hostile or
        broken server must not exhaust memory; the deadline bounds the time)."""
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_content(BODY_CHUNK):
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _report(self, line: str) -> None:
        log.debug("%s", line)
        if self.verbose:
            self._echo(line)

    def _error(self, raw: RawResponse, method: str, path: str, base_path: bool) -> ApiError:
        return error_for(
            raw, method=method, path=path, subdomain=self.subdomain, base_path=base_path
        )

    def _wait_before_retry(
        self, attempt: int, deadline: float, raw: RawResponse | None, *, what: str
    ) -> bool:
        """Back off (or honour Retry-After) before attempt ``attempt + 1``; False when the
        call's deadline or attempt budget is spent."""
        if attempt + 1 >= self.retry.max_attempts:
            return False
        if raw is not None and raw.status == 429:
            after = parse_retry_after(raw.headers.get("Retry-After"))
            if self._clock() + (after or 0.0) > deadline:
                return False
            self.throttle.penalize(after)
            self._report(
                f"rate limited ({what}): waiting {after if after is not None else 'one interval'}"
                f"{'s' if after is not None else ''}, then {self.throttle.rate:.3g} requests/s"
            )
            return True
        delay = self.retry.backoff(attempt)
        if self._clock() + delay > deadline:
            return False
        if delay > 0:
            self._sleep(delay)
        return True

    def _call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        base_path: bool,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> RawResponse:
        """A retryable call: GETs and idempotent writes. Returns the 2xx answer."""
        bound = self._bound(endpoint)
        deadline = bound.at
        attempt = 0
        while True:
            raw: RawResponse | None = None
            try:
                raw = self._send(
                    endpoint,
                    method,
                    path,
                    bound,
                    params=params,
                    json_body=json_body,
                    data=data,
                    files=files,
                )
            except (_NotSent, _Ambiguous) as exc:
                if not self._wait_before_retry(attempt, deadline, None, what=str(exc)):
                    raise TransportError(
                        f"{method} {path} failed: {exc} (gave up after {attempt + 1} "
                        f"attempt{'s' if attempt else ''}; is {self._host()} reachable?)",
                        method=method,
                        path=path,
                    ) from None
            else:
                if 200 <= raw.status < 300:
                    return raw
                if not is_retryable_status(raw.status) or not self._wait_before_retry(
                    attempt, deadline, raw, what=f"HTTP {raw.status}"
                ):
                    raise self._error(raw, method, path, base_path)
            attempt += 1

    def _host(self) -> str:
        return urlsplit(self.base_url).netloc

    def _get(
        self,
        adapter: TypeAdapter[T],
        endpoint: str,
        path: str,
        *,
        base_path: bool,
        params: dict[str, str] | None = None,
    ) -> T:
        raw = self._call(endpoint, "GET", path, base_path=base_path, params=params)
        return decode(adapter, raw, method="GET", path=path)

    # --- bulk users -------------------------------------------------------------------------

    def template(self) -> list[m.TemplateRow]:
        """Every user with all roles and teams (one GET).

        The body is validated straight from bytes (no intermediate dicts), with the cyclic
        garbage collector paused: the millions of small objects of a large template otherwise
        trigger collection after collection (50,000 users: 12.7 s without, ~2 s with)."""
        path = "/bulk/users/template"
        raw = self._call("template", "GET", path, base_path=True)
        with _gc_paused():
            return decode(m.TEMPLATE, raw, method="GET", path=path)

    def iter_template(self) -> Iterator[m.TemplateRow]:
        """The template one row at a time (one GET, fetched in full before the first row).

        Rows are decoded incrementally, so a large tenant never exists as one big parsed
        document: this is what the plan uses. A body that is not a JSON array fails before
        the first row."""
        path = "/bulk/users/template"
        raw = self._call("template", "GET", path, base_path=True)
        return decode_items(m.TemplateRow, raw, method="GET", path=path)

    def jobs(self, horizon: float = JOBS_HORIZON) -> list[m.Job]:
        """The job list, newest first, read page by page (``per_page=100``) only as far back
        as it can matter: up to the first page whose oldest job was created more than
        ``horizon`` seconds before the newest job seen (the tenant's own timestamps, so no
        clock skew), or to the end. See docs/api-assumptions.md (the paging) and docs/apply.md
        (why older jobs cannot matter: an unproceeded job that old is abandoned, and this
        tool's own jobs are proceeded within minutes of their upload)."""
        path = "/bulk/users/jobs"
        out: list[m.Job] = []
        seen: set[int] = set()
        newest: datetime | None = None
        page = 1
        while True:
            params = {"page": str(page), "per_page": str(JOBS_PER_PAGE)}
            raw = self._call("jobs", "GET", path, base_path=True, params=params)
            batch = decode(m.JOBS, raw, method="GET", path=path)
            fresh = [j for j in batch if j.id not in seen]
            for job in fresh:
                seen.add(job.id)
                out.append(job)
                if job.filename is not None:
                    self._seen_jobs.setdefault(job.filename, set()).add(job.id)
            stamps = [j.created_at for j in fresh if j.created_at is not None]
            if stamps:
                newest = max([*stamps, *([newest] if newest else [])])
            if not fresh or not _has_next_page(raw, len(batch)):
                break
            if newest is not None and stamps and min(stamps) < newest - timedelta(seconds=horizon):
                break  # read far enough back
            page += 1
        out.sort(key=lambda j: -j.id)
        return out

    def job(self, job_id: int) -> m.Job:
        return self._get(m.JOB, "job", f"/bulk/users/jobs/{int(job_id)}", base_path=False)

    def find_job(self, filename: str) -> m.Job | None:
        """The newest job carrying ``filename``, or None (the paged job list, see jobs())."""
        matches = [j for j in self.jobs() if j.filename == filename]
        return max(matches, key=lambda j: j.id) if matches else None

    def scheme_errors(self, job_id: int) -> list[m.SchemeError]:
        return self._get(
            m.SCHEME_ERRORS,
            "scheme_errors",
            f"/bulk/users/errors/scheme/{int(job_id)}",
            base_path=False,
        )

    def update_errors(self, job_id: int) -> list[m.UpdateError]:
        return self._get(
            m.UPDATE_ERRORS,
            "update_errors",
            f"/bulk/users/errors/update/{int(job_id)}",
            base_path=False,
        )

    @staticmethod
    def _file(rows: list[dict[str, Any]], filename: str) -> dict[str, tuple[str, bytes, str]]:
        body = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return {"file": (filename, body, "application/json")}

    def _job_after_write(
        self, raw: RawResponse, method: str, path: str, filename: str | None, total_rows: int | None
    ) -> m.Job:
        """Re-read the job named by an upload/proceed answer; if that read fails, the job as
        far as the answer tells (the change went through either way)."""
        created = decode(m.JOB_CREATED, raw, method=method, path=path)
        try:
            return self.job(created.id)
        except ApiError as err:
            log.warning("could not re-read job %s after %s %s: %s", created.id, method, path, err)
            return m.Job(
                id=created.id, status=created.status, filename=filename, total_rows=total_rows
            )

    def upload(self, rows: list[dict[str, Any]], filename: str) -> m.Job:
        """Create a bulk job from ``rows`` under ``filename`` (which must identify this change,
        e.g. from the plan hash). Never creates two jobs for one call: after an ambiguous
        failure the job list is searched for ``filename`` before sending again."""
        method, path = "POST", "/bulk/users/upload"
        files = self._file(rows, filename)
        known = set(self._seen_jobs.get(filename, ()))
        bound = self._bound("upload")
        deadline = bound.at
        attempt = 0
        while True:
            raw: RawResponse | None = None
            ambiguous: str | None = None
            try:
                raw = self._send("upload", method, path, bound, files=files)
            except _NotSent as exc:
                why = str(exc)
            except _Ambiguous as exc:
                why = ambiguous = str(exc)
            else:
                if 200 <= raw.status < 300:
                    return self._job_after_write(raw, method, path, filename, len(rows))
                why = f"HTTP {raw.status}"
                if raw.status >= 500:
                    ambiguous = why
                elif raw.status != 429:
                    raise self._error(raw, method, path, base_path=True)
            if ambiguous is not None:
                job = self._find_new_job(filename, known)
                if job is not None:
                    log.info("upload %s went through despite %s: job %s", filename, why, job.id)
                    return job
            if not self._wait_before_retry(attempt, deadline, raw, what=why):
                if raw is not None:
                    raise self._error(raw, method, path, base_path=True)
                raise TransportError(
                    f"{method} {path} failed: {why} (gave up after {attempt + 1} attempts; no "
                    f"job named {filename!r} was created)",
                    method=method,
                    path=path,
                )
            attempt += 1

    def _find_new_job(self, filename: str, known: set[int]) -> m.Job | None:
        """After an ambiguous upload: the job this upload created, if any. Not one seen in an
        earlier listing, and not one already proceeded (ours cannot be): no clock comparison,
        so a skewed server clock cannot mislead it."""
        matches = [
            j
            for j in self.jobs()
            if j.filename == filename and j.id not in known and not j.accepted
        ]
        return max(matches, key=lambda j: j.id) if matches else None

    def replace_upload(self, job_id: int, rows: list[dict[str, Any]], filename: str) -> m.Job:
        """Replace the file of a job that has not proceeded (PUT; idempotent, so retried)."""
        method, path = "PUT", "/bulk/users/upload"
        raw = self._call(
            "replace_upload",
            method,
            path,
            base_path=False,
            data={"id": str(int(job_id))},
            files=self._file(rows, filename),
        )
        return self._job_after_write(raw, method, path, filename, len(rows))

    def proceed(self, job_id: int) -> m.Job:
        """Start the update of a validated job. Safe after an ambiguous failure: the job is
        re-read, and ``in_progress``/``finished`` means the proceed went through."""
        method, path = "POST", "/bulk/users/proceed"
        data = {"id": str(int(job_id))}
        bound = self._bound("proceed")
        deadline = bound.at
        attempt = 0
        was_ambiguous = False
        while True:
            raw: RawResponse | None = None
            ambiguous = False
            try:
                raw = self._send("proceed", method, path, bound, data=data)
            except _NotSent as exc:
                why = str(exc)
            except _Ambiguous as exc:
                why, ambiguous = str(exc), True
            else:
                if 200 <= raw.status < 300:
                    return self._job_after_write(raw, method, path, None, None)
                why = f"HTTP {raw.status}"
                if raw.status >= 500:
                    ambiguous = True
                elif raw.status != 429:
                    if was_ambiguous and server_message(raw.body) == ALREADY_IN_PROGRESS:
                        return self.job(job_id)
                    raise self._error(raw, method, path, base_path=False)
            if ambiguous:
                was_ambiguous = True
                job = self.job(job_id)
                if job.accepted:
                    return job
            if not self._wait_before_retry(attempt, deadline, raw, what=why):
                if raw is not None:
                    raise self._error(raw, method, path, base_path=False)
                raise TransportError(
                    f"{method} {path} failed: {why} (gave up after {attempt + 1} attempts)",
                    method=method,
                    path=path,
                )
            attempt += 1

    # --- DNC --------------------------------------------------------------------------------

    def dnc_add(self, contacts: list[m.DncContact]) -> list[m.DncAddResult]:
        """Add or update numbers (an upsert, so retried). One result per contact, in order."""
        if not contacts:
            return []
        path = "/outbound_dialer/dnc"
        raw = self._call(
            "dnc_add",
            "POST",
            path,
            base_path=True,
            json_body={"contacts": [c.payload() for c in contacts]},
        )
        return decode(m.DNC_ADD_RESULTS, raw, method="POST", path=path)

    def dnc_remove(self, numbers: list[str]) -> list[m.DncRemoveResult]:
        """Remove numbers (idempotent, so retried). One result per number, in order."""
        if not numbers:
            return []
        path = "/outbound_dialer/dnc/remove"
        raw = self._call(
            "dnc_remove", "POST", path, base_path=True, json_body={"phone_numbers": list(numbers)}
        )
        return decode(m.DNC_REMOVE_RESULTS, raw, method="POST", path=path)

    def dnc_check(self, number: str) -> m.DncCheck:
        return self._get(
            m.DNC_CHECK,
            "dnc_check",
            "/outbound_dialer/dnc/check",
            base_path=True,
            params={"phone_number": number},
        )


def time_limit(client: Any, seconds: float, what: str) -> AbstractContextManager[None]:
    """``client.time_limit(seconds, what)`` for a :class:`PlatformClient`; nothing for another
    client object (the test doubles of the apply driver)."""
    limit = getattr(client, "time_limit", None)
    return limit(seconds, what) if callable(limit) else nullcontext()


__all__ = [
    "ENDPOINTS",
    "USER_AGENT",
    "PlatformClient",
    "check_base_url",
    "connect",
    "is_loopback",
    "time_limit",
]
