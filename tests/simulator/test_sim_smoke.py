"""The in-process simulator serves over real HTTP and its fixtures work."""

from __future__ import annotations

import json

import requests

from reconciler.simulator import SimulatorHandle


def test_template_upload_proceed_finish(sim: SimulatorHandle) -> None:
    assert sim.base_url.startswith("http://127.0.0.1:") and sim.base_url.endswith("/apps/api/v1")
    r = requests.get(sim.url("bulk/users/template"), auth=sim.auth, timeout=5)
    assert r.status_code == 200
    assert [u["email"] for u in r.json()] == [
        "user1@somedomain.com",
        "user2@somedomain.com",
        "user3@somedomain.com",
    ]
    rows = [{"email": "new@example.com", "first_name": "New", "last_name": "User"}]
    r = requests.post(
        sim.url("bulk/users/upload"),
        auth=sim.auth,
        files={"file": ("new.json", json.dumps(rows))},
        timeout=5,
    )
    assert r.status_code == 200
    job_id = r.json()["id"]
    sim.tenant.wait_job(job_id, "valid_scheme")
    r = requests.post(sim.url("bulk/users/proceed"), auth=sim.auth, data={"id": job_id}, timeout=5)
    assert r.json()["status"] == "valid_scheme"
    job = sim.tenant.wait_job(job_id, "finished")
    assert (job["total_rows"], job["affected_rows"], job["failed_rows"]) == (1, 1, 0)
    user = sim.tenant.user_by_email("NEW@example.com")
    assert user is not None and (user.first_name, user.status) == ("New", "Active")
    paths = [(e["method"], e["path"], e["status"]) for e in sim.requests]
    assert paths[0] == ("GET", "/apps/api/v1/bulk/users/template", 200)
    assert ("POST", "/apps/api/v1/bulk/users/proceed", 200) in paths


def test_sim_factory_custom_tenant(sim_factory) -> None:
    s = sim_factory(
        {"subdomain": "acme", "token": "t0k", "roles": ["Agent"], "teams": [], "users": []}
    )
    assert s.subdomain == "acme"
    r = requests.get(s.url("bulk/users/template"), auth=("acme", "t0k"), timeout=5)
    assert r.status_code == 200 and r.json() == []
