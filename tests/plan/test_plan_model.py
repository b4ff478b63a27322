from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.errors import PlanError
from reconciler.plan import (
    DncChange,
    FieldChange,
    MembershipChange,
    Plan,
    UserChange,
)
from reconciler.state import Location


def sample_plan(**kw: object) -> Plan:
    kw.setdefault("fingerprint", "f" * 64)
    kw.setdefault("created_at", datetime(2026, 1, 1, tzinfo=UTC))
    loc = Location(file="users/a.yaml", line=3, col=1)
    return Plan(
        tenant="demo",
        user_changes=[
            UserChange(
                action="create",
                email="new@x.com",
                first_name="N",
                last_name="U",
                fields=[FieldChange(field="location", before=None, after="Mexico", loc=loc)],
                roles=[MembershipChange(name="Agent", assign=True, loc=loc)],
                loc=loc,
            ),
            UserChange(
                action="update",
                email="old@x.com",
                first_name="O",
                last_name="U",
                fields=[FieldChange(field="max_chat_limit_enabled", before=False, after=True)],
            ),
        ],
        dnc_changes=[DncChange(action="add", number="+14155550100", raw="415 555 0100")],
        **kw,  # type: ignore[arg-type]
    )


def test_summary_and_counts() -> None:
    p = sample_plan()
    assert p.summary() == (
        "Plan: 1 user to create, 1 to update, 0 to deactivate; 1 DNC number to add, 0 to remove."
    )
    assert not p.is_empty
    assert Plan().is_empty
    assert Plan().summary() == "No changes. The tenant matches the configuration."


def test_hash_ignores_timestamps_locations_and_reasons() -> None:
    a = sample_plan()
    b = sample_plan(created_at=datetime(2027, 5, 5, tzinfo=UTC), base_ref="main")
    assert a.hash == b.hash
    u = b.user_changes[0]  # the plan is frozen: edit copies
    u = u.model_copy(update={"loc": Location(file="other.yaml", line=9, col=9), "reason": "x"})
    b = b.model_copy(update={"user_changes": [u, *b.user_changes[1:]]})
    assert a.hash == b.hash
    f = u.fields[0].model_copy(update={"after": "Paris"})
    u = u.model_copy(update={"fields": [f, *u.fields[1:]]})
    b = b.model_copy(update={"user_changes": [u, *b.user_changes[1:]]})
    assert a.hash != b.hash
    c = sample_plan(fingerprint="0" * 64)
    assert c.hash != a.hash


def test_save_load_roundtrip(tmp_path: Path) -> None:
    p = sample_plan()
    path = tmp_path / "PLAN.json"
    p.save(path)
    q = Plan.load(path)
    assert q == p
    assert q.hash == p.hash
    data = json.loads(path.read_text())
    assert data["format_version"] == 1
    assert data["hash"] == p.hash
    # bool/int/str values keep their types through JSON
    assert q.user_changes[1].fields[0].after is True


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "invalid JSON"),
        ("[]", "no format_version"),
        ('{"format_version": 7}', "format_version 7 is not supported"),
        ('{"format_version": 1, "user_changes": [{"action": "explode"}]}', "corrupt plan"),
    ],
)
def test_load_rejects_bad_files(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "PLAN.json"
    path.write_text(content)
    with pytest.raises(PlanError, match=needle):
        Plan.load(path)


def test_load_detects_tampering(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.json"
    sample_plan().save(path)
    data = json.loads(path.read_text())
    data["user_changes"][0]["email"] = "evil@x.com"
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError, match="hash does not match"):
        Plan.load(path)


def test_load_refuses_a_plan_whose_hash_was_removed(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.json"
    sample_plan().save(path)
    data = json.loads(path.read_text())
    del data["hash"]
    data["user_changes"][0]["email"] = "evil@x.com"
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError, match="it has no hash"):
        Plan.load(path)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read plan file"):
        Plan.load(tmp_path / "nope.json")


def test_load_detects_a_dropped_or_edited_safety_violation(tmp_path: Path) -> None:
    # apply PLAN.json enforces the refusals the plan recorded: editing them out of the file
    # must not turn a refused plan into an applicable one.
    from reconciler.plan import SafetyViolation

    path = tmp_path / "PLAN.json"
    v = SafetyViolation(kind="team_removals", message="would remove 9 of 9", count=9, total=9)
    sample_plan(safety=[v]).save(path)
    assert Plan.load(path).safety == [v]
    data = json.loads(path.read_text())
    for edit in ({"safety": []}, {"safety": [{**data["safety"][0], "limit": 9}]}):
        path.write_text(json.dumps({**data, **edit}))
        with pytest.raises(PlanError, match="hash does not match"):
            Plan.load(path)


def test_the_plan_file_is_indented_json_with_text_as_written() -> None:
    """The plan file's layout is json.dumps(indent=2, ensure_ascii=False)'s, byte for byte (it
    is written by msgspec's C formatter; people read and diff these files)."""
    p = sample_plan(base_ref="démo ✓ \u2028 </tag>")
    text = p.to_json()
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert "démo ✓" in text and data["base_ref"] == "démo ✓ \u2028 </tag>"


def test_the_plan_file_holds_what_model_dump_gives_and_the_hash_last() -> None:
    """to_json serialises with pydantic's JSON encoder, not through model_dump's dicts: the same
    document (datetimes, None, text as written), with ``hash`` as the last key."""
    p = sample_plan(
        base_ref="démo ✓ \u2028 </tag>", created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    expected = {**p.model_dump(mode="json"), "hash": p.hash}
    assert p.to_json() == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    assert list(json.loads(p.to_json()))[-1] == "hash"
