"""Every request/response example of the reference's "Bulk User Management" section, replayed
against the simulator. Job bodies are compared on their fields (ids and times differ)."""

from __future__ import annotations

import copy
import re
from typing import Any

from reconciler.simulator import SimulatorHandle

from .simhelpers import get, proceed, replace, run_job, template_by_email, upload

ROLES = ["Admin", "Manager", "Agent", "Developer", "Manager Admin", "Manager Team", "Manager Data"]
TEAMS = ["test team_1", "test Team 2", "test team 3"]


def _memberships() -> dict[str, Any]:
    return {
        "roles": [{"name": r, "value": 0} for r in ROLES],
        "teams": [{"name": t, "value": 0} for t in TEAMS],
    }


# The reference's "Example Response: Template", verbatim.
REFERENCE_TEMPLATE: list[dict[str, Any]] = [
    {
        "email": "user1@somedomain.com",
        "new_email": "user1@somedomain.com",
        "agent_number": "A-001",
        "first_name": "James",
        "last_name": "Bond",
        "status": "Active",
        "location": "Mexico",
        "max_chat_limit": "2",
        "max_chat_limit_enabled": "0",
        **_memberships(),
    },
    {
        "email": "user2@somedomain.com",
        "new_email": "user3@somedomain.com",
        "agent_number": "A-002",
        "first_name": "John",
        "last_name": "Doe",
        "status": "Inactive",
        "location": "",
        "max_chat_limit": "",
        "max_chat_limit_enabled": "1",
        **_memberships(),
    },
    {
        "email": "user3@somedomain.com",
        "new_email": "user2@somedomain.com",
        "agent_number": "A-003",
        "first_name": "Jane",
        "last_name": "Doe",
        "status": "",
        "location": "null",
        "max_chat_limit": "1",
        "max_chat_limit_enabled": "",
        **_memberships(),
    },
]

# The reference's job object (Example Response: Job detail).
JOB_KEYS = [
    "id",
    "created_at",
    "process_requested_at",
    "filename",
    "total_rows",
    "affected_rows",
    "failed_rows",
    "status",
    "uploaded_user_name",
    "proceed_user_name",
    "uploaded_api_user_name",
    "proceed_api_user_name",
    "scheme_errors",
    "update_errors",
]
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


JAMES = {"first_name": "James", "last_name": "Bond"}
JANE = {"first_name": "Jane", "last_name": "Doe"}


def rows(n: int, prefix: str = "bulk") -> list[dict[str, Any]]:
    return [
        {"email": f"{prefix}{i}@example.com", "first_name": "F", "last_name": f"L{i}"}
        for i in range(n)
    ]


def assert_job(job: dict[str, Any], **expected: Any) -> None:
    """The reference's job shape, and the given field values."""
    assert list(job) == JOB_KEYS
    assert isinstance(job["id"], int)
    assert TIME_RE.match(job["created_at"])
    assert job["process_requested_at"] is None or TIME_RE.match(job["process_requested_at"])
    assert job["uploaded_user_name"] is None and job["proceed_user_name"] is None
    for key, value in expected.items():
        assert job[key] == value, (key, job)


def test_template_example(sim: SimulatorHandle) -> None:
    r = get(sim, "bulk/users/template")
    assert r.status_code == 200
    got = r.json()
    # The default tenant is the example's three users. Differences from the verbatim example
    # (docs/api-assumptions.md): the template shows stored values, so new_email is "",
    # user3's empty status is stored as "Active", "null" location and "" enabled as ""/"0".
    expected = copy.deepcopy(REFERENCE_TEMPLATE)
    for row in expected:
        row["new_email"] = ""
    expected[2].update(status="Active", location="", max_chat_limit_enabled="0")
    assert got == expected
    assert [list(u) for u in got] == [list(u) for u in REFERENCE_TEMPLATE]


def test_template_example_as_upload_swaps_emails(sim: SimulatorHandle) -> None:
    job = run_job(sim, REFERENCE_TEMPLATE, "template.json")
    assert_job(job, status="finished", total_rows=3, affected_rows=3, failed_rows=0)
    users = template_by_email(sim)
    assert users["user3@somedomain.com"]["first_name"] == "John"  # user2 -> user3
    assert users["user2@somedomain.com"]["first_name"] == "Jane"  # user3 -> user2
    assert users["user2@somedomain.com"]["location"] == ""  # "null" cleared it
    assert users["user2@somedomain.com"]["status"] == "Active"  # "" left it
    errors = get(sim, f"bulk/users/errors/update/{job['id']}").json()
    assert errors == [
        {"message": "nothing to update", "column": None, "row": 1, "error_type": "warning"}
    ]


def test_upload_job_created(sim_factory) -> None:
    sim = sim_factory(subdomain="zdco")  # the reference's api user is "zdco_admin"
    r = upload(sim, rows(100), "100row.csv")
    assert r.status_code == 200
    body = r.json()
    assert list(body) == ["id", "status", "link"]
    assert body["status"] == "created"
    assert body["link"] == f"{sim.base_url}/bulk/users/jobs/{body['id']}"
    # Job detail / Job created: status created right after the upload.
    job = get(sim, f"bulk/users/jobs/{body['id']}").json()
    assert_job(
        job,
        id=body["id"],
        process_requested_at=None,
        filename="100row.csv",
        total_rows=100,
        affected_rows=0,
        failed_rows=0,
        status="created",
        uploaded_api_user_name="zdco_admin",
        proceed_api_user_name=None,
        scheme_errors=[],
        update_errors=[],
    )


def test_job_validating_success_and_fails(sim: SimulatorHandle) -> None:
    good = upload(sim, rows(100), "100row_new.csv").json()["id"]
    bad_rows = rows(3)
    bad_rows[0]["email"] = "not an email"
    bad_rows[1]["status"] = "Sleeping"
    bad_rows[2]["max_chat_limit"] = "99"
    bad = upload(sim, bad_rows, "100row_new.csv").json()["id"]
    job = sim.tenant.wait_job(good, "valid_scheme", "invalid_scheme")
    assert_job(job, status="valid_scheme", total_rows=100, scheme_errors=[], update_errors=[])
    job = sim.tenant.wait_job(bad, "valid_scheme", "invalid_scheme")
    assert_job(job, status="invalid_scheme", total_rows=3, affected_rows=0, failed_rows=0)
    assert job["scheme_errors"] == [
        "row 1: email is not a valid email",
        'row 2: status must be "Active", "Inactive" or empty',
        "row 3: max_chat_limit must be 1 to 10 or empty",
    ]
    # Scheme errors endpoint: {message, column, row}.
    r = get(sim, f"bulk/users/errors/scheme/{bad}")
    assert r.status_code == 200
    assert r.json() == [
        {"message": "email is not a valid email", "column": 1, "row": 1},
        {"message": 'status must be "Active", "Inactive" or empty', "column": 6, "row": 2},
        {"message": "max_chat_limit must be 1 to 10 or empty", "column": 8, "row": 3},
    ]
    # No errors: [].
    assert get(sim, f"bulk/users/errors/scheme/{good}").json() == []


def test_job_updating_then_finished_without_errors(sim_factory) -> None:
    sim = sim_factory(row_delay=0.01)
    job_id = upload(sim, rows(100), "100row_new.csv").json()["id"]
    sim.tenant.wait_job(job_id, "valid_scheme")
    r = proceed(sim, job_id)
    assert r.status_code == 200
    assert r.json() == {
        "id": job_id,
        "status": "valid_scheme",
        "link": f"{sim.base_url}/bulk/users/jobs/{job_id}",
    }
    # Job updating: in_progress with affected_rows growing.
    assert sim.tenant.wait_for(lambda t: 0 < t.jobs[job_id].affected_rows < 100, timeout=5)
    job = get(sim, f"bulk/users/jobs/{job_id}").json()
    assert_job(job, status="in_progress", proceed_api_user_name="demo_admin", failed_rows=0)
    assert 0 < job["affected_rows"] < 100
    assert job["process_requested_at"] is not None
    # Job update finish without errors.
    sim.tenant.wait_job(job_id, "finished")
    job = get(sim, f"bulk/users/jobs/{job_id}").json()
    assert_job(
        job,
        status="finished",
        total_rows=100,
        affected_rows=100,
        failed_rows=0,
        scheme_errors=[],
        update_errors=[],
    )
    assert get(sim, f"bulk/users/errors/update/{job_id}").json() == []


def test_job_update_finish_with_errors(sim: SimulatorHandle) -> None:
    data = [
        {**JAMES, "email": "user1@somedomain.com", "new_email": "user2@somedomain.com"},  # taken
        {**JANE, "email": "user3@somedomain.com", "agent_number": "A-003"},  # no change: warning
        {"email": "fresh@example.com", "first_name": "Fresh", "last_name": "User"},
    ]
    job = run_job(sim, data)
    assert_job(job, status="finished", total_rows=3, affected_rows=3, failed_rows=1)
    assert job["update_errors"] == [
        "row 1: new_email user2@somedomain.com is already used by another user",
        "row 2: nothing to update",
    ]
    assert get(sim, f"bulk/users/errors/update/{job['id']}").json() == [
        {
            "message": "new_email user2@somedomain.com is already used by another user",
            "column": 2,
            "row": 1,
            "error_type": "error",
        },
        {"message": "nothing to update", "column": None, "row": 2, "error_type": "warning"},
    ]
    assert "fresh@example.com" in template_by_email(sim)


def test_job_list_newest_first(sim_factory) -> None:
    sim = sim_factory(faults="stall=job,stall_time=60")
    first = upload(sim, rows(100), "100row.csv").json()["id"]
    second = upload(sim, rows(100), "100row.csv").json()["id"]
    third = upload(sim, rows(100), "100row_new.csv").json()["id"]
    sim.tenant.wait_job(third, "valid_scheme")
    assert proceed(sim, third).status_code == 200
    r = get(sim, "bulk/users/jobs")
    assert r.status_code == 200
    listed = r.json()
    assert [j["id"] for j in listed] == [third, second, first]
    assert_job(
        listed[0],
        filename="100row_new.csv",
        total_rows=100,
        affected_rows=0,
        status="in_progress",
        proceed_api_user_name="demo_admin",
    )
    assert listed[0]["process_requested_at"] is not None
    for job in listed[1:]:
        assert_job(job, filename="100row.csv", process_requested_at=None)
        assert job["status"] in ("created", "valid_scheme")


def test_job_invalid_id(sim: SimulatorHandle) -> None:
    for path in (
        "bulk/users/jobs/999",
        "bulk/users/jobs/abc",
        "bulk/users/errors/scheme/999",
        "bulk/users/errors/update/999",
    ):
        r = get(sim, path)
        assert (r.status_code, r.json()) == (404, {"message": "Not Found"}), path


def test_replace_json_file(sim: SimulatorHandle) -> None:
    bad = rows(2)
    bad[1]["teams"] = [{"name": "No Such Team", "value": 1}]
    job_id = upload(sim, bad, "first.json").json()["id"]
    assert sim.tenant.wait_job(job_id, "valid_scheme", "invalid_scheme")["status"] == (
        "invalid_scheme"
    )
    r = replace(sim, job_id, rows(5), "second.json")
    assert r.status_code == 200
    assert r.json() == {
        "id": job_id,
        "status": "created",
        "link": f"{sim.base_url}/bulk/users/jobs/{job_id}",
    }
    job = sim.tenant.wait_job(job_id, "valid_scheme", "invalid_scheme")
    assert_job(job, status="valid_scheme", filename="second.json", total_rows=5, scheme_errors=[])


def test_replace_invalid_job_id(sim: SimulatorHandle) -> None:
    r = replace(sim, 999, rows(1))
    assert (r.status_code, r.json()) == (404, {"message": "Not Found"})


def test_replace_when_finished(sim: SimulatorHandle) -> None:
    job = run_job(sim, rows(1))
    r = replace(sim, job["id"], rows(1))
    assert (r.status_code, r.json()) == (
        404,
        {"message": "Can't update JSON. job status: finished"},
    )


def test_proceed_before_validation(sim_factory) -> None:
    sim = sim_factory(validation_delay=30)
    job_id = upload(sim, rows(1)).json()["id"]
    r = proceed(sim, job_id)
    assert (r.status_code, r.json()) == (
        400,
        {"message": "This job cannot proceed update. status: created"},
    )


def test_proceed_when_in_progress(sim_factory) -> None:
    sim = sim_factory(faults="stall=job,stall_time=60")
    job_id = upload(sim, rows(1)).json()["id"]
    sim.tenant.wait_job(job_id, "valid_scheme")
    assert proceed(sim, job_id).status_code == 200
    r = proceed(sim, job_id)
    assert (r.status_code, r.json()) == (400, {"message": "Update is already in progress."})
