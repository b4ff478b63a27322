"""--state persistence across restarts, the command line server, the request log, seeds."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.simulator import SeedError, build_tenant, run_simulator

from .simhelpers import TIMEOUT, get, post_json, proceed, run_job, template_by_email, upload

FAST = {"rate_limit": 0.0, "validation_delay": 0.05, "row_delay": 0.0}


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "tenant.json"
    with run_simulator(state_file=state, **FAST) as sim:
        assert state.exists()  # written on start
        run_job(sim, [{"email": "kept@example.com", "first_name": "K", "last_name": "P"}])
        post_json(sim, "outbound_dialer/dnc", {"contacts": [{"phone_number": "4155550100"}]})
        pending = upload(
            sim,
            [
                {
                    "email": "user1@somedomain.com",
                    "first_name": "J",
                    "last_name": "B",
                    "agent_number": "Q",
                }
            ],
        ).json()
        sim.tenant.wait_job(pending["id"], "valid_scheme")
    assert not list(tmp_path.glob(".tenant.json.*"))  # no temporary file left behind
    with run_simulator(state_file=state, **FAST) as sim:
        assert "kept@example.com" in template_by_email(sim)
        assert sim.tenant.dnc_snapshot() == {"+14155550100": None}
        jobs = get(sim, "bulk/users/jobs").json()
        assert [j["status"] for j in jobs] == ["valid_scheme", "finished"]
        # ids continue, and the pending job can still be proceeded
        assert (
            upload(sim, [{"email": "x@example.com", "first_name": "X", "last_name": "Y"}]).json()[
                "id"
            ]
            == pending["id"] + 1
        )
        assert proceed(sim, pending["id"]).status_code == 200
        sim.tenant.wait_job(pending["id"], "finished")
        assert template_by_email(sim)["user1@somedomain.com"]["agent_number"] == "Q"


def test_every_acknowledged_change_is_on_disk(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    with run_simulator(state_file=state, **FAST) as sim:
        post_json(sim, "outbound_dialer/dnc", {"contacts": [{"phone_number": "4155550101"}]})
        # read the file while the simulator still runs: the answered request is already there
        on_disk = json.loads(state.read_text())
        assert on_disk["dnc"] == [{"phone_number": "+14155550101", "expires_at": None}]


def test_in_progress_job_resumes_after_restart(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    with run_simulator(state_file=state, faults="stall=job,stall_time=60", **FAST) as sim:
        job_id = upload(sim, [{"email": "r@example.com", "first_name": "R", "last_name": "S"}])
        job_id = job_id.json()["id"]
        sim.tenant.wait_job(job_id, "valid_scheme")
        proceed(sim, job_id)
        assert get(sim, f"bulk/users/jobs/{job_id}").json()["status"] == "in_progress"
    with run_simulator(state_file=state, **FAST) as sim:
        assert sim.tenant.wait_job(job_id, "finished")["affected_rows"] == 1
        assert "r@example.com" in template_by_email(sim)


def test_state_wins_over_seed_and_flags_override(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    build_tenant(state_file=state)
    tenant = build_tenant({"subdomain": "other", "users": []}, state_file=state, token="new")
    assert (tenant.subdomain, tenant.token, len(tenant.users)) == ("demo", "new", 3)


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"users": [{"email": "nope"}]}, "seed: users[0].email: must be an email address"),
        ({"rolez": []}, "seed: rolez: unknown field"),
        (
            {"locations": ["Mexico"], "users": [{"email": "a@b.co", "location": "Paris"}]},
            "seed: users[0].location: unknown location 'Paris'",
        ),
        ({"dnc": [{"phone_number": "911"}]}, "seed: dnc[0].phone_number: emergency phone"),
        (
            {"roles": ["A"], "users": [{"email": "a@b.co", "roles": ["B"]}]},
            "seed: users[0].roles: unknown name 'B'",
        ),
        ({"next_job_id": "many"}, "seed: not a valid tenant: invalid literal"),
        ({"jobs": [{"id": 1}]}, "seed: jobs[0]: invalid job: 'created_at'"),
        ([], "seed: the tenant must be a JSON object"),
    ],
)
def test_bad_seed_messages(seed: object, message: str) -> None:
    with pytest.raises(SeedError, match="^" + message.replace("[", r"\[").replace("]", r"\]")):
        build_tenant(seed)  # type: ignore[arg-type]


def test_request_log_file_matches_handle(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    with run_simulator(request_log=log, **FAST) as sim:
        get(sim, "bulk/users/template")
        get(sim, "outbound_dialer/dnc/check", params={"phone_number": "4155550100"})
        get(sim, "bulk/users/template", auth=("demo", "wrong"))
        in_memory = sim.requests
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines == in_memory
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in lines] == [
        ("GET", "/apps/api/v1/bulk/users/template", "", 200),
        ("GET", "/apps/api/v1/outbound_dialer/dnc/check", "phone_number=4155550100", 200),
        ("GET", "/apps/api/v1/bulk/users/template", "", 401),
    ]
    for e in lines:
        assert list(e) == ["time", "method", "path", "query", "status", "duration"]
        assert isinstance(e["time"], float) and 0 <= e["duration"] < 5
    assert "demo-token" not in log.read_text()


def _start_cli(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "simulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=20)  # waits for the ready line, not for a fixed time
    if not line:
        proc.kill()
        pytest.fail("no ready line from the simulator: " + proc.communicate()[1])
    return proc, line[0]


def test_command_line_server(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    log = tmp_path / "req.jsonl"
    proc, ready = _start_cli(
        tmp_path,
        "--state",
        str(state),
        "--request-log",
        str(log),
        "--subdomain",
        "acme",
        "--token",
        "s3cret",
        "--rate-limit",
        "0",
        "--now",
        "2022-10-28T00:00:00Z",
    )
    try:
        prefix = "serving tenant acme at http://127.0.0.1:"
        assert ready.startswith(prefix) and ready.endswith("/apps/api/v1\n"), ready
        base = ready.split(" at ", 1)[1].strip()
        r = requests.post(
            base + "/outbound_dialer/dnc",
            auth=("acme", "s3cret"),
            json={
                "contacts": [
                    {"phone_number": "4155550100", "expires_at": "2022-10-29 00:00:00 UTC"}
                ]
            },
            timeout=TIMEOUT,
        )
        assert r.json() == [
            {
                "phone_number": "4155550100",
                "expires_at": "2022-10-29 00:00:00 UTC",
                "status": "created",
            }
        ]
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    saved = json.loads(state.read_text())
    assert saved["dnc"] == [
        {"phone_number": "+14155550100", "expires_at": "2022-10-29T00:00:00+00:00"}
    ]
    assert len(log.read_text().splitlines()) == 1
    # restarted from the state file: the same tenant
    proc, ready = _start_cli(tmp_path, "--state", str(state), "--rate-limit", "0")
    try:
        base = ready.split(" at ", 1)[1].strip()
        r = requests.get(
            base + "/outbound_dialer/dnc/check",
            params={"phone_number": "+1 415 555 0100"},
            auth=("acme", "s3cret"),
            timeout=TIMEOUT,
        )
        assert r.json()["expired_at"] == "2022-10-29 00:00:00.000000 +0000"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_command_line_errors_are_messages(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('{"users": [\n  {"email": 1}\n]}')
    bad = tmp_path / "bad.json"
    bad.write_text('{"users": [\n  oops\n]}')
    cases = [
        (["--seed", str(seed)], f"error: {seed}: users[0].email: must be an email address"),
        (["--seed", str(bad)], f"error: {bad}:2:3: invalid JSON"),
        (["--seed", str(tmp_path / "missing.json")], "cannot read"),
        (["--faults", "5xx=2"], "error: --faults: invalid fault '5xx=2': out of range"),
        (["--faults", "boom=1"], "error: --faults: invalid fault 'boom=1'"),
        (["--now", "yesterday"], "error: --now: 'yesterday' is not an ISO 8601 date/time"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(cli, ["simulator", "--port", "0", *args])
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_port_in_use_is_a_message() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["simulator", "--port", str(port)])
    assert result.exit_code == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_clock_starts_at_now_and_runs() -> None:
    start = datetime(2022, 10, 28, tzinfo=UTC)
    with run_simulator(now=start, **FAST) as sim:
        first = sim.clock.now()
        assert start <= first < datetime(2022, 10, 28, 0, 1, tzinfo=UTC)
        job_id = upload(sim, [{"email": "c@example.com", "first_name": "C", "last_name": "D"}])
        created = get(sim, f"bulk/users/jobs/{job_id.json()['id']}").json()["created_at"]
        assert created.startswith("2022-10-28T00:00:0")
        assert sim.clock.now() >= first


def test_command_line_dropped_connections_are_quiet(tmp_path: Path) -> None:
    proc, ready = _start_cli(tmp_path, "--faults", "reset=1.0", "--rate-limit", "0")
    try:
        base = ready.split(" at ", 1)[1].strip()
        for _ in range(4):
            with pytest.raises(requests.ConnectionError):
                requests.get(base + "/bulk/users/jobs", auth=("demo", "demo-token"), timeout=5)
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert err.strip() == "simulator stopped"


def test_job_list_is_newest_first_after_a_restart_with_an_earlier_clock(tmp_path: Path) -> None:
    # The clock is not persisted: a restart with an earlier --now gives the new job an older
    # created_at than the jobs already stored. The list is still newest (highest id) first.
    state = tmp_path / "s.json"
    with run_simulator(state_file=state, now=datetime(2022, 1, 8, tzinfo=UTC), **FAST) as sim:
        first = upload(sim, [{"email": "user1@somedomain.com", "agent_number": "1"}]).json()["id"]
    with run_simulator(state_file=state, now=datetime(2022, 1, 7, tzinfo=UTC), **FAST) as sim:
        second = upload(sim, [{"email": "user1@somedomain.com", "agent_number": "2"}]).json()["id"]
        assert [j["id"] for j in get(sim, "bulk/users/jobs").json()] == [second, first]
