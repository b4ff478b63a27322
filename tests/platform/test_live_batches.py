"""fetch_live's fast path past test_live_rows: batches decoded straight into rows (body.py's
``rows``, NeedBytes for the exact path), their rows and bytes those of one by one, random
byte changes against the exact path, and the LiveUser made without its ``__init__``."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import msgspec
import pytest

from reconciler import live
from reconciler.platform import body as body_module
from reconciler.platform import fastrows
from tests.platform import test_models
from tests.platform.test_live_rows import (
    body,
    check,
    exact,
    fast_streamed,
    random_row,
    rows_of,
)


def test_odd_rows_inside_batches_decoded_straight_into_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rows the fast path leaves to the exact path (an empty e-mail, an odd value the
    validators accept or refuse, another key) among 3,000 usual ones: fetch_live's batches
    decode into rows, and those rows are read again from their bytes (NeedBytes), or their
    batch as bytes. Each body: the live state or the error of the exact path."""
    asked: list[int] = []
    item_bytes = body_module.ArrayReader.item_bytes

    def counted(self: body_module.ArrayReader, index: int) -> Any:
        asked.append(index)
        return item_bytes(self, index)

    monkeypatch.setattr(body_module.ArrayReader, "item_bytes", counted)
    base = {k: v for k, v in test_models.REFERENCE_ROW.items() if k not in ("roles", "teams")}
    names = [{"name": f"T{i}", "value": i % 2} for i in range(12)]
    good = [{**base, "email": f"u{i}@b.co", "teams": names[i % 5 :]} for i in range(3000)]
    # Each change, and whether the rows it is in need their bytes (the exact path).
    odd: list[tuple[dict[str, Any], bool]] = [
        ({"email": " "}, True),
        ({"email": ""}, True),
        ({"max_chat_limit": 2.0}, True),  # the validators' int
        ({"max_chat_limit_enabled": True}, False),  # common_row's
        ({"status": "Deleted"}, True),  # refused
        ({"location": 5}, True),
        ({"first_name": None}, False),
        ({"extra": 1}, False),  # another key: the batch as bytes
        ({"teams": [{"name": "T", "value": 2}]}, True),
    ]
    outcomes = []
    for n, (change, needs_bytes) in enumerate(odd):
        rows = [dict(r) for r in good]
        for i in (17 + n, 1500, 2999):
            rows[i].update(change)
        data = body(rows)
        expected = exact(data)
        for size in (999, 2**20):
            asked.clear()
            assert fast_streamed(data, size) == expected, (change, size)
            if size > len(data) // 2:  # row 17 + n in a batch (small chunks: not always)
                assert bool(asked) == needs_bytes, change  # the rows in batches read again
        outcomes.append(expected)
    assert sum(isinstance(o, str) for o in outcomes) >= 2
    assert sum(not isinstance(o, str) for o in outcomes) >= 4


def test_batches_decoded_straight_into_rows_are_the_rows_of_their_bytes() -> None:
    """A body of usual rows: fetch_live's reader yields all but the first two as rows decoded
    in batches, each equal to its own bytes decoded alone, and its bytes those bytes."""
    rows = rows_of(3000, teams=[{"name": "T", "value": 1}])
    data = json.dumps(rows, indent=1).encode()
    reader = body_module.ArrayReader(
        [data[i : i + 5000] for i in range(0, len(data), 5000)], fastrows.WIRE_LIST
    )
    items = []
    for index, item in enumerate(reader):
        if type(item) is fastrows.WIRE_ROW:
            raw = reader.item_bytes(index)
            assert fastrows.WIRE.decode(raw) == item
            items.append(bytes(raw).strip())
        else:
            items.append(bytes(item).strip())
    assert [json.loads(i) for i in items] == rows
    whole = [bytes(r) for r in msgspec.json.decode(data, type=list[msgspec.Raw])]
    assert items == whole  # (each item's bytes from the first byte after the ",")
    assert sum(1 for i in items) == 3000


@pytest.mark.parametrize("seed", range(4))
def test_a_body_with_bytes_changed_gives_the_error_or_the_state_of_the_exact_path(
    seed: int,
) -> None:
    """Random bytes changed, inserted or removed in a body of 60 rows (mostly invalid JSON
    then, sometimes rows of another shape): streamed, with batches decoded straight into rows
    and not, the same outcome as the exact path."""
    rnd = random.Random(seed)
    # ASCII (escapes for the rest): a body that is not UTF-8 is not one the exact path
    # refuses by a MalformedResponseError (json.loads raises UnicodeDecodeError).
    data = json.dumps([random_row(rnd, i) for i in range(60)]).encode()
    alphabet = b' ,:{}[]"\\u0a1-e.E+ntrlfsxd8\n'
    kinds = set()
    for _ in range(40):
        changed = bytearray(data)
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(len(changed))
            what = rnd.choice("rid")
            if what == "r":
                changed[at] = rnd.choice(alphabet)
            elif what == "i":
                changed[at:at] = bytes([rnd.choice(alphabet)])
            else:
                del changed[at]
        outcome = check(bytes(changed), (rnd.randint(50, 900),))
        kinds.add(isinstance(outcome, str))
    assert True in kinds


def test_a_user_made_without_init_is_the_user_init_makes() -> None:
    rnd = random.Random(5)
    values: list[list[Any]] = [
        ["a@b.co", "x", "", "é", "  "],
        ["A@b.co", "Zoë", ""],
        ["", "F"],
        ["", "L", "😀"],
        ["", "A-1"],
        list(live.UserStatus),
        [None, "Mexico"],
        [None, 0, 3, 2**70],
        [True, False],
        [frozenset(), frozenset({"Admin"}), frozenset({"a", "b"})],
        [frozenset(), frozenset({"T"})],
    ]
    for _ in range(500):
        args = [rnd.choice(v) for v in values]
        made, want = live._new_user(*args), live.LiveUser(*args)
        assert type(made) is live.LiveUser
        assert made == want and hash(made) == hash(want) and repr(made) == repr(want)
        assert dataclasses.astuple(made) == tuple(args)
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.email = "x"  # type: ignore[misc]
