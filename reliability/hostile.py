"""A hostile server: a loopback proxy in front of a real simulator that spoils one kind of
answer (HTML, truncated JSON, wrong-typed JSON, a huge body, a trickle of one byte every few
hundred ms, a job that never finishes, a job that 404s mid-poll, a job poll that trickles).
Each ``plan`` / ``apply`` must end with exit 1 and a clear ``error:`` line in bounded time,
never a traceback, never the token."""

from __future__ import annotations

import json
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from .harness import cli_env, run_cli, simulator, tail
from .scenario import CONFIG_A, TOKEN, write_config

# The *_http10 modes answer as HTTP/1.0 (the connection closes after each answer, so
# http.client hands the socket from the connection to the response); the others keep alive.
HTTP10_SUFFIX = "_http10"
TRICKLE_INTERVAL = 0.3  # seconds per byte
HUGE_BYTES = 16 * 1024 * 1024
CAP = 90.0  # a command still running after this is unbounded (killed, a failure)
# The per-call deadline the trickle cases configure (the default is 300 s for the template);
# the job-poll trickle is bounded by apply --timeout alone.
REQUEST_TIMEOUT = "10"
APPLY_TIMEOUT = 8.0
SLACK = 12.0  # start-up, planning and the last poll's share of the --timeout bound
JOB_PATH = re.compile(r"/bulk/users/jobs/\d+$")

TEMPLATE_MODES = ("html", "truncated", "wrong_type", "huge", "trickle", "trickle_http10")
JOB_MODES = ("never_finishes", "job_404", "trickle_poll")


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        started = time.monotonic()
        for i in range(len(body)):  # bounded: the body's length, and 300 s, and the stop
            if self.server.stopping.wait(TRICKLE_INTERVAL) or time.monotonic() - started > 300:
                return
            try:
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
            except OSError:
                return  # the client gave up: what we want

    def _handle(self) -> None:
        srv, path = self.server, self.path.split("?")[0]
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        if srv.mode in TEMPLATE_MODES and path.endswith("/bulk/users/template"):
            return self._spoiled_template(srv.mode.removesuffix(HTTP10_SUFFIX))
        if self.command == "POST" and path.endswith("/bulk/users/proceed"):
            srv.proceeded = True
        headers = {
            k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")
        }
        up = requests.request(
            self.command, srv.upstream + self.path, data=data, headers=headers, timeout=30
        )
        body = up.content
        if JOB_PATH.search(path) and srv.proceeded:
            if srv.mode == "job_404":
                return self._send(404, b'{"message": "Not Found"}')
            if srv.mode == "never_finishes":
                job = json.loads(body)
                job.update(status="in_progress", affected_rows=0)
                return self._send(200, json.dumps(job).encode())
            if srv.mode == "trickle_poll":
                return self._trickle(body)
        self._send(up.status_code, body, up.headers.get("Content-Type", "application/json"))

    def _spoiled_template(self, mode: str) -> None:
        srv = self.server
        if mode == "html":
            self._send(200, b"<html><body><h1>Sign in</h1></body></html>", "text/html")
        elif mode == "truncated":
            self._send(200, srv.template[: len(srv.template) // 2])
        elif mode == "wrong_type":
            self._send(200, b'{"users": "none", "total": "many"}')
        elif mode == "huge":
            self._send(200, b'["' + b"x" * HUGE_BYTES + b'"]')
        else:
            self._trickle(srv.template)


class _Http10Handler(_Handler):
    protocol_version = "HTTP/1.0"


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str, upstream: str, template: bytes) -> None:
        handler = _Http10Handler if mode.endswith(HTTP10_SUFFIX) else _Handler
        super().__init__(("127.0.0.1", 0), handler)
        self.mode, self.upstream, self.template = mode, upstream, template
        self.proceeded = False
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/apps/api/v1"

    def close(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


@dataclass
class HostileCase:
    mode: str
    command: str
    rc: int
    seconds: float
    message: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _origin(base_url: str) -> str:
    return base_url.split("/apps/api/v1")[0]


def one_hostile(
    mode: str,
    command: str,
    work: Path,
    extra: tuple[str, ...] = (),
    cap: float = CAP,
    request_timeout: str = REQUEST_TIMEOUT,
    apply_timeout: float = APPLY_TIMEOUT,
) -> HostileCase:
    cfg = write_config(work / "config", CONFIG_A)
    with simulator(rate_limit=0.0, row_delay=0.0, validation_delay=0.05) as sim:
        template = requests.get(
            sim.handle.url("bulk/users/template"), auth=sim.handle.auth, timeout=10
        ).content
        srv = HostileServer(mode, _origin(sim.handle.base_url), template)
        try:
            env = cli_env(srv.base_url, 50.0, work)
            if mode in ("trickle", "trickle_http10"):
                env["CCAI_REQUEST_TIMEOUT"] = request_timeout
            args = ["plan", "-c", str(cfg)]
            if command == "apply":
                args = ["apply", "-c", str(cfg), "--auto-approve", "--poll-interval", "0.1"]
                args += ["--timeout", f"{apply_timeout:g}"]
            run = run_cli([*args, *extra], env, work, timeout=cap)
        finally:
            srv.close()
    errors = [line for line in run.stderr.splitlines() if "error" in line.lower()]
    case = HostileCase(
        mode, command, run.returncode, run.seconds, (errors or [tail(run.stderr, 1)])[-1][:160]
    )
    if run.killed:
        case.problems.append(f"still running after {cap:.0f} s (killed)")
    elif command == "apply" and mode == "trickle_poll" and run.seconds > apply_timeout + SLACK:
        case.problems.append(f"took {run.seconds:.0f} s with apply --timeout {apply_timeout:g}")
    elif run.returncode != 1:
        case.problems.append(f"exit {run.returncode}")
    if "Traceback" in run.output:
        case.problems.append("traceback")
    if TOKEN in run.output:
        case.problems.append("the token was printed")
    if not run.killed and not errors:
        case.problems.append("no error line: " + tail(run.stderr))
    return case


def hostile_cases() -> list[tuple[str, str]]:
    return [(m, c) for m in TEMPLATE_MODES for c in ("plan", "apply")] + [
        (m, "apply") for m in JOB_MODES
    ]


def run_hostile(
    extra: tuple[str, ...] = (), echo: Callable[[str], None] = print
) -> list[HostileCase]:
    cases = []
    with tempfile.TemporaryDirectory(prefix="rel-hostile-") as tmp:
        for i, (mode, command) in enumerate(hostile_cases()):
            case = one_hostile(mode, command, Path(tmp) / f"h{i}", extra)
            cases.append(case)
            verdict = "ok" if case.ok else "FAIL: " + "; ".join(case.problems)
            took = f"exit {case.rc} in {case.seconds:.1f} s"
            echo(f"hostile {mode} {command}: {took}, {verdict}: {case.message}")
    return cases
