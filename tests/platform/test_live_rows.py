"""The live state's fast path (reconciler/live.py ``_LiveRows``: a template row's JSON straight
to its LiveUser, no TemplateRow per row) gives the live state, or the error, of the exact
path: ``live_from_template`` over ``TemplateRow.model_validate(json.loads(row))`` for each row.
Compared: every user's every field in order, the role and team tuples, the fingerprint, and
the MalformedResponseError's text; streamed in chunks of several sizes, read whole, and over
real HTTP on loopback."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import pytest

from reconciler import live
from reconciler.platform import MalformedResponseError, client, fastrows
from reconciler.platform import body as body_module
from reconciler.platform import models as m
from reconciler.platform.decode import RawResponse, decode_items, stream_items
from tests.platform import test_models, test_stream
from tests.platform.test_stream import _client, ok, scripted  # noqa: F401 (a fixture)

PATH = "/bulk/users/template"
Outcome = tuple[list[tuple[str, Any]], tuple[str, ...], tuple[str, ...], str] | str


def snapshot(state: live.LiveState) -> Outcome:
    return list(state.users.items()), state.roles, state.teams, state.fingerprint


def exact(data: bytes) -> Outcome:
    """The reference: each row ``TemplateRow.model_validate(json.loads(row))``."""
    try:
        rows = list(
            decode_items(m.TemplateRow, RawResponse(200, {}, data), method="GET", path=PATH)
        )
    except MalformedResponseError as exc:
        return str(exc)
    return snapshot(live.live_from_template(rows))


def fast_streamed(data: bytes, size: int, typed: bool = True) -> Outcome:
    """What fetch_live makes of the body in chunks of ``size`` bytes (``typed``: batches
    decoded straight into rows, as fetch_live has them; else into each row's bytes)."""
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    decoder = fastrows.WIRE_LIST if typed else None
    try:
        rows = stream_items(live._LiveRows(), 200, chunks, method="GET", path=PATH, rows=decoder)
        return snapshot(live._fold(rows))
    except MalformedResponseError as exc:
        return str(exc)


def fast_whole(data: bytes) -> Outcome:
    raw = RawResponse(200, {}, data)
    try:
        rows = decode_items(m.TemplateRow, raw, method="GET", path=PATH, validate=live._LiveRows())
        return snapshot(live._fold(rows))
    except MalformedResponseError as exc:
        return str(exc)


def check(data: bytes, sizes: tuple[int, ...] = (7, 4096)) -> Outcome:
    expected = exact(data)
    assert fast_whole(data) == expected
    for size in (*sizes, len(data) or 1):
        assert fast_streamed(data, size) == expected, size
        assert fast_streamed(data, size, typed=False) == expected, size
    return expected


def body(rows: list[Any]) -> bytes:
    return json.dumps(rows, ensure_ascii=False).encode()


def model_bodies() -> list[bytes]:
    """test_models' rows, each as a one-row template."""
    rows: list[Any] = [test_models.REFERENCE_ROW]
    for name in dir(test_models):
        params = getattr(getattr(test_models, name), "pytestmark", [])
        for mark in params:
            if mark.name != "parametrize":
                continue
            argnames, values = mark.args[0], mark.args[1]
            for value in values:
                if argnames == ("field", "raw", "value") or argnames == ("field", "raw"):
                    rows.append({**test_models.REFERENCE_ROW, value[0]: value[1]})
                elif argnames == "changes":
                    rows.append({**test_models.REFERENCE_ROW, **value})
                elif argnames == "body":  # raw JSON (duplicate keys, escapes, ...)
                    rows.append(value)
    return [b"[" + (r if isinstance(r, bytes) else json.dumps(r).encode()) + b"]" for r in rows]


@pytest.mark.parametrize("data", test_stream.BODIES, ids=range(len(test_stream.BODIES)))
def test_the_stream_tests_bodies(data: bytes) -> None:
    sizes = (1, 64) if len(data) < 5000 else (4096,)
    check(data, sizes)


def test_the_model_tests_rows() -> None:
    bodies = model_bodies()
    assert len(bodies) > 40
    outcomes = [check(b, (5,)) for b in bodies]
    assert any(isinstance(o, str) for o in outcomes)  # both kinds are covered
    assert any(not isinstance(o, str) and o[0] for o in outcomes)


# Values of the scalar fields: the common ones, the odd ones the validators still accept,
# and ones they refuse.
ODD: list[Any] = [
    *("", " ", "null", " NULL ", "None", "none", "0", "1", " 2 ", "-1", "1.5", "x", "é"),
    *("Active", "Inactive", " inactive ", "ACTIVE", "\u2028", "\u00a0a\u00a0", "\t1\n"),
    *(None, 0, 1, 2, -1, 1.5, 2.0, True, False, 2**70, [], {}, [1], {"a": 1}),
]
FIELDS = [f for f in m.TemplateRow.model_fields if f not in ("roles", "teams")]
MEMBER_LISTS: list[Any] = [
    [],
    None,
    "x",
    [{"name": "A", "value": 1}, {"name": "B", "value": 0}],
    [{"name": "B", "value": "1"}, {"name": "A", "value": ""}],
    [{"name": "A"}, {"name": "", "value": 1}, {"name": " C ", "value": True}],
    [{"name": "A", "value": 1, "extra": [1]}, {"name": "Ä", "value": 1.0}],
    [{"name": "A", "value": 2}],
    [{"name": 5, "value": 1}],
    [{"value": 1}],
    [1],
    [{"name": "A", "value": [1]}],
]


@pytest.mark.parametrize("field", [*FIELDS, "roles", "teams"])
def test_each_field_absent_null_empty_and_odd(field: str) -> None:
    values = MEMBER_LISTS if field in ("roles", "teams") else ODD
    base = dict(test_models.REFERENCE_ROW)
    absent = {k: v for k, v in base.items() if k != field}
    assert check(body([absent]), (3,)) == exact(body([absent]))
    for value in values:
        check(body([{**base, field: value}]), (3,))
        check(body([base, {**base, field: value, "email": "Other@B.co"}]), (11,))


def test_emails_differing_in_case_empty_and_non_ascii() -> None:
    base = dict(test_models.REFERENCE_ROW)
    rows = [
        {**base, "email": "Ann@Example.com", "first_name": "one"},
        {**base, "email": "", "first_name": "no e-mail", "roles": [{"name": "Z", "value": 1}]},
        {**base, "email": "   ", "teams": [{"name": "only here", "value": 1}]},
        {**base, "email": " ann@example.COM ", "first_name": "two"},
        {**base, "email": "ÉLÈVE@École.fr", "first_name": "Zoë", "last_name": "😀"},
        {**base, "email": "élève@école.fr", "location": "Zürich"},
        {**base, "email": "a@b.co", "roles": []},
    ]
    got = check(body(rows))
    assert not isinstance(got, str)
    users = dict(got[0])
    assert users["ann@example.com"].first_name == "two"  # the later row wins
    assert users["ann@example.com"].email_raw == "ann@example.COM"
    assert "Z" not in got[1] and "only here" not in got[2]  # an empty e-mail lists no names
    raw = b'[{"email": "a@b.co", "email": "C@d.co", "roles": [], "roles": [{"name": "R"}]}]'
    assert check(raw) != exact(b"[]")


# Values equal in Python but not the same JSON (1 == 1.0 == True, 0 == False): the fast path
# normalises the shared scalars once per distinct value (live._LiveRows.rests), which must not
# give one the answer of another.
EQUAL_BUT_NOT_SAME: list[Any] = [1, 1.0, True, "1", 0, 0.0, False, "0", "", None, "null", [], {}]
SHARED = ("new_email", "status", "location", "max_chat_limit", "max_chat_limit_enabled")


@pytest.mark.parametrize("field", SHARED)
def test_shared_values_equal_in_python_are_each_normalised_by_their_own_rule(field: str) -> None:
    base = dict(test_models.REFERENCE_ROW)
    values = [*EQUAL_BUT_NOT_SAME, "Inactive", " Dublin ", 3, "3", 2**70]
    for order in (values, values[::-1]):
        for value in order:  # each value alone: the right answer, or the right error
            check(body([{**base, field: value}]), (13,))
        good = [v for v in order if isinstance(exact(body([{**base, field: v}])), tuple)]
        assert len(good) >= 4
        # ...and all in one body, with the row of another value before each (the cache warm)
        rows = [{**base, field: v, "email": f"u{i}@b.co"} for i, v in enumerate(good * 2)]
        got = check(body(rows), (97,))
        assert not isinstance(got, str) and len(got[0]) == 2 * len(good)


def test_the_text_fields_absent_null_or_not_strings_between_usual_rows() -> None:
    base = dict(test_models.REFERENCE_ROW)
    rows: list[Any] = []
    for i, f in enumerate(["email", "first_name", "last_name", "agent_number"] * 3):
        rows.append({**base, "email": f"a{i}@b.co"})
        odd = [None, 5, "  x  "][i // 4]
        rows.append({**base, "email": f"b{i}@b.co", f: odd})
        rows.append({k: v for k, v in base.items() if k != f} | {"email": f"c{i}@b.co"})
    for row in rows:
        check(body([row]), (7,))
    good = [r for r in rows if isinstance(exact(body([r])), tuple)]
    got = check(body(good), (61,))
    assert not isinstance(got, str) and len(got[0]) > 20


def random_row(rnd: random.Random, i: int) -> dict[str, Any]:
    """Mostly rows the validators accept, some odd, a few they refuse."""
    row: dict[str, Any] = {
        "email": rnd.choice([f"user{i}@example.com", f"USER{i % 50}@Example.com", "", " x@y.z "])
    }
    for f in FIELDS[1:]:
        r = rnd.random()
        if r < 0.2:
            continue
        if r < 0.995:
            common = {
                "status": ["Active", "Inactive", "", " inactive "],
                "max_chat_limit": ["", "3", 4, None, " 5 "],
                "max_chat_limit_enabled": ["1", "0", "", 1, 0, True, None],
                "location": ["Mexico", "", "null", None, " Dublin "],
                "new_email": ["", None, "n@e.w"],
            }.get(f, [f"v{i}", "", " é ", None, 7])
            row[f] = rnd.choice(common)
        else:
            row[f] = rnd.choice(ODD)
    names = ["Admin", "Agent", "Lead", "Zoë"]
    for f in ("roles", "teams"):
        if rnd.random() < 0.1:
            continue
        if rnd.random() < 0.005:
            row[f] = rnd.choice(MEMBER_LISTS)
            continue
        picked = names if rnd.random() < 0.7 else rnd.sample(names, rnd.randint(0, 4))
        row[f] = [{"name": n, "value": rnd.choice([0, 1, "1", "0", ""])} for n in picked]
    return row


@pytest.mark.parametrize("seed", range(6))
def test_random_rows(seed: int) -> None:
    rnd = random.Random(seed)
    outcomes = []
    for n in range(30):
        rows = [random_row(rnd, 1000 * n + i) for i in range(rnd.choice([1, 5, 40]))]
        outcomes.append(check(body(rows), (rnd.randint(1, 300),)))
    assert any(not isinstance(o, str) for o in outcomes)


def test_a_large_template_over_http_streamed_and_whole(
    scripted,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rnd = random.Random(7)
    rows = [random_row(rnd, i) for i in range(3000)]
    rows = [r for r in rows if isinstance(exact(body([r])), tuple)]  # the valid ones
    data = body(rows)
    expected = exact(data)
    assert not isinstance(expected, str) and len(expected[0]) > 500
    for streaming in (True, False):
        monkeypatch.setattr(client, "STREAMING", streaming)
        server = scripted([ok(data)], piece=1000)
        with _client(server) as c:
            assert snapshot(live.fetch_live(c)) == expected


# --------------------------------------------------------------------------- the fingerprint


def fingerprint_by_json(state: live.LiveState) -> str:
    """The fingerprint as it was first written (the json module): saved plans carry it."""
    h = hashlib.sha256()
    h.update(json.dumps([list(state.roles), list(state.teams)], ensure_ascii=False).encode())
    for key in sorted(state.users):
        u = state.users[key]
        rec = [
            *(u.email_raw, u.first_name, u.last_name, u.agent_number, str(u.status)),
            *(u.location, u.max_chat_limit, u.max_chat_limit_enabled),
            *(sorted(u.roles), sorted(u.teams)),
        ]
        h.update(b"\n")
        h.update(json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode())
    return h.hexdigest()


def test_the_fingerprint_is_that_of_the_json_module() -> None:
    text = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]  # every code point
    rnd = random.Random(3)
    rnd.shuffle(text)
    names = ["Admin", "Zoë", 'q"uote', "back\\slash", "\x00\x1f\x7f", "\u2028\u2029"]
    users = {}
    for i in range(0, len(text), 40):
        chunk = "".join(text[i : i + 40])
        email = f"{i}@{chunk}"
        users[email] = live.LiveUser(
            email=email,
            email_raw=email.upper(),
            first_name=chunk[:10],
            last_name=chunk[10:],
            agent_number=chunk[::-1],
            status=rnd.choice(list(live.UserStatus)),
            location=rnd.choice([None, chunk[:3]]),
            max_chat_limit=rnd.choice([None, 0, 3, -1, 2**63, 2**70]),
            max_chat_limit_enabled=rnd.choice([True, False]),
            roles=frozenset(rnd.sample(names, rnd.randint(0, 4))),
            teams=frozenset(rnd.sample([*names, chunk[:5]], rnd.randint(0, 4))),
        )
    state = live.LiveState(users=users, roles=tuple(names), teams=("T", "é"))
    assert len(users) > 25_000
    assert live.fingerprint(state) == fingerprint_by_json(state)
    empty = live.LiveState(users={}, roles=(), teams=())
    assert live.fingerprint(empty) == fingerprint_by_json(empty)


# --------------------------------------------------------------------------- batches (body.py)


def rows_of(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"email": f"u{i}@b.co", "first_name": f"F{i}", **extra} for i in range(n)]


TRICKY = [
    "".join(json.dumps(r) for r in rows_of(3)),  # no separators at all
    json.dumps(rows_of(60, last_name=', {"email": "x", "first_name": "y"}')),  # joint in a string
    json.dumps(rows_of(60, last_name='"}, {"email":')),
    json.dumps(rows_of(60), indent=2),
    json.dumps(rows_of(60), separators=(",", ":")),
    json.dumps(rows_of(60)).replace("}, {", "} ,\n\t{"),
    json.dumps(rows_of(60))[:-1] + ", 5]",  # a number last
    json.dumps(rows_of(60)).replace('}, {"email": "u40', '}, {"email": u40', 1),  # bad JSON
    json.dumps(rows_of(60)).replace('}, {"email": "u40', '}, {"email": 5, "x": "', 1),
    json.dumps(rows_of(60)).replace('}, {"email": "u40', '} {"email": "u40', 1),  # no comma
    json.dumps(rows_of(60)).replace('}, {"email": "u40', '}, , {"email": "u40', 1),
    json.dumps(rows_of(60)).replace('}, {"email": "u40', '}], {"email": "u40', 1),
    json.dumps(rows_of(60)).replace('}, {"email": "u40', '}, [[[[1]]]], {"email": "u40', 1),
    json.dumps([{"email": 1}, *rows_of(60)]),  # a bad row, then good ones in batches
    json.dumps(rows_of(60)).replace('"F40"', '"\\ud800"'),  # a lone surrogate: not valid JSON
    json.dumps(rows_of(60)).replace('"u59@b.co"', '"u59@b.co", "x": ' + "[" * 5000 + "]" * 5000),
]


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
def test_batches_give_the_items_and_errors_of_one_by_one(text: str) -> None:
    data = text.encode()
    check(data, (1, 13, 200, 999))
    chunks = [data[i : i + 200] for i in range(0, len(data), 200)]
    got = outcome_of(lambda: list(stream_items(bytes, 200, chunks, method="GET", path=PATH)))
    typed = outcome_of(lambda: list(stream_items(as_bytes, 200, chunks, **TYPED)))
    with pytest.MonkeyPatch.context() as one_by_one:
        one_by_one.setattr(body_module.ArrayReader, "_batch", lambda self: None)
        want = outcome_of(lambda: list(stream_items(bytes, 200, chunks, method="GET", path=PATH)))
    assert got == want  # the items' own bytes too, not only what they decode to
    assert typed == want


TYPED: dict[str, Any] = {"method": "GET", "path": PATH, "rows": fastrows.WIRE_LIST}


def as_bytes(item: Any) -> bytes:
    """An item's bytes: a row decoded in a batch is asked for them (NeedBytes)."""
    if type(item) is fastrows.WIRE_ROW:
        raise body_module.NeedBytes
    return bytes(item)


def outcome_of(read: Any) -> list[bytes] | str:
    try:
        return [bytes(item).strip() for item in read()]
    except MalformedResponseError as exc:
        return str(exc)


def test_a_large_window_is_decoded_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    batch = body_module.ArrayReader._batch

    def counted(self: body_module.ArrayReader) -> Any:
        got = batch(self)
        calls.append(0 if got is None else len(got))
        return got

    monkeypatch.setattr(body_module.ArrayReader, "_batch", counted)
    data = json.dumps(rows_of(5000)).encode()
    assert len(list(body_module.ArrayReader([data]))) == 5000
    assert sum(calls) == 4998  # all but the first two rows, a BATCH_MAX of bytes at a time
    assert sum(1 for n in calls if n) == len(data) // body_module.BATCH_MAX + 1
