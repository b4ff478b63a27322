"""Lazy locations resolved in batches: one rapidyaml parse per file, the same positions as one
by one and as the slow path; a plan resolves every location it holds before its output."""

from __future__ import annotations

import gc
import sys
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from reconciler.config import fastyaml, lazyloc, load_config, yamlpos
from reconciler.errors import ConfigError
from reconciler.gcpause import gc_paused
from reconciler.plan import (
    DncChange,
    FieldChange,
    MembershipChange,
    Plan,
    PlanDesired,
    PlanWarning,
    UserChange,
    _locations,
)
from reconciler.state import DesiredDnc, DesiredState, Location, resolve_locations

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import config_load

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _all_locations(state: DesiredState) -> list[Location]:
    locs: list[Location] = []
    for user in state.users.values():
        locs.append(user.loc)
        locs.extend(user.field_locs.values())
        locs.extend(user.membership_locs.values())
    locs.extend(d.loc for d in state.dnc.values() if d.loc is not None)
    return locs


@pytest.fixture()
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(fastyaml, "FAST_MIN_BYTES", 0)
    config_load.generate(tmp_path, "user", users=120, dnc=60, files=12)
    return tmp_path


@pytest.fixture()
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each file rapidyaml parses to find positions, in order."""
    seen: list[int] = []
    real = yamlpos.Parsed.__init__

    def spy(self: yamlpos.Parsed, raw: bytes) -> None:
        seen.append(len(raw))
        real(self, raw)

    monkeypatch.setattr(yamlpos.Parsed, "__init__", spy)
    return seen


def test_a_batch_parses_each_file_once_and_finds_the_same_positions(
    config: Path, parses: list[int]
) -> None:
    batch = _all_locations(load_config([config], now=NOW).state)
    assert all(isinstance(loc, lazyloc.LazyLocation) for loc in batch)
    # Users are spread round-robin over 12 files: read one by one in this order, a cache of a
    # few parses misses at almost every location.
    resolve_locations(batch)
    assert len(parses) == len({loc.file for loc in batch}) == 13  # 12 user files + dnc.yaml
    parses.clear()
    got = [(loc.file, loc.line, loc.col) for loc in batch]
    assert parses == []  # resolved: reading them parses nothing

    one_by_one = _all_locations(load_config([config], now=NOW).state)
    assert got == [(loc.file, loc.line, loc.col) for loc in one_by_one]
    slow = _all_locations(load_config([config], now=NOW, fast=False).state)
    assert not any(isinstance(loc, lazyloc.LazyLocation) for loc in slow)
    assert got == [(loc.file, loc.line, loc.col) for loc in slow]


def test_plain_locations_and_none_are_left_alone() -> None:
    plain = Location("a.yaml", 3, 4)
    resolve_locations([None, plain])
    assert (plain.line, plain.col) == (3, 4)


def _models_with_loc(model: type[BaseModel], seen: set[str]) -> None:
    hints = typing.get_type_hints(model)
    if "loc" in hints:
        seen.add(model.__name__)
    for hint in hints.values():
        for arg in (hint, *typing.get_args(hint)):
            for inner in (arg, *typing.get_args(arg)):
                name = getattr(inner, "__name__", "")
                if isinstance(inner, type) and name not in seen:
                    if issubclass(inner, BaseModel):
                        _models_with_loc(inner, seen)
                    elif name == "DesiredDnc":
                        seen.add(name)


def test_the_plan_resolves_every_location_it_holds() -> None:
    seen: set[str] = set()
    _models_with_loc(Plan, seen)
    # A new model with a location must be added to plan._locations (and here).
    assert seen == {
        "UserChange",
        "FieldChange",
        "MembershipChange",
        "DncChange",
        "PlanWarning",
        "DesiredDnc",
    }
    locs = iter(Location("f.yaml", n, 1) for n in range(1, 100))
    change = UserChange(
        action="update",
        email="a@acme-corp.com",
        first_name="A",
        last_name="B",
        fields=[FieldChange(field="first_name", before="X", after="A", loc=next(locs))],
        roles=[MembershipChange(name="Agent", assign=True, loc=next(locs))],
        teams=[MembershipChange(name="T", assign=False, loc=next(locs))],
        loc=next(locs),
    )
    dnc = DncChange(action="add", number="+14155550100", raw="+14155550100", loc=next(locs))
    declared = DesiredDnc(number="+14155550100", raw="+14155550100", loc=next(locs))
    plan = Plan(
        user_changes=[change],
        dnc_changes=[dnc],
        warnings=[PlanWarning(message="w", loc=next(locs))],
        desired=PlanDesired(dnc=[declared]),
    )

    def dumped(value: Any) -> list[int]:
        if isinstance(value, dict):
            own = [value["loc"]["line"]] if isinstance(value.get("loc"), dict) else []
            return own + [n for v in value.values() for n in dumped(v)]
        if isinstance(value, list):
            return [n for v in value for n in dumped(v)]
        return []

    every = sorted(dumped(plan.model_dump(mode="json")))
    assert every == list(range(1, 8))
    assert sorted(loc.line for loc in _locations(plan, True) if loc) == every
    assert sorted(loc.line for loc in _locations(plan, False) if loc) == [1, 2, 3, 4, 5, 7]


def test_what_a_paused_block_built_is_frozen_out_of_later_collections() -> None:
    before = gc.get_freeze_count()
    try:
        with gc_paused():
            kept = [[i] for i in range(1000)]
        assert gc.get_freeze_count() >= before + 1000
        assert gc.isenabled()
    finally:
        gc.unfreeze()
    assert kept[999] == [999]


def test_errors_in_many_files_are_located_with_one_parse_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: list[int]
) -> None:
    monkeypatch.setattr(fastyaml, "FAST_MIN_BYTES", 0)
    for k in range(6):
        # A field error (found while reading the file) and a rename error (found once all
        # files are read): sorting reads files 0..5 twice.
        users = (
            f"  - email: u{k}a@acme-corp.com\n    first_name: A\n    last_name: B\n"
            "    nickname: n\n"
            f"  - email: u{k}b@acme-corp.com\n    first_name: A\n    last_name: B\n"
            f"  - email: u{k}c@acme-corp.com\n    first_name: A\n    last_name: B\n"
            f"    renamed_from: u{k}b@acme-corp.com\n"
        )
        (tmp_path / f"users-{k}.yaml").write_text("users:\n" + users)
    files = sorted(tmp_path.glob("*.yaml"))
    with pytest.raises(ConfigError) as fast:
        load_config(files, now=NOW)
    # 6 when the rename errors' messages name the other user's place, 6 to locate all errors
    # (one at a time, each file would be parsed again for its second error: 18).
    assert len(parses) == 12
    with pytest.raises(ConfigError) as slow:
        load_config(files, now=NOW, fast=False)
    assert len(fast.value.diagnostics) == 12
    assert [str(d) for d in fast.value.diagnostics] == [str(d) for d in slow.value.diagnostics]
