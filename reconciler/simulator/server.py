"""The request pipeline: a werkzeug WSGI app serving the tenant.

Every request goes through, in order: rate limit (429 before anything else, so refused
requests cost nothing and are not authenticated), injected faults, Basic authentication,
routing, the endpoint (endpoints.py), persistence of any change, the request log. Bulk jobs run
on the job worker (worker.py); runner.py starts a server around this app.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from reconciler.simulator.endpoints import PREFIX, Endpoints
from reconciler.simulator.faults import FaultInjector, FaultSpec
from reconciler.simulator.ratelimit import RateLimiter
from reconciler.simulator.responses import Refuse, message
from reconciler.simulator.tenant import Tenant
from reconciler.simulator.worker import JobWorker

log = logging.getLogger(__name__)

__all__ = ["PREFIX", "URLS", "Simulator"]

URLS = Map(
    [
        Rule(f"{PREFIX}/bulk/users/template", endpoint="template", methods=["GET"]),
        Rule(f"{PREFIX}/bulk/users/upload", endpoint="upload", methods=["POST"]),
        Rule(f"{PREFIX}/bulk/users/upload", endpoint="replace_upload", methods=["PUT"]),
        Rule(f"{PREFIX}/bulk/users/proceed", endpoint="proceed", methods=["POST"]),
        Rule(f"{PREFIX}/bulk/users/jobs", endpoint="jobs", methods=["GET"]),
        Rule(f"{PREFIX}/bulk/users/jobs/<job_id>", endpoint="job", methods=["GET"]),
        Rule(
            f"{PREFIX}/bulk/users/errors/scheme/<job_id>", endpoint="scheme_errors", methods=["GET"]
        ),
        Rule(
            f"{PREFIX}/bulk/users/errors/update/<job_id>", endpoint="update_errors", methods=["GET"]
        ),
        Rule(f"{PREFIX}/outbound_dialer/dnc", endpoint="dnc_add", methods=["POST"]),
        Rule(f"{PREFIX}/outbound_dialer/dnc/remove", endpoint="dnc_remove", methods=["POST"]),
        Rule(f"{PREFIX}/outbound_dialer/dnc/check", endpoint="dnc_check", methods=["GET"]),
    ],
    strict_slashes=False,
    merge_slashes=False,
)


class Simulator(Endpoints):
    """The WSGI application around one :class:`Tenant`: the request pipeline, with the
    endpoints mixed in."""

    def __init__(
        self,
        tenant: Tenant,
        *,
        rate_limit: float = 0.0,
        validation_delay: float = 0.05,
        row_delay: float = 0.0,
        faults: str | None = None,
        fault_seed: int = 0,
        request_log: str | Path | None = None,
    ) -> None:
        self.tenant = tenant
        self.worker = JobWorker(tenant, validation_delay=validation_delay, row_delay=row_delay)
        self.limiter = RateLimiter(rate_limit)
        self.faults = FaultInjector(FaultSpec.parse(faults), fault_seed)
        self._log_lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self._log_file: IO[str] | None = (
            open(request_log, "a", encoding="utf-8") if request_log else None  # noqa: SIM115
        )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.worker.start()

    def close(self) -> None:
        self.worker.stop()
        self.tenant.save_if_dirty()
        with self._log_lock:
            if self._log_file:
                self._log_file.close()
                self._log_file = None

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        wall, t0 = time.time(), time.monotonic()
        request = Request(environ)
        status: int | None
        try:
            response, drop = self._handle(request)
        except Exception:  # never a traceback to the client; a 500 like a real server
            log.exception("simulator: %s %s failed", request.method, request.path)
            response, drop = message("Internal Server Error", 500), None
        status = None if drop is not None else response.status_code
        # Logged before anything reaches the client (also before a drop), so that a client's
        # next request can never be logged ahead of this one.
        self._record(request, wall, time.monotonic() - t0, status)
        if drop is not None:
            self._drop(environ)
            # The status line is written to the shut-down socket, which fails with a broken
            # pipe: werkzeug treats that as a dropped connection and the client gets nothing.
            start_response("500 Connection Dropped", [("Content-Length", "0")])
            return []
        return response(environ, start_response)

    def _drop(self, environ: dict[str, Any]) -> None:
        sock = environ.get("werkzeug.socket")
        if sock is None:
            return
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def _record(self, request: Request, wall: float, duration: float, status: int | None) -> None:
        entry = {
            "time": round(wall, 6),
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "status": status,
            "duration": round(duration, 6),
        }
        with self._log_lock:
            self.requests.append(entry)
            if self._log_file:
                self._log_file.write(json.dumps(entry) + "\n")
                self._log_file.flush()

    def _handle(self, request: Request) -> tuple[Response, str | None]:
        retry = self.limiter.admit()
        if retry is not None:
            return message("Too Many Requests", 429, {"Retry-After": str(retry)}), None
        fault = self.faults.for_request()
        if fault.latency:
            time.sleep(fault.latency)  # simulated network/server latency, not synchronisation
        if fault.kind in ("500", "503"):
            text = "Internal Server Error" if fault.kind == "500" else "Service Unavailable"
            return message(text, int(fault.kind)), None
        if fault.kind == "429":
            return message("Too Many Requests", 429, {"Retry-After": "1"}), None
        if fault.kind == "reset_before":
            return message("", 200), "before"
        auth = request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or not hmac.compare_digest(
                str(auth.username or "").encode(), self.tenant.subdomain.encode()
            )
            or not hmac.compare_digest(
                str(auth.password or "").encode(), self.tenant.token.encode()
            )
        ):
            return (
                message("Unauthorized", 401, {"WWW-Authenticate": 'Basic realm="CCAI Platform"'}),
                None,
            )
        adapter = URLS.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
            response = getattr(self, f"ep_{endpoint}")(request, **args)
        except Refuse as r:
            response = r.response
        except MethodNotAllowed:
            response = message("Method Not Allowed", 405)
        except NotFound:
            response = message("Not Found", 404)
        except HTTPException as err:
            response = message(err.name, err.code or 400)
        self.tenant.save_if_dirty()
        if fault.kind == "reset_after":
            return response, "after"
        return response, None
