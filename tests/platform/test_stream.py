"""The template decoded while its body arrives (reconciler/platform/body.py): the same rows
and the same errors as decoding the whole body, over real HTTP on loopback too (a scripted
server that cuts a body in the middle, sends it in small pieces, or sends too much)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from reconciler.live import fetch_live
from reconciler.platform import MalformedResponseError, PlatformClient, RetryPolicy, body, client
from reconciler.platform import models as m
from reconciler.platform.decode import RawResponse, decode_items, stream_items
from reconciler.platform.fastrows import template_row_json
from tests.rawserver import RawServer

TOKEN = "stream-secret-token-0815"
PATH = "/bulk/users/template"


def row(i: int) -> bytes:
    item = {
        "email": f"user{i}@example.com",
        "first_name": "A",
        "last_name": "B",
        "status": "Active",
        "max_chat_limit": str(i % 7),
        "roles": [{"name": "Agent", "value": 1}, {"name": "Lead", "value": 0}],
        "teams": [{"name": "T", "value": i % 2}],
    }
    return json.dumps(item).encode()


def array(n: int, sep: bytes = b", ") -> bytes:
    return b"[" + sep.join(row(i) for i in range(n)) + b"]"


def test_the_installed_msgspec_words_the_end_of_a_value_as_relied_on() -> None:
    """Fails when msgspec changes its "trailing characters (byte N)" message: then the client
    reads the template whole (body.STREAMING is False) and this module needs a look."""
    assert body.STREAMING
    assert body._probe()


def outcome_whole(data: bytes) -> list[m.TemplateRow] | str:
    raw = RawResponse(200, {}, data)
    try:
        return list(decode_items(m.TemplateRow, raw, method="GET", path=PATH))
    except MalformedResponseError as exc:
        return str(exc)


def outcome_streamed(data: bytes, size: int) -> list[m.TemplateRow] | str:
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    try:
        return list(stream_items(template_row_json, 200, chunks, method="GET", path=PATH))
    except MalformedResponseError as exc:
        return str(exc)


GOOD = array(5)
BODIES = [
    GOOD,
    array(3, b",\n"),
    b"[]",
    b" \r\n\t[ ]  \n",
    b"[" + row(1) + b"]" + b" " * 200,
    b'[{"email": "a@b.co", "max_chat_limit": 12}]',  # a number cut by a chunk's end
    b"[" + row(1) + b", 12345]",  # a number as the last row: a bad shape
    b'{"message": "Not Found"}',
    b"<!DOCTYPE html><html>" + b"x" * 300,
    b"",
    b"   ",
    b"\x0b[]",  # whitespace to Python, not to JSON
    GOOD[:-1],  # the array never ends
    GOOD[:-30],  # cut in the last row
    GOOD + b" x",  # trailing garbage after ]
    GOOD + b"]",
    GOOD[:-1] + b",]",
    GOOD[:-1] + b", {]",  # invalid after the last row
    GOOD[:-1] + b', {"email": "x@y.z", "first_na',
    GOOD[:-2] + b"x}]",  # invalid in the last row
    b"[" + row(1) + b" " + row(2) + b"]",  # no comma
    b'[{"first_name": "no email"}]',
    b"[" + row(1) + b', {"email": 5}, ' + row(2) + b"]",
    b'[{"email": 5}, ' + row(1) + b", nope]",  # invalid JSON wins over the bad row before it
    b'[{"email": "a@b.co", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]",
    b'[{"email": "a@b.co", "roles": [' + b"[" * 5000 + b"]" * 5000 + b"]}]",
    b"[" + b"[" * 100_000,
    # not UTF-8 inside a string (msgspec's split of the array does not check it)
    b"["
    + row(1)
    + b', {"email": "a\xff@b.co", "first_name": "A", "last_name": "B"}, '
    + row(2)
    + b"]",
    b'[{"email": "a@b.co", "first_name": "\xc3", "last_name": "B", "status": "Active"}]',
    b"[" + row(1) + b', "\xff"]',
    b'[{"email": "\xed\xa0\x80@b.co"}, nope]',  # a surrogate, then invalid JSON (it wins)
]


@pytest.mark.parametrize("data", BODIES, ids=[repr(b[:24]) + str(len(b)) for b in BODIES])
def test_streamed_rows_and_errors_are_those_of_the_whole_body(data: bytes) -> None:
    expected = outcome_whole(data)
    sizes = [1, 3, 64, len(data) or 1] if len(data) < 5000 else [4096, len(data)]
    for size in sizes:
        assert outcome_streamed(data, size) == expected, size


# --------------------------------------------------------------------------- over HTTP


class Scripted(RawServer):
    """Answers the n-th request with ``answers[n]`` (the last one again after them): ``(head
    bytes, body bytes, cut)``, the body sent in pieces of ``piece`` bytes, the connection
    closed after ``cut`` body bytes when ``cut`` is not None."""

    def __init__(self, answers: list[tuple[bytes, bytes, int | None]], piece: int = 65536):
        self.answers, self.piece = answers, piece
        super().__init__()

    def answer(self, conn: socket.socket) -> None:
        if not self.read_head(conn):
            return
        head, payload, cut = self.answers[min(self.requests, len(self.answers) - 1)]
        self.requests += 1
        conn.sendall(head)
        out = payload if cut is None else payload[:cut]
        for i in range(0, len(out), self.piece):
            if self.stop.is_set():
                return
            conn.sendall(out[i : i + self.piece])
        if cut is not None:
            conn.shutdown(socket.SHUT_RDWR)


Answer = tuple[bytes, bytes, int | None]


def ok(payload: bytes, cut: int | None = None, length: bool = True) -> Answer:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    head += b"Content-Length: %d\r\n" % len(payload) if length else b"Connection: close\r\n"
    return head + b"\r\n", payload, cut


@pytest.fixture
def scripted() -> Iterator[type[Scripted]]:
    servers: list[Scripted] = []

    def make(*args, **kwargs) -> Scripted:
        servers.append(Scripted(*args, **kwargs))
        return servers[-1]

    yield make  # type: ignore[misc]
    for s in servers:
        s.close()


def _client(server: Scripted) -> PlatformClient:
    return PlatformClient(
        base_url=server.base_url,
        subdomain="demo",
        token=TOKEN,
        rate=1000.0,
        shared_pace=False,
        retry=RetryPolicy(base=0.01, cap=0.02, deadline=10.0),
    )


@pytest.mark.parametrize("streaming", [True, False])
def test_a_body_cut_mid_way_is_fetched_again_and_its_rows_are_not_doubled(
    scripted, monkeypatch: pytest.MonkeyPatch, streaming: bool
) -> None:
    monkeypatch.setattr(client, "STREAMING", streaming)
    payload = array(12_000)  # over 2 MB: chunks (1 MB) arrive before the cut
    server = scripted([ok(payload, cut=len(payload) * 3 // 4), ok(payload)], piece=65536)
    with _client(server) as c:
        rows = list(c.iter_template())
        assert c.calls["template"] == 2
    assert [r.email for r in rows] == [f"user{i}@example.com" for i in range(12_000)]


def test_fetch_live_after_a_cut_body_has_each_user_once(scripted) -> None:
    payload = array(12_000)  # over 2 MB: chunks (1 MB) arrive before the cut
    server = scripted([ok(payload, cut=len(payload) - 10), ok(payload)])
    seen: list[str] = []

    def consume(rows: Iterator[m.TemplateRow]) -> list[str]:
        out = []
        for r in rows:
            out.append(r.email)
            seen.append(r.email)  # what each attempt gave, to show the first one was dropped
        return out

    with _client(server) as c:
        emails = c.iter_template().fold(consume)
        live = fetch_live(c)
    assert emails == [f"user{i}@example.com" for i in range(12_000)]
    assert len(seen) > 12_000  # the cut attempt had rows ...
    assert len(live.users) == 12_000  # ... none of which survive


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (GOOD + b" ]", "is not valid JSON"),
        (GOOD[:-2] + b"x}]", "is not valid JSON"),
        (b"[" + row(1) + b', {"email": 5}]', "does not have the expected shape (1.email:"),
        (b"<!DOCTYPE html><html><body>" + b"x" * 500, "is not a JSON array"),
        (b"[" + row(1) + b', {"email": "a\xff@b.co"}]', "its item 1 is not UTF-8 text"),
        (b'[{"email": "a@b.co", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]", "nests"),
    ],
)
def test_a_bad_body_over_http_plans_nothing(scripted, payload: bytes, why: str) -> None:
    server = scripted([ok(payload, length=False)], piece=7)
    with _client(server) as c, pytest.raises(MalformedResponseError) as info:
        fetch_live(c)
    msg = str(info.value)
    assert why in msg and "GET /bulk/users/template (HTTP 200)" in msg
    assert repr(payload[:20].decode())[:-1] in msg  # the first bytes, as today
    assert TOKEN not in msg and "Traceback" not in msg
    assert server.requests == 1  # a bad answer is not retried


def test_an_endless_template_is_refused_at_the_size_cap(scripted) -> None:
    payload = b"[" + b'{"email": "a@b.co"},' * 400_000
    server = scripted([ok(payload, length=False)])
    with _client(server) as c:
        c.max_body = 2**20
        with pytest.raises(MalformedResponseError) as info:
            fetch_live(c)
    assert "the answer to GET /bulk/users/template is larger than 1 MB" in str(info.value)
