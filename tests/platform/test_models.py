"""Pure unit tests of the response models (no HTTP)."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from reconciler.platform import models as m
from reconciler.platform.fastrows import template_row, template_row_json
from reconciler.state import UserStatus

REFERENCE_ROW = {
    "email": "user3@somedomain.com",
    "new_email": "user2@somedomain.com",
    "agent_number": "A-003",
    "first_name": "Jane",
    "last_name": "Doe",
    "status": "",
    "location": "null",
    "max_chat_limit": "1",
    "max_chat_limit_enabled": "",
    "roles": [{"name": "Admin", "value": 0}, {"name": "Agent", "value": 1}],
    "teams": [{"name": "test team_1", "value": "1"}, {"name": "t2", "value": ""}],
}


def test_template_row_tolerant_types() -> None:
    row = m.TemplateRow.model_validate(REFERENCE_ROW)
    assert row.status is None
    assert row.location is None
    assert row.max_chat_limit == 1
    assert row.max_chat_limit_enabled is None
    assert row.role_names() == frozenset({"Agent"})
    assert row.team_names() == frozenset({"test team_1"})


@pytest.mark.parametrize(
    ("field", "raw", "value"),
    [
        ("max_chat_limit", "2", 2),
        ("max_chat_limit", 3, 3),
        ("max_chat_limit", "", None),
        ("max_chat_limit", None, None),
        ("max_chat_limit_enabled", "0", False),
        ("max_chat_limit_enabled", "1", True),
        ("max_chat_limit_enabled", 1, True),
        ("max_chat_limit_enabled", "", None),
        ("location", "Mexico", "Mexico"),
        ("location", "", None),
        ("location", "null", None),
        ("location", None, None),
        ("status", "Active", UserStatus.ACTIVE),
        ("status", "Inactive", UserStatus.INACTIVE),
        ("status", "", None),
        ("agent_number", 7, "7"),
    ],
)
def test_template_row_field(field: str, raw: object, value: object) -> None:
    row = m.TemplateRow.model_validate({**REFERENCE_ROW, field: raw})
    assert getattr(row, field) == value


@pytest.mark.parametrize(
    ("field", "raw"),
    [("max_chat_limit_enabled", "2"), ("max_chat_limit", "many"), ("status", "Sleeping")],
)
def test_template_row_rejects_nonsense(field: str, raw: object) -> None:
    with pytest.raises(ValidationError):
        m.TemplateRow.model_validate({**REFERENCE_ROW, field: raw})


def test_extra_fields_are_kept() -> None:
    row = m.TemplateRow.model_validate({**REFERENCE_ROW, "phone": "+1555"})
    assert row.model_extra == {"phone": "+1555"}
    job = m.Job.model_validate({"id": 1, "status": "created", "new_thing": [1]})
    assert job.model_extra == {"new_thing": [1]}


def test_job_reference_example() -> None:
    job = m.Job.model_validate(
        {
            "id": 3,
            "created_at": "2022-01-07T06:21:10.000Z",
            "process_requested_at": None,
            "filename": "100row_new.csv",
            "total_rows": 100,
            "affected_rows": 0,
            "failed_rows": 0,
            "status": "in_progress",
            "uploaded_user_name": None,
            "proceed_user_name": None,
            "uploaded_api_user_name": "zdco_admin",
            "proceed_api_user_name": "zdco_admin",
            "scheme_errors": ["scheme error detail 1"],
            "update_errors": [],
        }
    )
    assert job.status is m.JobStatus.IN_PROGRESS
    assert job.accepted
    assert job.created_at == datetime(2022, 1, 7, 6, 21, 10, tzinfo=UTC)
    with pytest.raises(ValidationError):
        m.Job.model_validate({"id": 1, "status": "exploded"})


def test_update_error_types() -> None:
    errs = m.UPDATE_ERRORS.validate_python(
        [
            {"message": "a", "column": 1, "row": 1, "error_type": "error"},
            {"message": "b", "column": None, "row": "4", "error_type": "warning"},
        ]
    )
    assert [e.error_type for e in errs] == [m.ErrorType.ERROR, m.ErrorType.WARNING]
    assert errs[1].row == 4
    scheme = m.SCHEME_ERRORS.validate_python([{"message": "x", "column": None, "row": 2}])
    assert scheme[0].row == 2


def test_dnc_contact_from_datetime() -> None:
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    contact = m.DncContact.build("+14155550100", when)
    assert contact.expires_at == "2030-01-02 01:04:05 UTC"
    assert contact.payload() == {"phone_number": "+14155550100", "expires_at": contact.expires_at}
    assert m.DncContact.build("+14155550100").payload() == {"phone_number": "+14155550100"}
    with pytest.raises(ValueError):
        m.DncContact.build("+1", datetime(2030, 1, 1))  # naive


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-08-05 22:02:36.362009 +0000", datetime(2023, 8, 5, 22, 2, 36, 362009, tzinfo=UTC)),
        ("2022-10-29 00:00:00 UTC", datetime(2022, 10, 29, tzinfo=UTC)),
        ("2022-10-29T02:00:00+02:00", datetime(2022, 10, 29, tzinfo=UTC)),
        ("2022-10-29T00:00:00Z", datetime(2022, 10, 29, tzinfo=UTC)),
        ("2022-10-29 00:00:00", datetime(2022, 10, 29, tzinfo=UTC)),
        (None, None),
        ("", None),
    ],
)
def test_dnc_check_expired_at(raw: str | None, expected: datetime | None) -> None:
    check = m.DncCheck.model_validate(
        {"phone_number": "1-415-111-1111", "expired_at": raw, "do_not_call": True}
    )
    assert check.expired_at == expected
    assert check.do_not_call is True


def test_dnc_results() -> None:
    adds = m.DNC_ADD_RESULTS.validate_python(
        [
            {
                "phone_number": "+1-7187309219",
                "expires_at": "2022-10-29 00:00:00 UTC",
                "status": "created",
            },
            {
                "phone_number": "911",
                "error": "emergency phone number is not allowed",
                "status": "failed",
            },
        ]
    )
    assert [a.ok for a in adds] == [True, False]
    removes = m.DNC_REMOVE_RESULTS.validate_python(
        [
            {"phone_number": "1", "status": "not_found"},
            {"phone_number": "2", "status": "failed", "error": "x"},
        ]
    )
    assert [r.ok for r in removes] == [True, False]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"status": "Active", "location": "Austin", "max_chat_limit": 3},
        {"status": " inactive ", "max_chat_limit": " 4 ", "max_chat_limit_enabled": 1},
        {"agent_number": 7, "first_name": None, "max_chat_limit": 2.0},
        {"new_email": None, "location": "", "phone": "+1555"},
        {"roles": [{"name": "Admin", "value": True}, {"name": "Agent"}]},
        {"teams": [{"name": "t", "value": 1.0}, {"name": "u", "value": "0"}]},
    ],
)
def test_template_row_fast_path_equals_validation(changes: dict[str, object]) -> None:
    item = {**REFERENCE_ROW, **changes}
    slow = m.TemplateRow.model_validate(item)
    for fast in (template_row(item), template_row_json(json.dumps(item).encode())):
        assert fast == slow
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.model_extra == slow.model_extra


@pytest.mark.parametrize(
    "body",
    [
        b'{"email": "a@b.co"}',  # no lists at all
        b'{"email": "a@b.co", "roles": null, "teams": []}',
        b'{"email": "a@b.co", "email": "c@d.co", "first_name": "x", "first_name": "y"}',
        b'{"email": "a@b.co", "max_chat_limit": 1e999}',  # out of msgspec's range
        b'{"email": "a@b.co", "max_chat_limit": 123456789012345678901234567890}',
        b'{"email": "\\u00e9l\\u00e8ve@b.co", "first_name": "\\ud83d\\ude00", "location": "null"}',
        b'{"email": "a@b.co", "roles": [{"name": "A", "value": 1, "extra": [1, {}]}]}',
        b'{"email": "a@b.co", "teams": [{"name": "T", "value": "1"}, {"name": "U", "value": ""}]}',
    ],
)
def test_template_row_json_equals_validation_of_the_parsed_json(body: bytes) -> None:
    try:
        slow = m.TemplateRow.model_validate(json.loads(body))
    except ValidationError as err:
        with pytest.raises(ValidationError) as fast_err:
            template_row_json(body)
        assert fast_err.value.errors() == err.errors()
        return
    for _ in range(2):  # the second time from the membership-list cache
        fast = template_row_json(body)
        assert fast == slow
        assert fast.model_fields_set == slow.model_fields_set


def test_rows_sharing_a_membership_list_do_not_share_the_list() -> None:
    body = json.dumps({**REFERENCE_ROW, "roles": [{"name": "Solo", "value": 1}]}).encode()
    first, second = template_row_json(body), template_row_json(body)
    assert first.roles == second.roles and first.roles is not second.roles
    bare, other = template_row_json(b'{"email": "a@b.co"}'), template_row({"email": "c@d.co"})
    assert bare.roles == other.roles == [] and bare.roles is not other.roles  # absent: fresh


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("max_chat_limit_enabled", "2"),
        ("max_chat_limit", "many"),
        ("status", "Sleeping"),
        ("roles", [{"name": "Admin", "value": [1]}]),
        ("teams", [{"value": 1}]),
        ("email", None),
    ],
)
def test_template_row_fast_path_raises_the_same_errors(field: str, raw: object) -> None:
    item = {**REFERENCE_ROW, field: raw}
    with pytest.raises(ValidationError) as slow:
        m.TemplateRow.model_validate(item)
    with pytest.raises(ValidationError) as fast:
        template_row(item)
    with pytest.raises(ValidationError) as from_json:
        template_row_json(json.dumps(item).encode())

    def shown(e: ValidationError) -> list[tuple[object, ...]]:  # what decode.py reports
        return [(x["type"], x["loc"], x["msg"]) for x in e.errors()]

    assert shown(fast.value) == shown(slow.value) == shown(from_json.value)
