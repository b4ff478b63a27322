"""Small HTTP helpers for the simulator tests (real requests over loopback)."""

from __future__ import annotations

import json
from typing import Any

import requests

from reconciler.simulator import SimulatorHandle

TIMEOUT = 5


def get(sim: SimulatorHandle, path: str, **kw: Any) -> requests.Response:
    return requests.get(sim.url(path), auth=kw.pop("auth", sim.auth), timeout=TIMEOUT, **kw)


def upload(sim: SimulatorHandle, rows: Any, filename: str = "rows.json") -> requests.Response:
    content = rows if isinstance(rows, (str, bytes)) else json.dumps(rows)
    return requests.post(
        sim.url("bulk/users/upload"),
        auth=sim.auth,
        files={"file": (filename, content)},
        timeout=TIMEOUT,
    )


def replace(
    sim: SimulatorHandle, job_id: Any, rows: Any, filename: str = "rows.json"
) -> requests.Response:
    content = rows if isinstance(rows, (str, bytes)) else json.dumps(rows)
    return requests.put(
        sim.url("bulk/users/upload"),
        auth=sim.auth,
        data={"id": str(job_id)},
        files={"file": (filename, content)},
        timeout=TIMEOUT,
    )


def proceed(sim: SimulatorHandle, job_id: Any) -> requests.Response:
    return requests.post(
        sim.url("bulk/users/proceed"), auth=sim.auth, data={"id": str(job_id)}, timeout=TIMEOUT
    )


def post_json(sim: SimulatorHandle, path: str, body: Any) -> requests.Response:
    return requests.post(sim.url(path), auth=sim.auth, json=body, timeout=TIMEOUT)


def run_job(sim: SimulatorHandle, rows: Any, filename: str = "rows.json") -> dict[str, Any]:
    """Upload, wait for validation, proceed, wait for the end; the finished job."""
    job_id = upload(sim, rows, filename).json()["id"]
    job = sim.tenant.wait_job(job_id, "valid_scheme", "invalid_scheme")
    assert job["status"] == "valid_scheme", get(sim, f"bulk/users/errors/scheme/{job_id}").json()
    assert proceed(sim, job_id).status_code == 200
    return sim.tenant.wait_job(job_id, "finished")


def template_by_email(sim: SimulatorHandle) -> dict[str, dict[str, Any]]:
    return {u["email"]: u for u in get(sim, "bulk/users/template").json()}
