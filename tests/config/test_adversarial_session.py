"""Adversarial round on the session's fast paths (sequence scan, prefix parse, plain values,
column checks, DNC text entries): each case is read by the fast path and by the exact path
and must give the same values, errors and locations."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.config import fastyaml, load_config_sources, yamlpos
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
