"""Pure functions from an HTTP answer (status, headers, body) to data or a typed error.

No I/O here (gidgethub's sansio idea): the client sends, these decide what the answer means, and
the retry policy in :mod:`reconciler.platform.throttle` decides what to do about it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar, overload

import msgspec
from pydantic import BaseModel, TypeAdapter, ValidationError

from reconciler.platform.body import ArrayReader, BadJson, NeedBytes, NotAnArray
from reconciler.platform.errors import (
    ApiError,
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

SNIPPET_BYTES = 120
# A JSON array as its items' raw bytes (decode_items).
_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    decoded: Any = None  # what a streamed body was read into (ApiSession._call_streamed)


def is_retryable_status(status: int) -> bool:
    """429 and 5xx may clear on their own; other statuses will not."""
    return status == 429 or 500 <= status <= 599


def snippet(body: bytes, limit: int = SNIPPET_BYTES) -> str:
    """The first bytes of a body, printable, for an error message."""
    text = body[:limit].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    more = "…" if len(body) > limit else ""
    return repr(text + more) if text else "an empty body"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    ``None`` when absent or unreadable; never negative.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def server_message(body: bytes) -> str | None:
    """The ``message`` (or ``error``) of a JSON error body, if there is one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict):
        for key in ("message", "error", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def error_for(
    raw: RawResponse,
    *,
    method: str,
    path: str,
    subdomain: str | None,
    base_path: bool,
    token_source: str = "CCAI_API_TOKEN",
) -> ApiError:
    """The typed error for a non-2xx answer.

    ``base_path`` says the path names no object (template, job list, DNC), so a 404 there
    means the URL itself is wrong rather than, say, a job id. ``token_source``: where the token
    came from, what a 401 asks to check.
    """
    status = raw.status
    msg = server_message(raw.body)
    where = f"{method} {path}"
    detail = msg if msg is not None else f"HTTP {status} with {snippet(raw.body)}"
    kwargs: dict[str, Any] = {
        "method": method,
        "path": path,
        "status": status,
        "server_message": msg,
    }
    if 300 <= status < 400:
        target = raw.headers.get("Location", "elsewhere")
        return RequestRejectedError(
            f"the API redirected {where} to {target} (HTTP {status}): check the base URL",
            **kwargs,
        )
    if status == 401:
        tenant = subdomain or "(unknown)"
        return AuthenticationError(
            f"authentication failed for tenant {tenant}: check {token_source} ({where})", **kwargs
        )
    if status == 403:
        return PermissionDeniedError(f"permission denied: {detail} ({where})", **kwargs)
    if status == 404:
        if base_path or msg is None:
            return NotFoundError(
                f"resource not found: check the subdomain and domain ({where} answered 404)",
                **kwargs,
            )
        return NotFoundError(f"{detail} ({where}, HTTP 404)", **kwargs)
    if status == 429:
        return RateLimitedError(
            f"rate limited by the tenant and still limited at the deadline ({where}): {detail}",
            **kwargs,
        )
    if status >= 500:
        return ServerError(f"server error HTTP {status}: {detail} ({where})", **kwargs)
    return RequestRejectedError(f"{detail} ({where}, HTTP {status})", **kwargs)


@overload
def decode_items(
    model: type[M], raw: RawResponse, *, method: str, path: str, validate: None = None
) -> Iterator[M]: ...


@overload
def decode_items(
    model: type[M],
    raw: RawResponse,
    *,
    method: str,
    path: str,
    validate: Callable[[msgspec.Raw], R],
) -> Iterator[R]: ...


def decode_items(
    model: type[M],
    raw: RawResponse,
    *,
    method: str,
    path: str,
    validate: Callable[[msgspec.Raw], Any] | None = None,
) -> Iterator[Any]:
    """Validate a 2xx JSON array item by item: msgspec splits the array into each item's raw
    JSON bytes in one C pass (checking the whole body is JSON, without building Python objects
    for it), then each item becomes a model on its own, so only one item exists as Python
    values at a time. ``validate`` turns one item's bytes into the model (default
    ``model.model_validate(json.loads(item))``); it raises pydantic's ``ValidationError`` for a
    bad item. Anything but an array of such items is a MalformedResponseError that quotes the
    first bytes; it is raised before the first item when the body is not an array of JSON
    values at all (never an empty iteration)."""

    def malformed(why: str) -> MalformedResponseError:
        return malformed_answer(why, method=method, path=path, status=raw.status, head=raw.body)

    if not raw.body.lstrip()[:1] == b"[":
        raise malformed("is not a JSON array")
    try:
        items = _ARRAY.decode(raw.body)
    except msgspec.DecodeError:
        raise malformed("is not valid JSON") from None
    except RecursionError:  # a hostile body: arrays in arrays, thousands deep
        raise malformed("nests too deeply") from None

    def from_json(item: msgspec.Raw) -> M:
        return model.model_validate(json.loads(bytes(item)))

    return _items(validate or from_json, items, malformed)


def malformed_answer(
    why: str, *, method: str, path: str, status: int, head: bytes
) -> MalformedResponseError:
    """The error for an answer that is not what was expected: what is wrong (``why``) and the
    body's first bytes (``head``)."""
    return MalformedResponseError(
        f"the answer to {method} {path} (HTTP {status}) {why}: it starts with {snippet(head)}",
        method=method,
        path=path,
        status=status,
    )


def _items(
    validate: Callable[[msgspec.Raw], R],
    items: list[msgspec.Raw],
    malformed: Callable[[str], MalformedResponseError],
) -> Iterator[R]:
    for index, item in enumerate(items):
        try:
            yield validate(item)
        except ValidationError as err:
            raise malformed(_shape(index, err)) from None
        except UnicodeDecodeError:  # JSON's strings are UTF-8; msgspec's split does not check
            raise malformed(_NOT_UTF8.format(index)) from None
        except RecursionError:  # a hostile body: arrays in arrays, thousands deep
            raise malformed(f"nests its item {index} too deeply") from None


_NOT_UTF8 = "is not valid JSON (its item {} is not UTF-8 text)"


def _shape(index: int, err: ValidationError) -> str:
    first = err.errors(include_url=False, include_input=False)[:1]
    loc = ".".join(str(p) for p in (index, *first[0]["loc"])) if first else str(index)
    msg = first[0]["msg"] if first else "invalid"
    return f"does not have the expected shape ({loc}: {msg})"


def stream_items(
    validate: Callable[[Any], R],
    status: int,
    chunks: Iterable[bytes],
    *,
    method: str,
    path: str,
    rows: msgspec.json.Decoder[Any] | None = None,
) -> Iterator[R]:
    """:func:`decode_items` for a body arriving in ``chunks``: each item is validated as soon
    as it has arrived (:class:`~reconciler.platform.body.ArrayReader`), so only a window of
    the body is held. The same errors with the same messages as ``decode_items``: a syntax
    error anywhere wins over a bad item (the first bad item's error is kept and raised at the
    end of the body, which is still read and checked); the rows yielded before an error are
    the caller's to drop. ``rows``: see ArrayReader (``validate`` then gets items of that
    type too, and raises NeedBytes for one it wants as bytes)."""
    reader = ArrayReader(chunks, rows)

    def malformed(why: str) -> MalformedResponseError:
        head = reader.full_head()
        return malformed_answer(why, method=method, path=path, status=status, head=head)

    deferred: str | None = None
    try:
        for index, item in enumerate(reader):
            if deferred is not None:
                continue
            try:
                try:
                    row = validate(item)
                except NeedBytes:
                    row = validate(reader.item_bytes(index))
            except ValidationError as err:
                deferred = _shape(index, err)
                continue
            except UnicodeDecodeError:
                deferred = _NOT_UTF8.format(index)
                continue
            except RecursionError:  # a hostile body: arrays in arrays, thousands deep
                deferred = f"nests its item {index} too deeply"
                continue
            yield row
    except NotAnArray:
        raise malformed("is not a JSON array") from None
    except BadJson as exc:
        raise malformed(str(exc)) from None
    if deferred is not None:
        raise malformed(deferred)


def decode(adapter: TypeAdapter[T], raw: RawResponse, *, method: str, path: str) -> T:
    """Validate a 2xx JSON body into a model; anything else is a MalformedResponseError that
    quotes the first bytes."""
    try:
        return adapter.validate_json(raw.body)
    except ValidationError as err:
        first = err.errors(include_url=False, include_input=False)[:1]
        if first and first[0].get("type") == "json_invalid":
            why = "is not valid JSON"
        else:
            loc = ".".join(str(p) for p in first[0]["loc"]) if first else ""
            why = f"does not have the expected shape ({loc or 'top level'}: "
            why += f"{first[0]['msg'] if first else 'invalid'})"
        raise malformed_answer(
            why, method=method, path=path, status=raw.status, head=raw.body
        ) from None
