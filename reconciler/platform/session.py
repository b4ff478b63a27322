"""The HTTP session under :class:`~reconciler.platform.client.PlatformClient`: basic auth, the
1 request/second budget, safe retries and every call bounded in time.

Policy lives here and in :mod:`~reconciler.platform.throttle` (when to wait, when to retry);
:mod:`~reconciler.platform.decode` says what an answer means; ``_send`` only sends.

Which calls are retried (all by the one loop, :meth:`ApiSession._retrying`):

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
the others; and, inside :meth:`ApiSession.time_limit`, by that limit too. A transfer still
running at the deadline is cut by a watchdog (:mod:`~reconciler.platform.transport`), so a
server trickling its answer cannot hold a call past it: :class:`DeadlineError`.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypedDict, TypeVar, Unpack, cast
from urllib.parse import urlencode, urlsplit

import requests

from reconciler import __version__
from reconciler.platform.body import MAX_BODY, TooLarge, body_chunks
from reconciler.platform.connection import DEFAULT_RATE, DEFAULT_TIMEOUT, check_base_url
from reconciler.platform.decode import (
    RawResponse,
    error_for,
    is_retryable_status,
    parse_retry_after,
)
from reconciler.platform.errors import (
    ApiError,
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
from reconciler.platform.transport import (
    Watchdog,
    WatchedAdapter,
    describe_failure,
    surely_not_sent,
)

T = TypeVar("T")

log = logging.getLogger("reconciler.platform")

USER_AGENT = f"ccai-reconciler/{__version__}"
TEMPLATE_DEADLINE = 300.0  # seconds for the template call (tens of MB for a large tenant)
REQUEST_TIMEOUT_SETTING = "--request-timeout / CCAI_REQUEST_TIMEOUT"


class _NotSent(Exception):
    """The request surely did not reach the server (refused, connect timeout)."""


class _Ambiguous(Exception):
    """The request may have reached the server (reset after sending, read timeout)."""


@dataclass(frozen=True, slots=True)
class _Bound:
    """A call's deadline: ``at`` on the client's clock, ``seconds`` long, set by ``what``."""

    at: float
    seconds: float
    what: str


@dataclass(frozen=True, slots=True)
class _Request:
    """What one call sends (on every attempt)."""

    endpoint: str
    method: str
    path: str
    base_path: bool
    params: dict[str, str] | None = None
    json_body: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    # A 2xx body is read by stream(status, chunks) as it arrives (into RawResponse.decoded).
    stream: Callable[[int, Iterator[bytes]], Any] | None = None


class SessionOptions(TypedDict, total=False):
    """How a client behaves, apart from where it connects and as whom: the keyword options of
    :class:`ApiSession` (so of :class:`~reconciler.platform.client.PlatformClient`) and of
    :func:`~reconciler.platform.connect`. All optional; the defaults are in ``ApiSession``."""

    rate: float  # requests per second (DEFAULT_RATE)
    verbose: bool  # echo each request and its answer (method, path, status, time)
    echo: Callable[[str], None] | None  # where verbose lines go (stderr)
    retry: RetryPolicy | None  # backoff, attempts, per-call deadline (RetryPolicy())
    timeout: tuple[float, float]  # connect, each read (DEFAULT_TIMEOUT)
    request_timeout: float | None  # seconds for every call (None: per endpoint)
    shared_pace: bool  # share the pace with other processes through the pace file (True)
    clock: Clock  # time.monotonic
    sleep: Sleep  # time.sleep
    margin: float | None  # the throttle's safety margin (None: the throttle's default)
    token_source: str  # where the token came from, named in a 401 ("CCAI_API_TOKEN")


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n} bytes"


def _default_echo(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class ApiSession:
    """Requests to the tenant's Apps API: throttled, retried, bounded in time. Use as a context
    manager (or call :meth:`close`). ``calls`` counts every HTTP request sent (retries
    included) by endpoint. The endpoints are :class:`~reconciler.platform.client.PlatformClient`.
    """

    def __init__(
        self, *, base_url: str, subdomain: str, token: str, **options: Unpack[SessionOptions]
    ) -> None:
        unknown = options.keys() - SessionOptions.__optional_keys__
        if unknown:  # what a misspelt keyword argument would have raised
            raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        clock = options.get("clock", time.monotonic)
        sleep = options.get("sleep", time.sleep)
        margin = options.get("margin")
        self.base_url = check_base_url(base_url)
        self.subdomain = subdomain
        self.token_source = options.get("token_source", "CCAI_API_TOKEN")
        self.verbose = options.get("verbose", False)
        self._echo = options.get("echo") or _default_echo
        self.retry = options.get("retry") or RetryPolicy()
        self.timeout = options.get("timeout", DEFAULT_TIMEOUT)
        self.request_timeout = options.get("request_timeout")
        self.max_body = MAX_BODY
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()  # time_limit() of the current thread
        throttle_kwargs: dict[str, Any] = {"clock": clock, "sleep": sleep}
        if margin is not None:
            throttle_kwargs["margin"] = margin
        # The pace file holds wall-clock times: not with a fake clock.
        if options.get("shared_pace", True) and clock is time.monotonic:
            throttle_kwargs["pace"] = SharedPace.for_tenant(self.base_url, subdomain)
        self.throttle = Throttle(options.get("rate", DEFAULT_RATE), **throttle_kwargs)
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

    def __enter__(self) -> Self:
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

    def _send(self, request: _Request, bound: _Bound) -> RawResponse:
        """One throttled HTTP request, over by ``bound``. Raises _NotSent / _Ambiguous on
        transport failures, DeadlineError when the bound is reached (before sending: the slot
        is too late; while sending or receiving: the watchdog cut the connection)."""
        method, path, params = request.method, request.path, request.params
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
            self.calls[request.endpoint] += 1
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
                    json=request.json_body,
                    data=request.data,
                    files=request.files,
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                )
                with resp:
                    body, decoded = self._read_body(resp, request.stream)
        except TooLarge:
            raise MalformedResponseError(
                f"the answer to {method} {path} is larger than {_size(self.max_body)}: "
                "refused (not an answer this API gives)",
                method=method,
                path=path,
            ) from None
        except requests.RequestException as exc:
            failure = (describe_failure(exc), surely_not_sent(exc))
        except (OSError, ValueError, MalformedResponseError) as exc:  # a cut may surface raw
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
        return RawResponse(resp.status_code, resp.headers, body, decoded)

    def _read_body(
        self, resp: requests.Response, stream: Callable[[int, Iterator[bytes]], Any] | None
    ) -> tuple[bytes, Any]:
        """The whole body, or (a 2xx answer with ``stream``) what ``stream`` reads it into as
        it arrives; TooLarge above ``max_body`` bytes (a hostile or broken server must not
        exhaust memory; the deadline bounds the time)."""
        chunks = body_chunks(resp, self.max_body)
        if stream is not None and 200 <= resp.status_code < 300:
            return b"", stream(resp.status_code, chunks)
        return b"".join(chunks), None

    def _report(self, line: str) -> None:
        log.debug("%s", line)
        if self.verbose:
            self._echo(line)

    def _error(self, raw: RawResponse, method: str, path: str, base_path: bool) -> ApiError:
        return error_for(
            raw,
            method=method,
            path=path,
            subdomain=self.subdomain,
            base_path=base_path,
            token_source=self.token_source,
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
        request = _Request(endpoint, method, path, base_path, params, json_body, data, files)
        return self._retrying(request, lambda raw: raw)

    def _call_streamed(
        self, endpoint: str, path: str, stream: Callable[[int, Iterator[bytes]], T]
    ) -> T:
        """A GET whose 2xx body ``stream(status, chunks)`` reads as it arrives; every attempt
        calls it afresh (what a failed attempt read is dropped with it)."""
        request = _Request(endpoint, "GET", path, True, stream=stream)
        return self._retrying(request, lambda raw: cast(T, raw.decoded))

    def _retrying(
        self,
        request: _Request,
        done: Callable[[RawResponse], T],
        *,
        landed: Callable[[str], T | None] | None = None,
        refused: Callable[[RawResponse, bool], T | None] | None = None,
        gave_up: Callable[[int], str] | None = None,
    ) -> T:
        """The one retry loop: send ``request`` until a 2xx answer (``done(raw)``), within the
        call's deadline and attempt budget.

        Without ``landed`` the call is idempotent: any transport failure, 429 or 5xx is
        retried. With it the call is a write that must not happen twice: after an *ambiguous*
        failure (the request may have reached the server: reset after sending, read timeout,
        5xx) ``landed(why)`` looks whether it went through, and its answer (when not None) is
        the result; only 429 and failures before sending are retried blindly. ``refused(raw,
        was_ambiguous)`` may turn a non-retryable answer into a result (None: the API error is
        raised). ``gave_up(attempts)`` words the end of a transport failure's message."""
        method, path = request.method, request.path
        bound = self._bound(request.endpoint)
        attempt = 0
        was_ambiguous = False
        while True:
            raw: RawResponse | None = None
            ambiguous = False
            try:
                raw = self._send(request, bound)
            except _NotSent as exc:
                why = str(exc)
            except _Ambiguous as exc:
                why, ambiguous = str(exc), True
            else:
                if 200 <= raw.status < 300:
                    return done(raw)
                why = f"HTTP {raw.status}"
                if landed is None:
                    retryable = is_retryable_status(raw.status)
                else:
                    ambiguous = raw.status >= 500
                    retryable = ambiguous or raw.status == 429
                if not retryable:
                    answer = refused(raw, was_ambiguous) if refused is not None else None
                    if answer is not None:
                        return answer
                    raise self._error(raw, method, path, request.base_path)
            if ambiguous and landed is not None:
                was_ambiguous = True
                answer = landed(why)
                if answer is not None:
                    return answer
            if not self._wait_before_retry(attempt, bound.at, raw, what=why):
                if raw is not None:
                    raise self._error(raw, method, path, request.base_path)
                if gave_up is not None:
                    after = gave_up(attempt + 1)
                else:
                    after = (
                        f"gave up after {attempt + 1} attempt{'s' if attempt else ''}; "
                        f"is {self._host()} reachable?"
                    )
                raise TransportError(
                    f"{method} {path} failed: {why} ({after})", method=method, path=path
                )
            attempt += 1

    def _host(self) -> str:
        return urlsplit(self.base_url).netloc


def time_limit(client: Any, seconds: float, what: str) -> AbstractContextManager[None]:
    """``client.time_limit(seconds, what)`` for a :class:`PlatformClient`; nothing for another
    client object (the test doubles of the apply driver)."""
    limit = getattr(client, "time_limit", None)
    return limit(seconds, what) if callable(limit) else nullcontext()
