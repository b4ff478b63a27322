"""Races the simulator does not produce, against a small scripted HTTP server on loopback: a
proceed that the server applied but answered with 503, while the job still reads as
``valid_scheme`` (a lagging read); the retry then meets "Update is already in progress."."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from reconciler.platform import JobStatus, RequestRejectedError, RetryPolicy, connect

PREFIX = "/apps/api/v1"


class Script:
    def __init__(self, lagging: bool) -> None:
        self.proceeds = 0
        self.job_reads = 0
        self.applied = False
        self.lagging = lagging
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        with self.lock:
            response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.path == f"{PREFIX}/bulk/users/proceed":
            self.proceeds += 1
            if self.applied:
                return self.message("Update is already in progress.", 400)
            self.applied = True
            return self.message("Service Unavailable", 503)
        if request.path == f"{PREFIX}/bulk/users/jobs/1":
            self.job_reads += 1
            lag = self.lagging and self.job_reads == 1
            status = "in_progress" if self.applied and not lag else "valid_scheme"
            return Response(
                json.dumps({"id": 1, "status": status, "filename": "p.json"}),
                content_type="application/json",
            )
        return self.message("Not Found", 404)

    @staticmethod
    def message(text: str, status: int) -> Response:
        return Response(
            json.dumps({"message": text}), status=status, content_type="application/json"
        )


@pytest.fixture
def serve() -> Iterator:
    servers = []

    def start(app: Script) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.port}{PREFIX}"

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def client(url: str):  # type: ignore[no-untyped-def]
    retry = RetryPolicy(base=0.01, cap=0.02, deadline=5, rng=random.Random(0))
    env = {"CCAI_API_TOKEN": "t", "CCAI_SUBDOMAIN": "demo"}
    return connect(base_url=url, env=env, rate=1000, retry=retry)


def test_proceed_after_ambiguous_failure_and_lagging_read(serve) -> None:
    script = Script(lagging=True)
    with client(serve(script)) as c:
        job = c.proceed(1)
        assert job.status is JobStatus.IN_PROGRESS
        assert c.calls["proceed"] == 2 and c.calls["job"] == 2
    assert script.proceeds == 2


def test_proceed_after_ambiguous_failure_reads_the_job_once(serve) -> None:
    script = Script(lagging=False)
    with client(serve(script)) as c:
        assert c.proceed(1).accepted
        assert c.calls["proceed"] == 1 and c.calls["job"] == 1


def test_already_in_progress_without_ambiguity_is_an_error(serve) -> None:
    script = Script(lagging=False)
    script.applied = True  # someone else proceeded it
    with client(serve(script)) as c:
        with pytest.raises(RequestRejectedError) as info:
            c.proceed(1)
        assert info.value.server_message == "Update is already in progress."
        assert c.calls["proceed"] == 1
