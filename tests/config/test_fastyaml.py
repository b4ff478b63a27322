"""The fast path (rapidyaml + JSON, lazy locations) gives exactly what the slow path gives."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import (
    fastusers,
    fastyaml,
    lazyloc,
    load_config,
    load_config_sources,
    plainyaml,
)
from reconciler.errors import ConfigError
from reconciler.state import Location

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import config_load

from tests.config.test_errors import CASES

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _dirs() -> list[Path]:
    found = {p.parent for base in ("tests", "examples") for p in (ROOT / base).rglob("*.yaml")}
    return sorted(found)


def _plain(value: Any) -> Any:
    """Every field, with each location as (file, line, col): lazy ones are resolved here."""
    if isinstance(value, Location):
        return ("loc", value.file, value.line, value.col)
    if isinstance(value, Mapping):  # a dict, or a fast file's lazy field locations
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list | frozenset | set):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, frozenset | set) else items
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def _outcome(load: Any) -> Any:
    try:
        result = load()
    except ConfigError as err:
        return ("error", [str(d) for d in err.diagnostics])
    return ("ok", _plain(result.state), [str(w) for w in result.warnings])


@pytest.fixture()
def always_fast(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Try the fast path on every file, however small; record the files it took."""
    monkeypatch.setattr(fastyaml, "FAST_MIN_BYTES", 0)
    taken: list[str] = []
    real = fastyaml.fast_root

    def spy(file: str, text: str) -> Any:
        got = real(file, text)
        if got is not None:
            taken.append(file)
        return got

    monkeypatch.setattr(fastyaml, "fast_root", spy)
    return taken


@pytest.mark.parametrize("folder", _dirs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_fixture_and_example_configs(folder: Path, always_fast: list[str]) -> None:
    files = sorted(folder.glob("*.yaml"))
    slow = _outcome(lambda: load_config(files, now=NOW, fast=False))
    fast = _outcome(lambda: load_config(files, now=NOW))
    assert fast == slow


def test_the_fast_path_is_taken_on_plain_examples(always_fast: list[str]) -> None:
    for folder in _dirs():
        _outcome(lambda folder=folder: load_config(sorted(folder.glob("*.yaml")), now=NOW))
    assert len(always_fast) >= 3  # not a comparison of the slow path with itself


@pytest.mark.parametrize("name", list(CASES))
def test_error_corpus(name: str, always_fast: list[str]) -> None:
    files, _ = CASES[name]
    sources = [(n, c.encode() if isinstance(c, str) else c) for n, c in files.items()]
    slow = _outcome(lambda sources=sources: load_config_sources(sources, now=NOW, fast=False))
    fast = _outcome(lambda sources=sources: load_config_sources(sources, now=NOW))
    assert fast == slow


@pytest.mark.parametrize("style", ["user", "group"])
def test_generated_config(style: str, tmp_path: Path, always_fast: list[str]) -> None:
    config_load.generate(tmp_path, style, users=300, dnc=200, files=3)
    slow = _outcome(lambda: load_config([tmp_path], now=NOW, fast=False))
    fast = _outcome(lambda: load_config([tmp_path], now=NOW))
    assert fast[0] == "ok"
    assert fast == slow
    assert len(always_fast) >= 4


@pytest.mark.parametrize(
    "text",
    [
        "dnc:\n  - ~\n",
        "dnc:\n  - True\n",
        "dnc:\n  - 0x1F\n",
        "dnc:\n  - 0101\n",
        "dnc:\n  - +14155550100\n",
        "dnc:\n  - 1.5\n",
        "dnc:\n  - -0\n",
        "users:\n  - email: a@example.com\n    email: b@example.com\n",
        "users:\n  - &a {email: a@example.com}\n",
        "users:\n  - email: !x a@example.com\n",
        "---\nusers: []\n",
    ],
)
def test_unusual_files_take_the_slow_path(text: str) -> None:
    assert plainyaml.plain_data(text) is None


def test_lazy_location_behaves_like_a_location(always_fast: list[str]) -> None:
    text = "users:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n"
    state = load_config_sources([("c.yaml", text.encode())], now=NOW).state
    loc = state.users["a@example.com"].loc
    assert isinstance(loc, lazyloc.LazyLocation)
    assert loc == Location("c.yaml", 2, 5) and Location("c.yaml", 2, 5) == loc
    assert hash(loc) == hash(Location("c.yaml", 2, 5))
    assert str(loc) == "c.yaml:2:5" and loc < Location("c.yaml", 3, 1)
    assert state.users["a@example.com"].field_locs["first_name"] == Location("c.yaml", 3, 5)


def test_the_pre_check_refuses_exactly_ruamels_non_printable_the_indicators_and_breaks() -> None:
    from ruamel.yaml.reader import Reader

    indicators = set("!&*|>%?<\\`{}\t\r\x85\u2028\u2029")
    wrong = [
        hex(code)
        for code in [*range(0x10000), 0x10000, 0x1F600, 0x10FFFF]
        if bool(plainyaml._UNUSUAL_CHAR.search(chr(code)))
        != (chr(code) in indicators or bool(Reader.NON_PRINTABLE.match(chr(code))))
    ]
    assert not wrong


@pytest.mark.parametrize(
    ("line", "fast"),
    [
        ('    roles: ["Admin", Agent]\n', True),
        ("    roles: []\n", True),
        ("    roles: [Team 01, a@b]  # c\n", True),
        ("    roles: [a:b]\n", False),
        ("    roles: [@a]\n", False),
        ("    roles: [a, [b]]\n", False),
        ("    roles: ['a']\n", False),
        ("    roles: [a,\n      b]\n", False),
        ("    roles: [a] x\n", False),
        ("    roles: a [b]\n", False),
        ("    roles: {a: 1}\n", False),
    ],
)
def test_only_simple_one_line_flow_lists_take_the_fast_path(line: str, fast: bool) -> None:
    text = "users:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n" + line
    assert (plainyaml.plain_data(text) is not None) is fast


def test_membership_locations_and_refs_of_a_fast_file(always_fast: list[str]) -> None:
    """Own lists (a name twice, a name in two users), a default list and group sections in the
    same fast file: the same locations, references and iteration order as the slow path."""
    text = (
        "users:\n"
        "  - email: a@example.com\n    first_name: A\n    last_name: A\n"
        "    roles: [Agent, Admin, Agent]\n    teams:\n      - T1\n"
        "  - email: b@example.com\n    first_name: B\n    last_name: B\n"
        "    roles:\n      - Admin\n"
        "  - email: c@example.com\n    first_name: C\n    last_name: C\n"
        "roles:\n  Admin:\n    - c@example.com\n  Boss: [a@example.com, b@example.com]\n"
        "teams:\n  T1: [b@example.com]\n"
    )
    policy = "defaults:\n  teams: [T0]\n"
    sources = [("u.yaml", text.encode()), ("p.yaml", policy.encode())]
    slow = load_config_sources(sources, now=NOW, fast=False).state
    fast = load_config_sources(sources, now=NOW).state
    assert "u.yaml" in always_fast
    assert _plain(fast) == _plain(slow)
    for email, user in fast.users.items():
        want = slow.users[email].membership_locs
        assert list(user.membership_locs) == list(want)
        assert [_plain(v) for v in user.membership_locs.values()] == [
            _plain(v) for v in want.values()
        ]
    a = fast.users["a@example.com"].membership_locs
    assert isinstance(a, fastusers.MemberLocations)
    assert a[("role", "Agent")] == Location("u.yaml", 5, 13)
    assert a[("role", "Boss")] == Location("u.yaml", 19, 10)
    assert ("role", "Nope") not in a and len(a) == 4
    assert fast.role_refs == slow.role_refs and fast.team_refs == slow.team_refs


DNC_ENTRIES = [
    '"+14155550100"',
    "'  +1 415 555 0101  '",
    "14155550103",
    "'(415) 555-0104'",
    '"+14155550100"',  # listed twice
    "'   '",
    "not a number",
    "'911'",
    "null",
    "true",
    "phone_number: '+14155550106'\n    comment: c",
    "phone_number: '+14155550107'\n    expires_at: '2020-01-01'",
    "phone_number: '+14155550108'\n    state: absent",
    "phone_number: 14155550109",
    "phone_number: '+14155550110'\n    expires_at: 'soon'",
    "comment: no number",
    "'+4420 7946 0000'",
    "'+44 (0)20 7946 0001'",
    "'０１２３'",
]
# Entries that send their file to the slow path (rapidyaml and ruamel.yaml type them apart).
DNC_SLOW_ENTRIES = ["+14155550102", "''", "[+14155550105]", "phone_number: ''"]


@pytest.mark.parametrize("region", ["US", "GB"])
def test_dnc_entries_of_every_kind_in_a_fast_file(region: str, always_fast: list[str]) -> None:
    """A fast file's DNC entries written as text are read from their values (no node, no
    model): each kind of entry, among others, loads as on the slow path."""
    for i in range(len(DNC_ENTRIES)):
        entries = DNC_ENTRIES[i:] + DNC_ENTRIES[:i]
        text = "dnc:\n" + "".join(f"  - {e}\n" for e in entries)
        sources = [
            ("d.yaml", text.encode()),
            ("p.yaml", f"policy:\n  default_region: {region}\n".encode()),
        ]
        slow = _outcome(lambda sources=sources: load_config_sources(sources, now=NOW, fast=False))
        fast = _outcome(lambda sources=sources: load_config_sources(sources, now=NOW))
        assert fast == slow, entries
        assert "d.yaml" in always_fast[-1:]
    for odd in DNC_SLOW_ENTRIES:
        text = "dnc:\n" + "".join(f"  - {e}\n" for e in [*DNC_ENTRIES[:5], odd])
        slow = _outcome(
            lambda text=text: load_config_sources([("d.yaml", text.encode())], fast=False)
        )
        assert _outcome(lambda text=text: load_config_sources([("d.yaml", text.encode())])) == slow
    plain = "dnc:\n" + "".join(f"  - '+1415555{n:04d}'\n" for n in range(50))
    slow = _outcome(lambda: load_config_sources([("d.yaml", plain.encode())], now=NOW, fast=False))
    fast = _outcome(lambda: load_config_sources([("d.yaml", plain.encode())], now=NOW))
    assert fast[0] == "ok" and fast == slow
