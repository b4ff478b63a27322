"""Slice of the campaign (reliability/concurrent.py): two applies 0.3 s apart with ``-c`` (A
changes eve, B changes fay, each declaring the other as the tenant had it), and two saved
plans from one state applied at once. Rate limit off, so the runs overlap fully."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliability.concurrent import one_pair


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "offset"), [("-c", 0.3), ("saved", 0.0)])
def test_concurrent_applies_never_overwrite_each_other(
    tmp_path: Path, mode: str, offset: float
) -> None:
    case = one_pair(mode, 0.0, offset, tmp_path)
    assert case.ok, f"exits {case.rcs}: {case.problems}"
