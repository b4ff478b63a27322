"""The bulk-job state machine, scheme rules and update semantics, and their messages."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from reconciler.simulator import SimulatorHandle

from .simhelpers import TIMEOUT, get, proceed, replace, run_job, template_by_email, upload


def scheme_errors(sim: SimulatorHandle, data: Any) -> list[dict[str, Any]]:
    job_id = upload(sim, data).json()["id"]
    job = sim.tenant.wait_job(job_id, "valid_scheme", "invalid_scheme")
    errors = get(sim, f"bulk/users/errors/scheme/{job_id}").json()
    assert (job["status"] == "invalid_scheme") == bool(errors)
    return errors


def new(email: str, **fields: Any) -> dict[str, Any]:
    return {"email": email, "first_name": "A", "last_name": "B", **fields}


@pytest.mark.parametrize(
    ("row", "message", "column"),
    [
        ({"first_name": "A", "last_name": "B"}, "email is required", 1),
        (new("nope"), "email is not a valid email", 1),
        (new("a@example.com", new_email="bad@"), "new_email is not a valid email", 2),
        ({"email": "a@example.com", "last_name": "B"}, "first_name is required", 4),
        (
            {"email": "a@example.com", "first_name": "A", "last_name": ""},
            "last_name is required",
            5,
        ),
        (new("a@example.com", first_name=5), "first_name must be a string", 4),
        (new("a@example.com", agent_number=["x"]), "agent_number must be a string", 3),
        (new("a@example.com", status="active"), 'status must be "Active", "Inactive" or empty', 6),
        (new("a@example.com", location="Paris"), "location 'Paris' does not exist", 7),
        (new("a@example.com", max_chat_limit="0"), "max_chat_limit must be 1 to 10 or empty", 8),
        (new("a@example.com", max_chat_limit=11), "max_chat_limit must be 1 to 10 or empty", 8),
        (new("a@example.com", max_chat_limit="x"), "max_chat_limit must be 1 to 10 or empty", 8),
        (
            new("a@example.com", max_chat_limit_enabled="yes"),
            "max_chat_limit_enabled must be 0, 1 or empty",
            9,
        ),
        (
            new("a@example.com", roles=[{"name": "Wizard", "value": 1}]),
            "role 'Wizard' does not exist",
            10,
        ),
        (
            new("a@example.com", roles=[{"name": "Agent", "value": 2}]),
            "role 'Agent': value must be 0, 1 or empty",
            10,
        ),
        (
            new("a@example.com", roles=[{"name": "Agent", "value": 1}, {"name": "Agent"}]),
            "role 'Agent' is listed twice",
            10,
        ),
        (new("a@example.com", roles="Agent"), "roles must be a list of {name, value}", 10),
        (
            new("a@example.com", teams=[{"name": "Tier 9", "value": 1}]),
            "team 'Tier 9' does not exist",
            11,
        ),
        (new("a@example.com", nickname="Al"), "unknown field: nickname", None),
        # digits Python's int() refuses or reads differently: an error, not a stuck job
        (new("a@example.com", max_chat_limit="²"), "max_chat_limit must be 1 to 10 or empty", 8),
        (new("a@example.com", max_chat_limit="٣"), "max_chat_limit must be 1 to 10 or empty", 8),
        (
            new("a@example.com", max_chat_limit="9" * 5000),
            "max_chat_limit must be 1 to 10 or empty",
            8,
        ),
    ],
)
def test_scheme_rule(sim: SimulatorHandle, row: dict[str, Any], message: str, column: Any) -> None:
    assert scheme_errors(sim, [row]) == [{"message": message, "column": column, "row": 1}]


def test_scheme_file_level_errors(sim: SimulatorHandle) -> None:
    assert scheme_errors(sim, "{not json") == [
        {"message": "file is not valid JSON", "column": None, "row": None}
    ]
    assert scheme_errors(sim, {"email": "a@example.com"}) == [
        {"message": "file must be a JSON array of users", "column": None, "row": None}
    ]
    assert scheme_errors(sim, []) == [{"message": "file has no rows", "column": None, "row": None}]
    assert scheme_errors(sim, ["a@example.com"]) == [
        {"message": "row must be a JSON object", "column": None, "row": 1}
    ]


def test_files_json_cannot_hold_are_invalid_scheme_not_server_errors(sim: SimulatorHandle) -> None:
    too_long = "[" + "9" * 5000 + "]"  # an integer Python refuses to convert
    too_deep = "[" * 100_000 + "]" * 100_000
    for data in (too_long, too_deep):
        r = upload(sim, data)
        assert r.status_code == 200, r.text
        job = sim.tenant.wait_job(r.json()["id"], "valid_scheme", "invalid_scheme")
        assert job["scheme_errors"] == ["file is not valid JSON"]


def test_scheme_duplicates_within_the_file(sim: SimulatorHandle) -> None:
    data = [
        new("a@example.com", new_email="x@example.com"),
        new("A@Example.com", new_email="X@example.com"),
    ]
    assert scheme_errors(sim, data) == [
        {"message": "email is duplicated in the file (row 1)", "column": 1, "row": 2},
        {"message": "new_email is duplicated in the file (row 1)", "column": 2, "row": 2},
    ]


def test_scheme_accepts_what_the_reference_allows(sim: SimulatorHandle) -> None:
    data = [
        # existing user, any case; location case-insensitive
        {
            "email": "USER1@somedomain.com",
            "first_name": "J",
            "last_name": "B",
            "location": "mexico",
        },
        new("b@example.com", status="", location=None, max_chat_limit=10),
        new("c@example.com", location="NULL", max_chat_limit="", max_chat_limit_enabled=1),
        new("d@example.com", max_chat_limit_enabled="0", roles=[{"name": "Agent", "value": ""}]),
    ]
    assert scheme_errors(sim, data) == []


def test_state_machine_and_messages(sim_factory) -> None:
    # every proceeded job stalls in_progress, so the in_progress checks cannot race the worker
    sim = sim_factory(validation_delay=0.2, faults="stall=job,stall_time=60")
    job_id = upload(sim, [new(f"u{i}@example.com") for i in range(4)]).json()["id"]
    # created: cannot proceed
    assert proceed(sim, job_id).json() == {
        "message": "This job cannot proceed update. status: created"
    }
    # created -> (replace) -> invalid_scheme: cannot proceed
    assert replace(sim, job_id, [{"email": "bad"}]).status_code == 200
    sim.tenant.wait_job(job_id, "invalid_scheme")
    r = proceed(sim, job_id)
    assert (r.status_code, r.json()) == (
        400,
        {"message": "This job cannot proceed update. status: invalid_scheme"},
    )
    # invalid_scheme -> (replace) -> valid_scheme -> in_progress
    assert replace(sim, job_id, [new(f"u{i}@example.com") for i in range(4)]).status_code == 200
    assert get(sim, f"bulk/users/jobs/{job_id}").json()["status"] == "created"
    sim.tenant.wait_job(job_id, "valid_scheme")
    assert proceed(sim, job_id).status_code == 200
    assert get(sim, f"bulk/users/jobs/{job_id}").json()["status"] == "in_progress"
    r = replace(sim, job_id, [new("z@example.com")])
    assert (r.status_code, r.json()) == (
        404,
        {"message": "Can't update JSON. job status: in_progress"},
    )
    r = proceed(sim, job_id)
    assert (r.status_code, r.json()) == (400, {"message": "Update is already in progress."})


def test_finished_job_cannot_proceed_again(sim: SimulatorHandle) -> None:
    job = run_job(sim, [new(f"u{i}@example.com") for i in range(4)])
    r = proceed(sim, job["id"])
    assert (r.status_code, r.json()) == (
        400,
        {"message": "This job cannot proceed update. status: finished"},
    )
    assert len(template_by_email(sim)) == 3 + 4


def test_stale_validation_is_dropped_after_replace(sim_factory) -> None:
    sim = sim_factory(validation_delay=0.1)
    job_id = upload(sim, [{"email": "bad"}]).json()["id"]
    replace(sim, job_id, [new("ok@example.com")])  # before the first validation ran
    job = sim.tenant.wait_job(job_id, "valid_scheme", "invalid_scheme")
    assert job["status"] == "valid_scheme"
    assert get(sim, f"bulk/users/jobs/{job_id}").json()["status"] == "valid_scheme"


def test_request_errors(sim: SimulatorHandle) -> None:
    url = sim.url("bulk/users/upload")
    r = requests.post(url, auth=sim.auth, data={"x": "1"}, timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (400, {"message": "file is required"})
    r = requests.put(url, auth=sim.auth, files={"file": ("a.json", "[]")}, timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (400, {"message": "id is required"})
    r = requests.post(sim.url("bulk/users/proceed"), auth=sim.auth, timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (400, {"message": "id is required"})
    r = proceed(sim, 12345)
    assert (r.status_code, r.json()) == (404, {"message": "Not Found"})
    r = requests.delete(sim.url("bulk/users/template"), auth=sim.auth, timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (405, {"message": "Method Not Allowed"})
    r = get(sim, "bulk/users/nothing-here")
    assert (r.status_code, r.json()) == (404, {"message": "Not Found"})
    # proceed also takes a JSON body
    job_id = upload(sim, [new("j@example.com")]).json()["id"]
    sim.tenant.wait_job(job_id, "valid_scheme")
    r = requests.post(
        sim.url("bulk/users/proceed"), auth=sim.auth, json={"id": job_id}, timeout=TIMEOUT
    )
    assert r.json()["status"] == "valid_scheme"


def test_update_semantics(sim: SimulatorHandle) -> None:
    run_job(
        sim,
        [
            {
                "email": "user1@somedomain.com",
                "first_name": "James",
                "last_name": "Bond",
                "roles": [{"name": "Agent", "value": 1}, {"name": "Admin", "value": 1}],
                "teams": [{"name": "test team 3", "value": 1}],
            }
        ],
    )
    job = run_job(
        sim,
        [
            {
                # only the roles named change; omitted fields and roles stay
                "email": "User1@SomeDomain.com",
                "first_name": "James",
                "last_name": "Bond",
                "max_chat_limit": "7",
                "max_chat_limit_enabled": "1",
                "location": "",
                "roles": [{"name": "Admin", "value": 0}, {"name": "Manager", "value": ""}],
            },
            new("user2@somedomain.com", status="Active", location="MEXICO", first_name="John"),
            new("user3@somedomain.com", new_email="Jane.Doe@Example.com", first_name="Jane"),
            new("created@example.com", agent_number="A-9", roles=[{"name": "Agent", "value": 1}]),
        ],
    )
    assert (job["affected_rows"], job["failed_rows"], job["update_errors"]) == (4, 0, [])
    users = template_by_email(sim)
    u1 = users["user1@somedomain.com"]
    assert (
        u1["first_name"],
        u1["location"],
        u1["max_chat_limit"],
        u1["max_chat_limit_enabled"],
    ) == (
        "James",
        "Mexico",
        "7",
        "1",
    )
    assert [r["name"] for r in u1["roles"] if r["value"]] == ["Agent"]
    assert [t["name"] for t in u1["teams"] if t["value"]] == ["test team 3"]
    assert (users["user2@somedomain.com"]["status"], users["user2@somedomain.com"]["location"]) == (
        "Active",
        "Mexico",
    )
    assert "user3@somedomain.com" not in users
    assert users["Jane.Doe@Example.com"]["first_name"] == "Jane"  # stored spelling shown
    created = users["created@example.com"]
    assert (created["status"], created["agent_number"], created["max_chat_limit"]) == (
        "Active",
        "A-9",
        "",
    )
    # a case-only rename changes the stored spelling
    run_job(sim, [new("jane.doe@example.com", new_email="jane.doe@example.com")])
    assert "jane.doe@example.com" in template_by_email(sim)


def test_update_errors_leave_other_rows(sim: SimulatorHandle) -> None:
    job = run_job(
        sim,
        [
            new("user1@somedomain.com", new_email="USER2@somedomain.com"),
            new("user3@somedomain.com", agent_number="A-333"),
        ],
    )
    assert (job["affected_rows"], job["failed_rows"]) == (2, 1)
    assert get(sim, f"bulk/users/errors/update/{job['id']}").json() == [
        {
            "message": "new_email USER2@somedomain.com is already used by another user",
            "column": 2,
            "row": 1,
            "error_type": "error",
        }
    ]
    users = template_by_email(sim)
    assert "user1@somedomain.com" in users
    assert users["user3@somedomain.com"]["agent_number"] == "A-333"


def test_names_are_required_in_every_row(sim: SimulatorHandle) -> None:
    # The reference's field table: first_name and last_name are required, non-empty strings,
    # for an existing user too (the reconciler always sends them).
    assert scheme_errors(sim, [{"email": "user1@somedomain.com", "agent_number": "Z"}]) == [
        {"message": "first_name is required", "column": 4, "row": 1},
        {"message": "last_name is required", "column": 5, "row": 1},
    ]
    assert scheme_errors(sim, [new("user1@somedomain.com", first_name=" ")]) == [
        {"message": "first_name is required", "column": 4, "row": 1}
    ]


def test_row_whose_user_was_renamed_away_after_validation_creates_it(
    sim: SimulatorHandle,
) -> None:
    job_id = upload(sim, [new("user1@somedomain.com", agent_number="Z")]).json()["id"]
    sim.tenant.wait_job(job_id, "valid_scheme")
    run_job(sim, [new("user1@somedomain.com", new_email="moved@somedomain.com")])
    proceed(sim, job_id)
    job = sim.tenant.wait_job(job_id, "finished")
    assert (job["failed_rows"], job["update_errors"]) == (0, [])
    users = template_by_email(sim)
    assert users["user1@somedomain.com"]["agent_number"] == "Z"
    assert users["moved@somedomain.com"]["agent_number"] == "A-001"


def test_large_job_is_fast(sim: SimulatorHandle) -> None:
    n = 2000
    job = run_job(sim, [new(f"bulk{i}@example.com") for i in range(n)])
    assert (job["total_rows"], job["affected_rows"], job["failed_rows"]) == (n, n, 0)
    assert len(get(sim, "bulk/users/template").json()) == n + 3
