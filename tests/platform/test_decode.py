"""Pure unit tests of the answer decoding (no HTTP)."""

from datetime import UTC, datetime

import pytest

from reconciler.platform import errors as e
from reconciler.platform import models as m
from reconciler.platform.decode import (
    RawResponse,
    decode,
    decode_items,
    error_for,
    is_retryable_status,
    parse_retry_after,
)

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("Wed, 25 Nov 2026 12:00:07 GMT", 7.0),
        ("Wed, 25 Nov 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


@pytest.mark.parametrize(
    ("status", "retry"),
    [(429, True), (500, True), (503, True), (400, False), (404, False), (200, False)],
)
def test_retryable(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry


def _err(status: int, body: bytes, path: str = "/bulk/users/template", base: bool = True):
    raw = RawResponse(status, {}, body)
    return error_for(raw, method="GET", path=path, subdomain="acme", base_path=base)


def test_401_names_tenant_and_variable() -> None:
    err = _err(401, b'{"message": "Unauthorized"}')
    assert isinstance(err, e.AuthenticationError)
    assert str(err).startswith("authentication failed for tenant acme: check CCAI_API_TOKEN")


def test_404_on_base_path_blames_the_address() -> None:
    err = _err(404, b"<html><body>Not Found</body></html>")
    assert isinstance(err, e.NotFoundError)
    assert "resource not found: check the subdomain and domain" in str(err)


def test_404_on_job_keeps_server_message() -> None:
    err = _err(
        404,
        b'{"message": "Can\'t update JSON. job status: finished"}',
        path="/bulk/users/upload",
        base=False,
    )
    assert isinstance(err, e.NotFoundError)
    assert "Can't update JSON. job status: finished" in str(err)
    assert "GET /bulk/users/upload" in str(err)


def test_400_is_rejected_with_message_method_path() -> None:
    raw = RawResponse(400, {}, b'{"message": "This job cannot proceed update. status: created"}')
    err = error_for(raw, method="POST", path="/bulk/users/proceed", subdomain="a", base_path=False)
    assert isinstance(err, e.RequestRejectedError)
    assert err.server_message == "This job cannot proceed update. status: created"
    assert str(err) == (
        "This job cannot proceed update. status: created (POST /bulk/users/proceed, HTTP 400)"
    )


def test_5xx_and_429_types() -> None:
    assert isinstance(_err(502, b"bad gateway"), e.ServerError)
    assert "bad gateway" in str(_err(502, b"bad gateway"))
    assert isinstance(_err(429, b""), e.RateLimitedError)


def test_decode_ok() -> None:
    raw = RawResponse(200, {}, b'{"id": 4, "status": "created", "link": "x"}')
    created = decode(m.JOB_CREATED, raw, method="POST", path="/bulk/users/upload")
    assert created.id == 4


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<!DOCTYPE html><html><head><title>Gateway</title>", "is not valid JSON"),
        (b'[{"email": "a@b.c", "first_na', "is not valid JSON"),
        (b'{"not": "a list"}', "does not have the expected shape"),
        (b"", "is not valid JSON"),
    ],
)
def test_decode_malformed_quotes_first_bytes(body: bytes, why: str) -> None:
    raw = RawResponse(200, {}, body)
    with pytest.raises(e.MalformedResponseError) as info:
        decode(m.TEMPLATE, raw, method="GET", path="/bulk/users/template")
    msg = str(info.value)
    assert why in msg
    assert "GET /bulk/users/template" in msg
    if body:
        assert body[:10].decode() in msg
    assert "Traceback" not in msg


ROW = (
    b'{"email": "a@b.co", "first_name": "A", "last_name": "B", "status": "Active", '
    b'"location": "", "max_chat_limit": "2", "max_chat_limit_enabled": "1", '
    b'"roles": [{"name": "Agent", "value": 1}], "teams": [{"name": "T", "value": 0}]}'
)


def test_decode_items_streams_the_same_rows_as_decode() -> None:
    raw = RawResponse(200, {}, b"[" + ROW + b", " + ROW.replace(b"a@b.co", b"c@d.co") + b"]")
    rows = list(decode_items(m.TemplateRow, raw, method="GET", path="/bulk/users/template"))
    assert rows == decode(m.TEMPLATE, raw, method="GET", path="/bulk/users/template")
    assert [r.email for r in rows] == ["a@b.co", "c@d.co"]
    assert rows[0].max_chat_limit == 2 and rows[0].roles[0].value is True


@pytest.mark.parametrize(
    ("body", "why", "eager"),
    [
        # Not an array: refused before any row, never an empty template (= "no users").
        (b'{"message": "Not Found"}', "is not a JSON array", True),
        (b"<!DOCTYPE html><html>", "is not a JSON array", True),
        (b"", "is not a JSON array", True),
        (b"[" + ROW + b', {"email": "x@y.z", "first_na', "is not valid JSON", False),
        (b'[{"first_name": "no email"}]', "does not have the expected shape (0.email:", False),
        (b"[" + ROW + b', {"email": 5}]', "does not have the expected shape (1.email:", False),
        (b'[{"email": "a@b.co", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]", "nests", False),
        (b'[{"email": "a@b.co", "roles": [' + b"[" * 5000 + b"]" * 5000 + b"]}]", "nests", False),
    ],
)
def test_decode_items_malformed(body: bytes, why: str, eager: bool) -> None:
    raw = RawResponse(200, {}, body)
    path = "/bulk/users/template"
    with pytest.raises(e.MalformedResponseError) as info:
        rows = decode_items(m.TemplateRow, raw, method="GET", path=path)
        assert not eager, "a non-array body must fail before iteration"
        list(rows)
    assert why in str(info.value)
    assert "GET /bulk/users/template" in str(info.value)


def test_decode_snippet_is_bounded() -> None:
    raw = RawResponse(200, {}, b"<html>" + b"x" * 10_000)
    with pytest.raises(e.MalformedResponseError) as info:
        decode(m.JOBS, raw, method="GET", path="/bulk/users/jobs")
    assert len(str(info.value)) < 400


def test_redirect_is_not_followed_but_explained() -> None:
    raw = RawResponse(301, {"Location": "https://login.example.com/"}, b"")
    err = error_for(raw, method="GET", path="/bulk/users/jobs", subdomain="a", base_path=True)
    assert isinstance(err, e.RequestRejectedError)
    assert "redirected GET /bulk/users/jobs to https://login.example.com/" in str(err)
