"""The budgeted DNC rotation (reconciler.refresh.rotation): pure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from reconciler.refresh import rotation, rotation_slot
from reconciler.state import DesiredDnc, DesiredState

NOW = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)


def _state(n: int) -> DesiredState:
    numbers = [f"+1415555{i:04d}" for i in range(n)]
    return DesiredState(dnc={x: DesiredDnc(number=x, raw=x) for x in numbers})


@pytest.mark.parametrize(("declared", "budget"), [(1, 1), (10, 3), (12, 4), (7, 10), (100, 7)])
def test_one_cycle_checks_every_number_exactly_once(declared: int, budget: int) -> None:
    state = _state(declared)
    windows = -(-declared // budget)
    seen: list[str] = []
    for slot in range(1000, 1000 + windows):  # any run of `windows` consecutive slots
        numbers, info = rotation(state, budget, slot=slot, now=NOW, slot_is_day=False)
        assert len(numbers) <= budget and info.checked == len(numbers)
        assert info.windows == windows and info.declared == declared
        seen += numbers
    assert sorted(seen) == sorted(state.dnc)


def test_deterministic_and_wraps() -> None:
    state = _state(20)
    a, info = rotation(state, 6, slot=2, now=NOW, slot_is_day=False)
    assert (a, info) == rotation(state, 6, slot=2, now=NOW, slot_is_day=False)
    assert rotation(state, 6, slot=6, now=NOW, slot_is_day=False)[0] == a  # 4 windows: 6 ≡ 2
    assert info.window == 3 and info.runs_to_cycle_end == 1 and info.cycle_ends_on is None


def test_daily_slot_and_cycle_end_date() -> None:
    slot = rotation_slot(NOW)
    assert slot == (date(2026, 12, 3) - date(1970, 1, 1)).days
    _, info = rotation(_state(10), 3, slot=slot, now=NOW, slot_is_day=True)
    assert info.windows == 4
    assert info.cycle_ends_on is not None
    assert (info.cycle_ends_on - NOW.date()).days == info.runs_to_cycle_end == 4 - info.window


def test_empty_list_and_bad_budget() -> None:
    numbers, info = rotation(DesiredState(), 5, slot=3, now=NOW, slot_is_day=False)
    assert numbers == [] and info.windows == 1 and info.runs_to_cycle_end == 0
    with pytest.raises(ValueError):
        rotation(_state(3), 0, slot=0, now=NOW, slot_is_day=False)
