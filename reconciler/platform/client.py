"""The one client for the tenant's Apps API: typed answers from the bulk-user and DNC
endpoints. How each request is sent, retried and bounded in time is
:mod:`~reconciler.platform.session`; the connection settings are
:mod:`~reconciler.platform.connection`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

import msgspec
from pydantic import TypeAdapter

from reconciler.platform import models as m
from reconciler.platform.body import STREAMING
from reconciler.platform.connection import (
    API_PATH,
    DEFAULT_TIMEOUT,
    check_base_url,
    connect,
    is_loopback,
    read_token_file,
)
from reconciler.platform.decode import (
    RawResponse,
    decode,
    decode_items,
    server_message,
    stream_items,
)
from reconciler.platform.errors import ApiError
from reconciler.platform.fastrows import template_row_json
from reconciler.platform.session import USER_AGENT, ApiSession, _Request, time_limit

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("reconciler.platform")

ALREADY_IN_PROGRESS = "Update is already in progress."
JOBS_PER_PAGE = 100  # the vendor's maximum page size
JOBS_HORIZON = 24 * 3600.0  # how far back (before the newest job) the job list is read


def _has_next_page(raw: RawResponse, size: int) -> bool:
    """Whether the job list has a page after this one: the ``Link`` header's ``rel="next"``
    when the server sends a ``Link`` header, else a full page (a server that ignores paging
    returns everything at once; the caller stops when a page brings no new job)."""
    link = raw.headers.get("Link")
    if link is not None:
        return any('rel="next"' in part or "rel=next" in part for part in link.split(","))
    return size >= JOBS_PER_PAGE


class TemplateRows:
    """The template of ``client``, read by one GET (retried as a whole; see
    :meth:`PlatformClient.iter_template`)."""

    PATH = "/bulk/users/template"

    def __init__(self, client: PlatformClient) -> None:
        self._client = client

    def fold(self, consume: Callable[[Iterator[m.TemplateRow]], T]) -> T:
        """``consume(rows)`` over the rows as they arrive. When an attempt fails mid-body the
        GET is retried like any other and ``consume`` runs again on the new answer: what it
        built from the failed one is dropped (so ``consume`` must have no side effects). Its
        result is returned only once the whole body is read and valid."""
        return self.fold_items(template_row_json, consume)

    def fold_items(
        self,
        validate: Callable[[Any], R],
        consume: Callable[[Iterator[R]], T],
        rows: msgspec.json.Decoder[Any] | None = None,
    ) -> T:
        """:meth:`fold` over what ``validate`` makes of each row's JSON bytes instead of a
        TemplateRow (the live state's fast path); like ``template_row_json`` it raises
        pydantic's ValidationError for a bad row, which becomes the same
        MalformedResponseError. ``rows``: a decoder of a list of rows of a msgspec type that
        ``validate`` also takes (:func:`~reconciler.platform.decode.stream_items`)."""
        path = self.PATH

        def read(status: int, chunks: Iterator[bytes]) -> T:
            items = stream_items(validate, status, chunks, method="GET", path=path, rows=rows)
            result = consume(items)
            for _ in items:  # a consumer that stopped early: the rest is checked all the same
                pass
            return result

        if STREAMING:
            return self._client._call_streamed("template", path, read)
        raw = self._client._call("template", "GET", path, base_path=True)  # msgspec changed
        return consume(decode_items(m.TemplateRow, raw, method="GET", path=path, validate=validate))

    def __iter__(self) -> Iterator[m.TemplateRow]:
        return iter(self.fold(list))


class PlatformClient(ApiSession):
    """Typed access to the bulk-user and DNC endpoints. Use as a context manager (or call
    :meth:`close`). ``calls`` counts every HTTP request sent (retries included) by endpoint."""

    def __repr__(self) -> str:
        return (
            f"PlatformClient(base_url={self.base_url!r}, subdomain={self.subdomain!r}, "
            f"rate={self.throttle.rate:g})"
        )

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

    def iter_template(self) -> TemplateRows:
        """The template's rows (one GET, sent when the rows are read): what the plan uses.

        ``iter_template().fold(consume)`` gives ``consume`` the rows while the body arrives
        (only a window of it is held, :mod:`~reconciler.platform.body`); iterating gives them
        all after the whole answer is read and checked. A bad answer (not an array, invalid
        JSON anywhere, a row of the wrong shape) raises MalformedResponseError from either,
        never a partial template."""
        return TemplateRows(self)

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

    def job_page(self, page: int = 1, per_page: int = JOBS_PER_PAGE) -> list[m.Job]:
        """One page of the job list, newest first: one call (the ``jobs`` command)."""
        path = "/bulk/users/jobs"
        params = {"page": str(page), "per_page": str(per_page)}
        raw = self._call("jobs", "GET", path, base_path=True, params=params)
        return decode(m.JOBS, raw, method="GET", path=path)

    def job(self, job_id: int) -> m.Job:
        return self._get(m.JOB, "job", f"/bulk/users/jobs/{int(job_id)}", base_path=False)

    def scheme_errors(self, job_id: int) -> list[m.SchemeError]:
        return self._job_errors(m.SCHEME_ERRORS, "scheme", job_id)

    def update_errors(self, job_id: int) -> list[m.UpdateError]:
        return self._job_errors(m.UPDATE_ERRORS, "update", job_id)

    def _job_errors(self, adapter: TypeAdapter[T], kind: str, job_id: int) -> T:
        """``GET /bulk/users/errors/{kind}/{job_id}`` (endpoint ``{kind}_errors``)."""
        path = f"/bulk/users/errors/{kind}/{int(job_id)}"
        return self._get(adapter, f"{kind}_errors", path, base_path=False)

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

        def landed(why: str) -> m.Job | None:
            job = self._find_new_job(filename, known)
            if job is not None:
                log.info("upload %s went through despite %s: job %s", filename, why, job.id)
            return job

        return self._retrying(
            _Request("upload", method, path, True, files=files),
            lambda raw: self._job_after_write(raw, method, path, filename, len(rows)),
            landed=landed,
            gave_up=lambda n: f"gave up after {n} attempts; no job named {filename!r} was created",
        )

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

        def landed(why: str) -> m.Job | None:
            job = self.job(job_id)
            return job if job.accepted else None

        def refused(raw: RawResponse, was_ambiguous: bool) -> m.Job | None:
            # "already in progress" after an ambiguous attempt: that attempt went through.
            if was_ambiguous and server_message(raw.body) == ALREADY_IN_PROGRESS:
                return self.job(job_id)
            return None

        return self._retrying(
            _Request("proceed", method, path, False, data={"id": str(int(job_id))}),
            lambda raw: self._job_after_write(raw, method, path, None, None),
            landed=landed,
            refused=refused,
            gave_up=lambda n: f"gave up after {n} attempts",
        )

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


__all__ = [
    "API_PATH",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "PlatformClient",
    "check_base_url",
    "connect",
    "is_loopback",
    "read_token_file",
    "time_limit",
]
