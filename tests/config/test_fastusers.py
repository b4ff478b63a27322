"""The fast branch for the common user (config/fastusers.py) loads exactly what the exact path
loads: every user's fields (and their order), lists, flags, renames, every location resolved,
membership locations and refs in order, the load's declared emails, own lists and renames, and
every diagnostic with its position. Each case is read three ways: the slow path
(``fast=False``), the fast file with the branch off (shadow nodes and pydantic per user) and
with it on."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import context, fastusers, fastyaml, load_config, load_config_sources, users
from reconciler.config.plainyaml import plain_data
from reconciler.errors import ConfigError
from reconciler.state import DesiredState, Location

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import config_load

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _loc(loc: Location | None) -> Any:
    return None if loc is None else (loc.file, loc.line, loc.col)


def _state(state: DesiredState) -> Any:
    out: list[Any] = [list(state.files)]
    for email, u in state.users.items():
        out.append(
            (
                email,
                list(u.fields.items()),
                sorted(u.roles),
                sorted(u.teams),
                u.roles_managed,
                u.teams_managed,
                u.renamed_from,
                u.email_as_written,
                _loc(u.loc),
                [(k, _loc(v)) for k, v in u.field_locs.items()],
                [(k, _loc(v)) for k, v in u.membership_locs.items()],
                len(u.membership_locs),
            )
        )
    for refs in (state.role_refs, state.team_refs, state.role_sections, state.team_sections):
        out.append([(k, _loc(v)) for k, v in refs.items()])
    return out


@pytest.fixture()
def seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """What each load's context holds when the users are finished (errors or not)."""
    found: list[Any] = []
    real = users.finish_users

    def spy(ctx: context.LoadContext, defaults: Any) -> None:
        real(ctx, defaults)
        renames = [(k, v[0], _loc(v[1])) for k, v in ctx.renames.items()]
        found.append((sorted(ctx.declared), sorted(ctx.own_lists), renames))

    monkeypatch.setattr(users, "finish_users", spy)
    yield found


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """[users read by the exact path, users read by the fast branch] in fast loads."""
    count = [0, 0]
    real = fastusers.FastUsers.read

    def spy(self: fastusers.FastUsers, i: int, mentioned: set[tuple[str, str]]) -> bool:
        done = real(self, i, mentioned)
        count[done] += 1
        return done

    monkeypatch.setattr(fastusers.FastUsers, "read", spy)
    return count


def _outcome(load: Callable[[], Any], seen: list[Any]) -> Any:
    del seen[:]
    try:
        result = load()
    except ConfigError as err:
        got = ("error", [(d.message, _loc(d.loc)) for d in err.diagnostics])
    else:
        got = ("ok", _state(result.state), [(w.message, _loc(w.loc)) for w in result.warnings])
    return got, list(seen)


def _three(
    load: Callable[[bool], Any], seen: list[Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, Any, Any]:
    slow = _outcome(lambda: load(False), seen)
    monkeypatch.setattr(fastyaml, "FAST_MIN_BYTES", 0)
    monkeypatch.setattr(fastusers, "ENABLED", False)
    shadow = _outcome(lambda: load(True), seen)
    monkeypatch.setattr(fastusers, "ENABLED", True)
    fast = _outcome(lambda: load(True), seen)
    return slow, shadow, fast


PLAIN = (
    "  - email: ann@example.com\n    first_name: Ann\n    last_name: Lee\n"
    "    agent_number: A-1\n    status: Active\n    location: Paris\n"
    "    max_chat_limit: 3\n    max_chat_limit_enabled: true\n"
    "    roles: [Agent, Admin]\n    teams:\n      - T1\n"
)
LAST = (
    "  - email: zed@example.com\n    first_name: Zed\n    last_name: Z\n"
    "    roles: [Admin, Boss, Agent]\n    teams: [T2, T1]\n"
)
BASE = "  - email: bob@example.com\n    first_name: Bob\n    last_name: B\n"

# One odd user (or a few) per case, read between plain users.
SHAPES: dict[str, str] = {
    "plain": BASE,
    "spaces": "  - email: '  Bob@Example.COM '\n    first_name: '  Bob '\n    last_name: ' B'\n",
    "non_ascii": "  - email: bob@example.com\n    first_name: Zoë\n    last_name: Ñandú 名\n",
    "non_ascii_email": "  - email: zoë@exämple.com\n    first_name: Z\n    last_name: Z\n",
    "odd_strings": BASE.replace("Bob\n", "'#: [x] {y}'\n", 1) + "    location: '0101'\n",
    "odd_strings2": BASE.replace("Bob\n", '"a: b # c"\n', 1) + '    location: "x\\ty"\n',
    "odd_strings3": BASE.replace("Bob\n", "O'Neil - Jr.\n", 1) + "    location: 'São Paulo'\n",
    "all_fields": BASE + "    agent_number: A-0101\n    status: Inactive\n    location: Rome\n"
    "    max_chat_limit: 1\n    max_chat_limit_enabled: false\n",
    "field_order": "  - last_name: B\n    status: Active\n    email: bob@example.com\n"
    "    first_name: Bob\n    teams: [T3]\n    roles: [R3]\n",
}
VALUES: dict[str, list[str]] = {
    "first_name": ["''", '""', '"  "', "'  '", "null", "12", "true", "1.5", "[a]", "{a: b}"],
    "agent_number": [
        "0101",
        "1e3",
        "1.5",
        "7",
        "''",
        '""',
        '"0101"',
        "-7",
        "' '",
        "null",
        "true",
        "' A-2 '",
    ],
    "status": ["active", "null", '""', "''", "1", "Inactive"],
    "location": ["null", '""', "''", "'  x  '", "5", "true", "~"],
    "max_chat_limit": ["0", "-1", "2.0", "2.5", "'3'", '"3"', "100000", "true", "null", "1"],
    "max_chat_limit_enabled": ["'true'", '"true"', "True", "1", "null", "false"],
    "roles": [
        "[]",
        "[Admin, Admin]",
        "[' Admin ']",
        '[" Admin "]',
        '[""]',
        "\n      - ''",
        "['']",
        "[null]",
        "null",
        "Admin",
        "[1]",
    ],
    "teams": [
        "[]",
        "[T1, T1, T9]",
        '["  "]',
        "['  ']",
        "\n      - T1\n      - T1",
        "null",
        "{a: 1}",
        "[[T1]]",
    ],
    "renamed_from": ["old@example.com", "'  OLD@Example.com '", "bob@example.com", "bad", "null"],
    "nickname": ["x"],
    "frist_name": ["Bob"],
}
for key, values in VALUES.items():
    for n, value in enumerate(values):
        if f"    {key}: " in BASE:
            SHAPES[f"{key}-{n}"] = BASE.replace("Bob\n", f"{value}\n", 1)
        else:
            SHAPES[f"{key}-{n}"] = BASE + f"    {key}: {value}\n"
SHAPES.update(
    {
        "no_last_name": "  - email: bob@example.com\n    first_name: Bob\n",
        "no_email": "  - first_name: Bob\n    last_name: B\n",
        "email_null": "  - email: null\n    first_name: Bob\n    last_name: B\n",
        "email_blank": "  - email: '  '\n    first_name: Bob\n    last_name: B\n",
        "email_number": "  - email: 5\n    first_name: Bob\n    last_name: B\n",
        "email_bad": "  - email: bob@\n    first_name: Bob\n    last_name: B\n",
        "email_bad_and_field": "  - email: bob\n    first_name: ''\n    last_name: B\n",
        "not_a_mapping": "  - bob@example.com\n",
        "a_list": "  - [1, 2]\n",
        "null_user": "  - null\n",
        "empty_mapping": "  - {}\n",
        "duplicate": BASE + BASE.replace("bob@", "BOB@"),
        "duplicate_plain_then_odd": BASE + BASE.replace("Bob\n", "Bob\n    status: x\n", 1),
        "duplicate_of_plain": BASE.replace("bob@", "Ann@"),
        "renames": BASE + "    renamed_from: old@example.com\n"
        "  - email: cy@example.com\n    first_name: C\n    last_name: C\n"
        "    renamed_from: OLD@example.com\n"
        "  - email: di@example.com\n    first_name: D\n    last_name: D\n"
        "    renamed_from: zed@example.com\n",
        "rename_after_odd": BASE + "    renamed_from: old@example.com\n"
        "  - email: cy@example.com\n    first_name: C\n    last_name: ''\n"
        "    renamed_from: old@example.com\n",
        "rename_bad_other": BASE + "    renamed_from: 'not an email'\n    roles: [Agent]\n",
    }
)
EXTRA = (
    "roles:\n  Admin: [bob@example.com, nobody@example.com]\n"
    "  Boss:\n    members: [ann@example.com]\n"
    "teams:\n  T2: [zed@example.com]\n"
)
DEFAULTS = "defaults:\n  status: Active\n  teams: [T0]\n  location: Home\n"


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_user_shape_loads_as_on_the_exact_path(
    shape: str, seen: list[Any], counted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "version: 1\nusers:\n" + PLAIN + SHAPES[shape] + LAST + EXTRA
    sources = [("u.yaml", text.encode()), ("d.yaml", DEFAULTS.encode())]

    def load(fast: bool) -> Any:
        return load_config_sources(sources, now=NOW, fast=fast)

    slow, shadow, fast = _three(load, seen, monkeypatch)
    assert fast == slow
    assert fast == shadow
    # the plain users around it took the fast branch (if the file is a fast one at all)
    assert counted[1] >= 2 or plain_data(text) is None


def test_most_shapes_are_in_fast_files() -> None:
    texts = ["users:\n" + PLAIN + shape + LAST + EXTRA for shape in SHAPES.values()]
    fast = [t for t in texts if plain_data(t) is not None]
    assert len(fast) >= 0.65 * len(texts)


def test_the_odd_users_take_the_exact_path(
    counted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastyaml, "FAST_MIN_BYTES", 0)
    odd = [k for k in SHAPES if k.split("-")[0] in ("first_name", "nickname", "frist_name")]
    blocks = [SHAPES[k].replace("bob@", f"b{i}@") for i, k in enumerate(odd)]
    blocks = [b for b in blocks if plain_data("users:\n" + b) is not None]
    assert len(blocks) >= 6
    with pytest.raises(ConfigError):
        load_config_sources([("u.yaml", ("users:\n" + "".join(blocks)).encode())], now=NOW)
    assert counted == [len(blocks), 0]


def test_many_plain_users_in_many_files(
    seen: list[Any], counted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = []
    for f in range(3):
        body = "".join(
            PLAIN.replace("ann@", f"u{f}-{i}@")
            .replace("T1", f"T{i % 7}")
            .replace("Agent", f"R{i % 5}")
            for i in range(40)
        )
        files.append((f"f{f}.yaml", ("users:\n" + body + LAST.replace("zed@", f"z{f}@")).encode()))

    def load(fast: bool) -> Any:
        return load_config_sources(files, now=NOW, fast=fast)

    slow, shadow, fast = _three(load, seen, monkeypatch)
    assert fast[0][0] == "ok"
    assert fast == slow == shadow
    assert counted == [0, 123]


@pytest.mark.parametrize("style", ["user", "group"])
def test_generated_bench_configs(
    style: str, tmp_path: Path, seen: list[Any], counted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    config_load.generate(tmp_path, style, users=400, dnc=100, files=4)

    def load(fast: bool) -> Any:
        return load_config([tmp_path], now=NOW, fast=fast)

    slow, shadow, fast = _three(load, seen, monkeypatch)
    assert fast[0][0] == "ok"
    assert fast == slow == shadow
    assert counted == [0, 400]


# A plain value of each optional key (what the users around an odd one hold).
PLAIN_VALUE = {
    "first_name": "Bob",
    "agent_number": "A-1",
    "status": "Active",
    "location": "Paris",
    "max_chat_limit": "3",
    "max_chat_limit_enabled": "true",
    "roles": "[Agent]",
    "teams": "[T1]",
}


@pytest.mark.parametrize("shape", [k for k in SHAPES if k.split("-")[0] in PLAIN_VALUE])
def test_an_odd_value_among_plain_users_of_its_shape(
    shape: str, seen: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The users of one shape are checked a column at a time: one odd value in a column
    must leave its user to the exact path and the others as they are."""
    key = shape.split("-")[0]
    if key == "first_name":
        like = BASE.replace("Bob\n", f"{PLAIN_VALUE[key]}\n", 1)
    else:
        like = BASE + f"    {key}: {PLAIN_VALUE[key]}\n"
    blocks = [like.replace("bob@", f"u{i}@") for i in range(6)]
    blocks.insert(3, SHAPES[shape])
    text = "version: 1\nusers:\n" + "".join(blocks) + EXTRA

    def load(fast: bool) -> Any:
        return load_config_sources([("u.yaml", text.encode())], now=NOW, fast=fast)

    slow, shadow, fast = _three(load, seen, monkeypatch)
    assert fast == slow
    assert fast == shadow


def _one_by_one(data: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in data:
        values = fastusers.plain_user(item)
        out.append(None if values is None else (tuple(item), tuple(values.values())))
    return out


ODD_VALUES: dict[str, list[Any]] = {
    "email": [None, "", "  ", 5, True, ["a@b.c"], " a@b.c "],
    "first_name": [None, "", " \t ", 5, 5.0, True, [], {"a": 1}, " Bob "],
    "agent_number": [None, "", "  ", 7, 7.5, False, " A-2 "],
    "status": [None, "", "active", 1, True, "Inactive"],
    "location": [None, "", " ", 0, False, ["x"], " x "],
    "max_chat_limit": [None, 0, -1, 2.0, 2.5, "3", True, False, 100_000, 1],
    "max_chat_limit_enabled": [None, "true", 1, 0, 1.0, False],
    "roles": [
        None,
        "Agent",
        [],
        [""],
        [" "],
        ["A", 3],
        ["A", None],
        ["A", ["B"]],
        ["A", {"b": 1}],
        [True],
        [" A "],
        ["A", "A"],
    ],
    "teams": [None, {}, [1.5], ["T", ""], ["T", {"x": [1]}], ["T1", "T2"]],
    "renamed_from": [None, "", "x@y.z", 3],
}


@pytest.mark.parametrize("key", list(ODD_VALUES))
def test_plain_users_equals_plain_user_one_by_one(key: str) -> None:
    base = {
        "email": "u@example.com",
        "first_name": "F",
        "last_name": "L",
        "agent_number": "A-1",
        "status": "Active",
        "location": "Paris",
        "max_chat_limit": 3,
        "max_chat_limit_enabled": True,
        "roles": ["Agent"],
        "teams": ["T1", "T2"],
        "renamed_from": "old@example.com",
    }
    for odd in ODD_VALUES[key]:
        data: list[Any] = [dict(base) for _ in range(5)]
        data[2][key] = odd
        assert fastusers.plain_users(data) == _one_by_one(data), (key, odd)
        del data[4][key]  # a second shape in the same list
        data.insert(1, None)  # and an item that is no user at all
        data.insert(0, ["not", "a", "user"])
        assert fastusers.plain_users(data) == _one_by_one(data), (key, odd)


def test_plain_users_of_mixed_shapes_and_unknown_keys() -> None:
    a = {"email": "a@example.com", "first_name": "A", "last_name": "A"}
    b = {"first_name": "B", "email": "b@example.com", "last_name": "B", "roles": []}
    c = {"email": "c@example.com", "first_name": "C", "last_name": "C", "nickname": "C"}
    d = {"email": "d@example.com", "first_name": "D"}  # last_name missing
    data: list[Any] = [a, b, c, d, a, b, 5, "x", [], {}, b]
    assert fastusers.plain_users(data) == _one_by_one(data)
    assert fastusers.plain_users([]) == []
    assert fastusers.plain_users([a] * 4) == _one_by_one([a] * 4)
