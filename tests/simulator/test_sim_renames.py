"""Renames within one file (swaps, chains, cycles): the tenant never holds two users with the
same email, neither at the end of a job nor while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.simulator import SimulatorHandle, run_simulator

from .simhelpers import get, proceed, run_job, upload


def rename(sim: SimulatorHandle, email: str, new_email: str) -> dict[str, Any]:
    """A row renaming ``email``, with the user's current (required) names."""
    user = next(u for u in get(sim, "bulk/users/template").json() if u["email"] == email)
    return {
        "email": email,
        "new_email": new_email,
        "first_name": user["first_name"],
        "last_name": user["last_name"],
    }


def emails(sim: SimulatorHandle) -> list[str]:
    return [u["email"].lower() for u in get(sim, "bulk/users/template").json()]


def assert_unique(sim: SimulatorHandle) -> None:
    seen = emails(sim)
    assert len(seen) == len(set(seen)), seen
    # the server's own index agrees with what it shows
    with sim.tenant.lock:
        assert {u.email.lower(): u.id for u in sim.tenant.users.values()} == sim.tenant.by_email


def test_swap_whose_later_row_fails_leaves_no_duplicate(sim: SimulatorHandle) -> None:
    # Row 1 renames user2 into user3's address because row 2 renames user3 away, but row 2
    # cannot (user1 keeps its address): row 1 must fail too, not leave two "user3"s.
    job = run_job(
        sim,
        [
            rename(sim, "user2@somedomain.com", "user3@somedomain.com"),
            rename(sim, "user3@somedomain.com", "user1@somedomain.com"),
        ],
    )
    assert (job["affected_rows"], job["failed_rows"]) == (2, 2)
    assert_unique(sim)
    assert sorted(emails(sim)) == [f"user{i}@somedomain.com" for i in (1, 2, 3)]
    errors = get(sim, f"bulk/users/errors/update/{job['id']}").json()
    assert [(e["row"], e["column"], e["error_type"]) for e in errors] == [
        (1, 2, "error"),
        (2, 2, "error"),
    ]


def test_no_duplicate_email_while_a_swap_is_half_done(sim_factory: Any) -> None:
    # The job applies row 1 at once, then waits a minute for row 2: the template read in
    # between must not show two users with the same address.
    sim = sim_factory(row_delay=60)
    job_id = upload(
        sim,
        [
            rename(sim, "user2@somedomain.com", "user3@somedomain.com"),
            rename(sim, "user3@somedomain.com", "user2@somedomain.com"),
        ],
    ).json()["id"]
    sim.tenant.wait_job(job_id, "valid_scheme")
    assert proceed(sim, job_id).status_code == 200
    assert sim.tenant.wait_for(lambda t: t.jobs[job_id].affected_rows == 1)
    assert_unique(sim)
    by_email = {u["email"]: u for u in get(sim, "bulk/users/template").json()}
    assert by_email["user3@somedomain.com"]["first_name"] == "John"  # row 1 is done
    assert by_email["user2@somedomain.com"]["first_name"] == "Jane"


def test_chains_and_cycles_of_renames(sim: SimulatorHandle) -> None:
    # a three-way cycle and a chain into a free address, in one file
    job = run_job(
        sim,
        [
            rename(sim, "user1@somedomain.com", "user2@somedomain.com"),
            rename(sim, "user2@somedomain.com", "user3@somedomain.com"),
            rename(sim, "user3@somedomain.com", "user1@somedomain.com"),
        ],
    )
    assert (job["failed_rows"], job["update_errors"]) == (0, [])
    names = {u["email"]: u["first_name"] for u in get(sim, "bulk/users/template").json()}
    assert names == {
        "user2@somedomain.com": "James",
        "user3@somedomain.com": "John",
        "user1@somedomain.com": "Jane",
    }
    job = run_job(
        sim,
        [
            rename(sim, "user3@somedomain.com", "user1@somedomain.com"),
            rename(sim, "user1@somedomain.com", "free@somedomain.com"),
        ],
    )
    assert (job["failed_rows"], job["update_errors"]) == (0, [])
    names = {u["email"]: u["first_name"] for u in get(sim, "bulk/users/template").json()}
    assert names == {
        "user2@somedomain.com": "James",
        "user1@somedomain.com": "John",
        "free@somedomain.com": "Jane",
    }
    assert_unique(sim)


def test_swap_resumes_after_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    options = {"rate_limit": 0.0, "validation_delay": 0.05, "state_file": state}
    with run_simulator(row_delay=60, **options) as sim:
        rows = [
            rename(sim, "user2@somedomain.com", "user3@somedomain.com"),
            rename(sim, "user3@somedomain.com", "user2@somedomain.com"),
        ]
        job_id = upload(sim, rows).json()["id"]
        sim.tenant.wait_job(job_id, "valid_scheme")
        assert proceed(sim, job_id).status_code == 200
        assert sim.tenant.wait_for(lambda t: t.jobs[job_id].affected_rows == 1)
    with run_simulator(row_delay=0.0, **options) as sim:
        job = sim.tenant.wait_job(job_id, "finished")
        # row 2's rename was made with row 1's: it is not "nothing to update"
        assert (job["affected_rows"], job["failed_rows"], job["update_errors"]) == (2, 0, [])
        assert_unique(sim)
        names = {u["email"]: u["first_name"] for u in get(sim, "bulk/users/template").json()}
        assert names["user3@somedomain.com"] == "John"
        assert names["user2@somedomain.com"] == "Jane"
