"""Every call ends by its deadline, also against a server that trickles its answer (issue 9,
defect 4): a tiny local server sends the response one byte every 0.2 s (from the status line,
or after complete headers), which never trips a per-read timeout. The call fails with a
DeadlineError naming the endpoint and the bound, and `plan` exits 1 with that message."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.platform import (
    DeadlineError,
    MalformedResponseError,
    PlatformClient,
    RetryPolicy,
)
from tests.helpers import template
from tests.rawserver import RawServer

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "trickle-secret-token-4711"
BODY = b"[" + b'{"email":"a@example.com","first_name":"A","last_name":"B"},' * 40 + b"{}]"
HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n"
)


class Trickle(RawServer):
    """Answers every request with HEAD + BODY, one byte every ``pause`` seconds (``mode``
    "all": from the first byte of the status line; "body": the head at once; "http10": the head
    at once as an HTTP/1.0 answer, after which http.client drops the connection's socket
    reference (the response keeps it); "flood": a body without a length and without an end, at
    full speed)."""

    def __init__(self, mode: str, pause: float = 0.2) -> None:
        self.mode, self.pause = mode, pause
        super().__init__(threaded=True)

    def answer(self, conn: socket.socket) -> None:
        if not self.read_head(conn):
            return
        self.requests += 1
        if self.mode == "flood":  # no length, a body without end, as fast as it goes
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n[")
            while not self.stop.is_set():
                conn.sendall(b"{}," * 65536)
            return
        out = HEAD + BODY
        if self.mode == "body":
            conn.sendall(HEAD)
            out = BODY
        elif self.mode == "http10":
            conn.sendall(HEAD.replace(b"HTTP/1.1", b"HTTP/1.0", 1))
            out = BODY
        for i in range(len(out)):
            if self.stop.wait(self.pause):
                return
            conn.sendall(out[i : i + 1])


@pytest.fixture(params=["all", "body", "http10"])
def trickle(request: pytest.FixtureRequest) -> Iterator[Trickle]:
    server = Trickle(request.param)
    yield server
    server.close()


def _client(server: Trickle, **kwargs) -> PlatformClient:
    return PlatformClient(
        base_url=server.base_url,
        subdomain="demo",
        token=TOKEN,
        rate=100.0,
        retry=RetryPolicy(base=0.01, cap=0.05, deadline=10.0),
        **kwargs,
    )


def test_a_trickled_template_ends_at_the_request_timeout(trickle: Trickle) -> None:
    with _client(trickle, request_timeout=1.0) as client, pytest.raises(DeadlineError) as info:
        list(client.iter_template())
    msg = str(info.value)
    assert "GET /bulk/users/template got no complete answer within 1 s" in msg
    assert "--request-timeout / CCAI_REQUEST_TIMEOUT" in msg
    assert TOKEN not in msg and TOKEN not in repr(info.value.__context__)
    assert trickle.requests == 1  # the deadline is spent: no retry


def test_time_limit_bounds_a_poll_below_the_request_timeout(trickle: Trickle) -> None:
    """What `apply --timeout` uses: inside time_limit(), a job poll ends at that limit even
    though the call's own bound (10 s here) is later."""
    with _client(trickle) as client:
        with client.time_limit(1.0, "apply --timeout 1 s"), pytest.raises(DeadlineError) as info:
            client.job(5)
        assert "GET /bulk/users/jobs/5 got no complete answer within 1 s" in str(info.value)
        assert "apply --timeout 1 s" in str(info.value)
        assert getattr(client._local, "limit", None) is None  # the limit ends with the block


def test_time_limit_refuses_a_slot_after_the_limit(trickle: Trickle) -> None:
    """A rate-limit wait that would end after the limit is not waited for."""
    with _client(trickle) as client:
        client.throttle.penalize(30.0)  # as after a 429 with Retry-After: 30
        with client.time_limit(1.0, "apply --timeout 1 s"), pytest.raises(DeadlineError) as info:
            client.jobs()
    assert "could not be sent (the next request slot is too late)" in str(info.value)
    assert trickle.requests == 0


def test_apply_timeout_bounds_a_trickled_poll(trickle: Trickle) -> None:
    """`apply --timeout 1`: the driver's wait ends at its timeout even when the poll it is in
    never completes (the client's own bound, 10 s here, is later): an ApplyTimeout, which the
    command reports as a resumable timeout."""
    from reconciler.apply import ApplyOptions, ApplyTimeout, JobDriver
    from reconciler.platform.models import Job
    from reconciler.render.jobprogress import QuietJobProgress

    job = Job(id=7, status="in_progress", filename="plan-abc.json")
    with _client(trickle) as client:
        driver = JobDriver(client, ApplyOptions(timeout=1.0, poll_initial=0.01), QuietJobProgress())
        with pytest.raises(ApplyTimeout) as info:
            driver.wait(job, lambda j: j.status == "finished", "to finish")
    assert "timed out after 1 s waiting for job 7 (plan-abc.json) to finish" in str(info.value)
    assert trickle.requests == 1


def test_plan_against_a_trickling_server_exits_1_with_the_bound(
    trickle: Trickle, tmp_path: Path
) -> None:
    how = "option" if trickle.mode == "all" else "env"  # each way once
    env = {
        **os.environ,
        "CCAI_BASE_URL": trickle.base_url,
        "CCAI_API_TOKEN": TOKEN,
        "CCAI_SUBDOMAIN": "demo",
    }
    args = [sys.executable, "-m", "reconciler", "plan", "-c", str(ROOT / "examples" / "config")]
    if how == "option":
        args += ["--request-timeout", "1"]
    else:
        env["CCAI_REQUEST_TIMEOUT"] = "1"
    proc = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "GET /bulk/users/template got no complete answer within 1 s" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert TOKEN not in proc.stderr + proc.stdout


def test_request_timeout_must_be_positive(tmp_path: Path) -> None:
    env = {**os.environ, "CCAI_API_TOKEN": TOKEN, "CCAI_BASE_URL": "http://127.0.0.1:9/x"}
    args = [sys.executable, "-m", "reconciler", "plan", "-c", str(ROOT / "examples" / "config")]
    proc = subprocess.run(
        [*args, "--request-timeout", "0"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "--request-timeout" in proc.stderr and "Traceback" not in proc.stderr


def test_an_endless_body_is_refused_at_the_size_cap() -> None:
    server = Trickle("flood")
    try:
        with _client(server) as client:
            client.max_body = 2**22
            with pytest.raises(MalformedResponseError) as info:
                client.jobs()
    finally:
        server.close()
    assert "the answer to GET /bulk/users/jobs is larger than 4 MB" in str(info.value)


def test_a_declared_length_above_the_cap_is_refused_before_reading(sim, client_for) -> None:
    client = client_for(sim)
    client.max_body = 100
    with pytest.raises(MalformedResponseError, match="larger than 100 bytes"):
        template(client)


def test_apply_timeout_bounds_the_proceed_and_its_read(trickle: Trickle) -> None:
    """`apply --timeout 1`: the proceed call (and the job read that follows it) ends at the
    timeout too, not at the client's later per-call bound: an ApplyTimeout."""
    from reconciler.apply import ApplyOptions, ApplyTimeout, JobDriver, _proceed
    from reconciler.platform.models import Job
    from reconciler.render.jobprogress import QuietJobProgress

    job = Job(id=7, status="valid_scheme", filename="plan-abc.json")
    with _client(trickle, request_timeout=30.0) as client:
        driver = JobDriver(client, ApplyOptions(timeout=1.0, poll_initial=0.01), QuietJobProgress())
        with pytest.raises(ApplyTimeout) as info:
            _proceed(client, job, driver)
    assert "timed out after 1 s waiting for job 7 (plan-abc.json) to be proceeded" in str(
        info.value
    )
