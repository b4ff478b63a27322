"""The items of a sequence located by one scan of its lines (yamlpos.Parsed.items) are where
ruamel.yaml's marks put them, or the scan declines; a plan's batch uses it for long lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.config import fastyaml, lazyloc, load_config_sources, yamlpos
from reconciler.state import DesiredState, Location, resolve_locations

NOW = datetime(2026, 6, 1, tzinfo=UTC)

ITEMS = [f'"+1415555010{i}"' for i in range(10)]
CASES: dict[str, tuple[str, tuple[str | int, ...], bool]] = {
    # name: (text, path of the sequence, does the scan tell)
    "quoted": ("dnc:\n" + "".join(f"  - {x}\n" for x in ITEMS), ("dnc",), True),
    "plain": ("dnc:\n" + "".join(f"  - {x[1:-1]}\n" for x in ITEMS), ("dnc",), True),
    "single quotes": ("dnc:\n" + "".join(f"  - '{x[1:-1]}'\n" for x in ITEMS), ("dnc",), True),
    "at the key's indentation": ("dnc:\n" + "".join(f"- {x}\n" for x in ITEMS), ("dnc",), True),
    "wide dashes": ("dnc:\n" + "".join(f"    -   {x}\n" for x in ITEMS), ("dnc",), True),
    "comments, blanks and a trailing comment": (
        "dnc:\n  # first\n  - a\n\n  - b  # two\n# outdented\n  - 'c'\n      # deep\n  - d\n"
        "\n# after\nusers: []\n",
        ("dnc",),
        True,
    ),
    "non-ASCII values and lines": (
        '# é\ndnc:\n  - "é 1"\n  - ü\n  - 日本\n  - plain, with: colon\n',
        ("dnc",),
        True,
    ),
    "mappings": (
        'dnc:\n  - phone_number: a\n    comment: x\n  - "phone_number": b\n'
        "  - phone_number: c\n    expires_at: d\n",
        ("dnc",),
        True,
    ),
    "a nested list": (
        "roles:\n  A:\n    - a@x.com\n    - b@x.com\n  B: [c@x.com]\n",
        ("roles", "A"),
        True,
    ),
    "a list in a list item": (
        "users:\n  - email: a\n    roles:\n    - x\n    - y\n  - email: b\n",
        ("users",),
        True,
    ),
    "the inner list": (
        "users:\n  - email: a\n    roles:\n    - x\n    - y\n  - email: b\n",
        ("users", 0, "roles"),
        True,
    ),
    "multi-line plain scalars": ("dnc:\n  - a\n    b\n  - c\n  - d\n    e\n", ("dnc",), True),
    "a value on the next line": ("dnc:\n  - a\n  -\n    b\n  - c\n", ("dnc",), False),
    "a comment after a dash": ("dnc:\n  - a\n  - # c\n    b\n", ("dnc",), False),
    "a flow item": ("dnc:\n  - a\n  - [b, c]\n", ("dnc",), False),
    "a sequence item": ("dnc:\n  - a\n  - - b\n    - c\n", ("dnc",), False),
    "a flow list": ("dnc: [a, b]\n", ("dnc",), False),
    "a compact list in a list": ("dnc:\n  - - a\n    - b\n", ("dnc", 0), False),
}


def _ruamel(text: str, path: tuple[str | int, ...], count: int) -> list[tuple[int, int]]:
    src = lazyloc.Source("c.yaml", text)
    marks = [src.node((*path, i), False).start_mark for i in range(count)]
    return [(m.line + 1, m.column + 1) for m in marks]


@pytest.mark.parametrize("name", list(CASES))
def test_a_scan_finds_ruamels_marks_or_declines(name: str) -> None:
    text, path, tells = CASES[name]
    parsed = yamlpos.Parsed(text.encode())
    got = parsed.items(path)
    assert (got is not None) is tells
    node = parsed._node(path)
    assert node is not None
    count = parsed.tree.num_children(node)
    want = _ruamel(text, path, count)
    if got is not None:
        assert got == want
    # One by one (what a declined scan falls back to) agrees too, where it answers.
    for i, position in enumerate(want):
        one = parsed.position((*path, i), False)
        assert one is None or one == position


def _dnc_locations(state: DesiredState) -> list[Location]:
    return [d.loc for d in state.dnc.values() if d.loc is not None]


_QUOTED = "".join(f'  - "+1415555{i:04d}"\n' for i in range(40))
_COMMENTS = "".join(
    f"  - '+1415555{i:04d}'  # n{i}\n" + ("\n  # gap\n" if i % 7 else "") for i in range(40)
)
# A mapping's location is its number's, not the item's: no scan.
_MAPPINGS = "".join(f"  - phone_number: '+1415555{i:04d}'\n    comment: é{i}\n" for i in range(40))
_MIXED = "".join(
    f"  - '+1415555{i:04d}'\n" if i % 2 else f"  - phone_number: '+1415666{i:04d}'\n"
    for i in range(40)
)


@pytest.mark.parametrize(
    ("body", "scans"),
    [(_QUOTED, [True]), (_COMMENTS, [True]), (_MAPPINGS, []), (_MIXED, [True])],
    ids=["quoted", "comments", "mappings", "mixed"],
)
def test_a_batch_over_a_long_list_gives_the_slow_paths_locations(
    body: str, scans: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastyaml, "FAST_MIN_BYTES", 0)
    sources = [("d.yaml", ("dnc:\n" + body).encode())]
    slow = load_config_sources(sources, now=NOW, fast=False)
    fast = load_config_sources(sources, now=NOW)
    locs = _dnc_locations(fast.state)
    assert len(locs) == 40 and all(isinstance(x, lazyloc.LazyLocation) for x in locs)
    seen: list[bool] = []
    real = yamlpos.Parsed.items

    def spy(self: yamlpos.Parsed, path: tuple[str | int, ...]) -> object:
        found = real(self, path)
        seen.append(found is not None)
        return found

    monkeypatch.setattr(yamlpos.Parsed, "items", spy)
    resolve_locations(locs)
    assert seen == scans
    want = [(x.file, x.line, x.col) for x in _dnc_locations(slow.state)]
    assert [(x.file, x.line, x.col) for x in locs] == want


def _user(i: int, pad: int = 0) -> str:
    return (
        f"  - email: u{i:04d}@example.com\n    first_name: F{i}\n    last_name: L\n"
        + "    # a comment line to make this item longer\n" * pad
        + f"    roles: [Agent]\n    teams:\n      - T{i % 3}\n"
    )


def _some(state: DesiredState, which: list[int]) -> list[Location]:
    users = list(state.users.values())
    locs: list[Location] = []
    for i in which:
        user = users[i]
        locs.extend([user.loc, *user.field_locs.values(), *user.membership_locs.values()])
    return locs


@pytest.mark.parametrize(
    ("which", "pads", "whole"),
    [
        ([0, 1], 0, False),
        ([3, 250], 0, False),
        ([500], 0, False),
        ([898], 0, True),  # near the end: parse it all
        ([0, 899], 0, True),  # the last item: parse it all
        ([10], 40, True),  # the first items far longer than the others: the prefix is short
    ],
    ids=["first", "spread", "middle", "next-to-last", "last", "short-prefix"],
)
def test_a_few_locations_in_a_large_file_parse_only_a_prefix(
    which: list[int], pads: int, whole: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "users:\n" + "".join(_user(i, pads if i < 20 else 0) for i in range(900))
    text += "# trailing comment\n"
    assert len(text) >= lazyloc.PREFIX_MIN_BYTES
    sources = [("u.yaml", text.encode())]
    slow = _some(load_config_sources(sources, now=NOW, fast=False).state, which)
    fast = _some(load_config_sources(sources, now=NOW).state, which)
    assert all(isinstance(x, lazyloc.LazyLocation) for x in fast)
    sizes: list[int] = []
    real = yamlpos.Parsed.__init__

    def spy(self: yamlpos.Parsed, raw: bytes) -> None:
        sizes.append(len(raw))
        real(self, raw)

    monkeypatch.setattr(yamlpos.Parsed, "__init__", spy)
    resolve_locations(fast)
    assert (sizes[-1] == len(text.encode())) is whole
    assert sizes[-1] == len(text.encode()) or sizes[-1] < 0.8 * len(text.encode())
    assert [(x.file, x.line, x.col) for x in fast] == [(x.file, x.line, x.col) for x in slow]


def test_a_prefix_is_only_for_items_of_one_root_list() -> None:
    raw = ("users:\n" + "".join(_user(i) for i in range(100)) + "dnc: []\n").encode()
    lengths = {"users": 100, "dnc": 0}
    assert yamlpos.prefix(raw, iter([("users", 1), ("users", 2, "email")]), lengths) is not None
    assert yamlpos.prefix(raw, iter([("users", 1), ("dnc",)]), lengths) is None
    assert yamlpos.prefix(raw, iter([("users", 1), ("users",)]), lengths) is None
    assert yamlpos.prefix(raw, iter([("users", 99)]), lengths) is None
    assert yamlpos.prefix(raw, iter([("users", "x")]), lengths) is None
