"""Adversarial round on the session's fast paths (sequence scan, prefix parse, plain values,
column checks, DNC text entries): each case is read by the fast path and by the exact path
and must give the same values, errors and locations."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.config import fastyaml, lazyloc, load_config_sources, yamlpos
from reconciler.errors import ConfigError
from reconciler.state import resolve_locations

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _dnc_outcome(text: str, *, fast: bool) -> Any:
    """Errors, or each DNC entry with its location (resolved in one batch, as a plan does)."""
    try:
        result = load_config_sources([("c.yaml", text.encode())], now=NOW, fast=fast)
    except ConfigError as err:
        return ("error", [str(d) for d in err.diagnostics])
    entries = list(result.state.dnc.values())
    resolve_locations(d.loc for d in entries)
    return ("ok", [(d.number, str(d.loc)) for d in entries])


# A middle item whose dash is followed by more than one space and then not a value on the
# line: a comment, the end of the line, a flow list or a nested sequence.
ODD_ITEMS = {
    "two spaces then a comment": "  -  # c\n    ITEM\n",
    "trailing spaces": "  -   \n    ITEM\n",
    "two spaces then a flow list": "  -  [ITEM]\n",
    "two spaces then a nested list": "  -  - ITEM\n",
}


@pytest.mark.parametrize("odd", list(ODD_ITEMS.values()), ids=list(ODD_ITEMS))
def test_the_sequence_scan_agrees_with_ruamel_or_declines(odd: str) -> None:
    text = "dnc:\n  - a\n" + odd.replace("ITEM", "b") + "  - c\n"
    found = yamlpos.Parsed(text.encode()).items(("dnc",))
    seq = YAML().compose(io.StringIO(text)).value[0][1]
    marks = [(n.start_mark.line + 1, n.start_mark.column + 1) for n in seq.value]
    assert found is None or found == marks


@pytest.mark.parametrize("item", ["'+14155559999'", "bad"], ids=["valid", "invalid"])
@pytest.mark.parametrize("odd", list(ODD_ITEMS.values())[:2], ids=list(ODD_ITEMS)[:2])
def test_a_long_dnc_list_with_an_odd_item_is_located_as_on_the_slow_path(
    odd: str, item: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastyaml, "FAST_MIN_BYTES", 0)
    entries = [f"  - '+1415555{i:04d}'\n" if item != "bad" else f"  - bad{i}\n" for i in range(20)]
    text = "dnc:\n" + "".join(entries[:10]) + odd.replace("ITEM", item) + "".join(entries[10:])
    assert _dnc_outcome(text, fast=True) == _dnc_outcome(text, fast=False)


def _odd_dnc_file(seed: int, n: int = 4200) -> str:
    """A DNC list over PREFIX_MIN_BYTES: mostly text entries (some wide, some plain numbers
    over two lines, comments between), a few mappings and, for odd seeds, a few of the odd
    items above (the scan must decline; for even seeds it tells)."""
    rnd = random.Random(seed)
    odd = 0.002 if seed % 2 else 0.0
    lines = ["dnc:\n"]
    for i in range(n):
        num = f"+1415{i:07d}"
        r = rnd.random()
        if r < odd:
            lines.append(rnd.choice(list(ODD_ITEMS.values())[:2]).replace("ITEM", f"'{num}'"))
        elif r < 0.1 + odd:
            lines.append(f"  - phone_number: '{num}'\n    comment: c\n")
        elif r < 0.15:
            lines.append(rnd.choice(["# c\n", "\n", "      # deep\n"]) + f'  - "{num}"\n')
        elif r < 0.2:
            lines.append(f"  -   '{num}'   # wide\n")
        elif r < 0.25:
            lines.append(f"  - 415\n    {i:07d}\n")
        else:
            lines.append(f"  - '{num}'\n")
    return "".join(lines)


@pytest.mark.parametrize("seed", range(4))
def test_a_plans_dnc_locations_in_a_large_file_are_the_slow_paths(seed: int) -> None:
    """The entries of a large DNC file resolved in one batch (the prefix parse when they all
    lie before its last entry, the sequence scan when 16 or more) where the slow path puts
    them."""
    text = _odd_dnc_file(seed)
    assert len(text) >= lazyloc.PREFIX_MIN_BYTES
    sources = [("big.yaml", text.encode())]
    fast = load_config_sources(sources, now=NOW).state
    slow = load_config_sources(sources, now=NOW, fast=False).state
    numbers = list(slow.dnc)
    for upto in (len(numbers), len(numbers) // 4, 300):
        pick = range(upto - 1)  # each before the last: the prefix parse, where it suffices
        locs = [fast.dnc[numbers[i]].loc for i in pick]
        resolve_locations(locs)
        assert [str(x) for x in locs] == [str(slow.dnc[numbers[i]].loc) for i in pick]
