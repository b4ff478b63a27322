"""The HTTP side: a werkzeug WSGI app serving the tenant, and the in-process runner.

Every request goes through, in order: rate limit (429 before anything else, so refused
requests cost nothing and are not authenticated), injected faults, Basic authentication,
routing, the endpoint, persistence of any change, the request log.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from reconciler.simulator import jobs as jobmod
from reconciler.simulator.clock import Clock, dnc_time, parse_instant
from reconciler.simulator.faults import FaultInjector, FaultSpec
from reconciler.simulator.phone import PhoneError, normalize
from reconciler.simulator.ratelimit import RateLimiter
from reconciler.simulator.scheduler import Scheduler
from reconciler.simulator.tenant import (
    DncEntry,
    Job,
    Tenant,
    default_seed,
    load_json_file,
)

log = logging.getLogger(__name__)

PREFIX = "/apps/api/v1"

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


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, mimetype="application/json", headers=headers or {}
    )


def _json_body(request: Request) -> Any:
    """The request's JSON body, or None when it is not JSON (also a body nested deeper than
    the parser can follow: a client error, never a 500)."""
    try:
        return request.get_json(silent=True, force=True)
    except RecursionError:
        return None


def _message(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return _json({"message": message}, status, headers)


class _Refuse(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (the simulator keeps its own request log)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            super().log(type, message, *args)


class Simulator:
    """The WSGI application around one :class:`Tenant`."""

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
        self.validation_delay = validation_delay
        self.row_delay = row_delay
        self.limiter = RateLimiter(rate_limit)
        self.faults = FaultInjector(FaultSpec.parse(faults), fault_seed)
        self.scheduler = Scheduler()
        self._log_lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self._log_file: IO[str] | None = (
            open(request_log, "a", encoding="utf-8") if request_log else None  # noqa: SIM115
        )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.scheduler.start()
        with self.tenant.lock:
            for job in self.tenant.jobs.values():  # resume after a restart
                if job.status == "created":
                    self._schedule_validation(job)
                elif job.status == "in_progress":
                    self.scheduler.call_later(0, functools.partial(self._process, job.id))

    def close(self) -> None:
        self.scheduler.stop()
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
            response, drop = _message("Internal Server Error", 500), None
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
            return _message("Too Many Requests", 429, {"Retry-After": str(retry)}), None
        fault = self.faults.for_request()
        if fault.latency:
            time.sleep(fault.latency)  # simulated network/server latency, not synchronisation
        if fault.kind in ("500", "503"):
            text = "Internal Server Error" if fault.kind == "500" else "Service Unavailable"
            return _message(text, int(fault.kind)), None
        if fault.kind == "429":
            return _message("Too Many Requests", 429, {"Retry-After": "1"}), None
        if fault.kind == "reset_before":
            return _message("", 200), "before"
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
                _message("Unauthorized", 401, {"WWW-Authenticate": 'Basic realm="CCAI Platform"'}),
                None,
            )
        adapter = URLS.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
            response = getattr(self, f"ep_{endpoint}")(request, **args)
        except _Refuse as r:
            response = r.response
        except MethodNotAllowed:
            response = _message("Method Not Allowed", 405)
        except NotFound:
            response = _message("Not Found", 404)
        except HTTPException as err:
            response = _message(err.name, err.code or 400)
        self.tenant.save_if_dirty()
        if fault.kind == "reset_after":
            return response, "after"
        return response, None

    # ------------------------------------------------------------------ helpers
    def _job_link(self, request: Request, job_id: int) -> str:
        return f"{request.host_url.rstrip('/')}{PREFIX}/bulk/users/jobs/{job_id}"

    def _get_job(self, job_id: Any) -> Job:
        try:
            jid = int(str(job_id).strip())
        except ValueError:
            raise _Refuse(_message("Not Found", 404)) from None
        job = self.tenant.jobs.get(jid)
        if job is None:
            raise _Refuse(_message("Not Found", 404))
        return job

    def _form_id(self, request: Request) -> str:
        value = request.form.get("id")
        if value is None:
            body = _json_body(request)
            if isinstance(body, dict) and body.get("id") is not None:
                value = str(body["id"])
        if value is None or not value.strip():
            raise _Refuse(_message("id is required", 400))
        return value

    def _read_file(self, request: Request) -> tuple[str, Any, bool]:
        f = request.files.get("file")
        if f is None:
            raise _Refuse(_message("file is required", 400))
        data = f.read()
        try:
            return f.filename or "file.json", json.loads(data.decode("utf-8-sig")), True
        except (ValueError, RecursionError):  # not UTF-8 JSON, or JSON Python cannot hold
            return f.filename or "file.json", None, False

    def _schedule_validation(self, job: Job) -> None:
        version = job.version
        self.scheduler.call_later(self.validation_delay, lambda: self._validate(job.id, version))

    def _validate(self, job_id: int, version: int) -> None:
        t = self.tenant
        with t.lock:
            job = t.jobs.get(job_id)
            if job is None or job.status != "created" or job.version != version:
                return
            job.scheme_errors = jobmod.validate_file(t, job.rows, job.raw_ok)
            job.status = "invalid_scheme" if job.scheme_errors else "valid_scheme"
            t.mark_changed()
            t.save_if_dirty()

    def _process(self, job_id: int, pace: tuple[float, int] | None = None) -> None:
        """Apply the job's rows, one per ``row_delay`` on average: each run applies the rows
        that are due (catching up after a late wake-up), each under the lock on its own."""
        t = self.tenant
        if pace is None:
            with t.lock:
                job = t.jobs.get(job_id)
                pace = (time.monotonic(), job.processed if job else 0)
        started, first_row = pace
        while True:
            with t.lock:
                job = t.jobs.get(job_id)
                if job is None or job.status != "in_progress":
                    return
                if job.processed < job.total_rows:
                    jobmod.apply_row(t, job, job.processed)
                    job.processed += 1
                    job.affected_rows = job.processed
                if job.processed >= job.total_rows:
                    job.status = "finished"
                    t.mark_changed()
                    t.save_if_dirty()
                    return
                t.mark_changed()
                next_row = job.processed
            if self.row_delay > 0:
                due = started + (next_row - first_row + 1) * self.row_delay
                wait = due - time.monotonic()
                if wait > 0:
                    self.scheduler.call_later(wait, lambda: self._process(job_id, pace))
                    return

    # ------------------------------------------------------------------ bulk users
    def ep_template(self, request: Request) -> Response:
        t = self.tenant
        with t.lock:  # copy under the lock, encode outside it
            roles, teams = list(t.roles), list(t.teams)
            users = [
                (
                    {
                        "email": u.email,
                        "new_email": "",
                        "agent_number": u.agent_number,
                        "first_name": u.first_name,
                        "last_name": u.last_name,
                        "status": u.status,
                        "location": u.location or "",
                        "max_chat_limit": "" if u.max_chat_limit is None else str(u.max_chat_limit),
                        "max_chat_limit_enabled": "1" if u.max_chat_limit_enabled else "0",
                    },
                    frozenset(u.roles),
                    frozenset(u.teams),
                )
                for u in t.users.values()
            ]
        # Every user lists every role and team; users share few membership combinations, so
        # their JSON is encoded once per combination (a 50,000-user template in about a second).
        fragments: dict[tuple[frozenset[str], frozenset[str]], str] = {}
        parts = []
        for scalars, has_roles, has_teams in users:
            key = (has_roles, has_teams)
            frag = fragments.get(key)
            if frag is None:
                frag = json.dumps(
                    {
                        "roles": [{"name": r, "value": int(r in has_roles)} for r in roles],
                        "teams": [{"name": x, "value": int(x in has_teams)} for x in teams],
                    }
                )[1:]
                fragments[key] = frag
            parts.append(json.dumps(scalars)[:-1] + ", " + frag)
        return Response("[" + ", ".join(parts) + "]", status=200, mimetype="application/json")

    def ep_upload(self, request: Request) -> Response:
        filename, rows, ok = self._read_file(request)
        t = self.tenant
        with t.lock:
            job = Job(
                id=t.next_job_id,
                created_at=t.clock.now(),
                filename=filename,
                rows=rows,
                raw_ok=ok,
                uploaded_api_user_name=self._api_user(),
            )
            t.next_job_id += 1
            t.jobs[job.id] = job
            t.mark_changed()
            self._schedule_validation(job)
        return _json({"id": job.id, "status": "created", "link": self._job_link(request, job.id)})

    def ep_replace_upload(self, request: Request) -> Response:
        t = self.tenant
        with t.lock:
            job = self._get_job(self._form_id(request))
            if job.status in ("in_progress", "finished"):
                return _message(f"Can't update JSON. job status: {job.status}", 404)
        filename, rows, ok = self._read_file(request)
        with t.lock:
            if job.status in ("in_progress", "finished"):
                return _message(f"Can't update JSON. job status: {job.status}", 404)
            job.filename, job.rows, job.raw_ok = filename, rows, ok
            job.status = "created"
            job.scheme_errors = []
            job.version += 1
            job.uploaded_api_user_name = self._api_user()
            t.mark_changed()
            self._schedule_validation(job)
        return _json({"id": job.id, "status": "created", "link": self._job_link(request, job.id)})

    def ep_proceed(self, request: Request) -> Response:
        t = self.tenant
        with t.lock:
            job = self._get_job(self._form_id(request))
            if job.status == "in_progress":
                return _message("Update is already in progress.", 400)
            if job.status != "valid_scheme":
                return _message(f"This job cannot proceed update. status: {job.status}", 400)
            job.status = "in_progress"
            job.process_requested_at = t.clock.now()
            job.proceed_api_user_name = self._api_user()
            job.resolved = jobmod.resolve_rows(t, job)
            job.processed = 0
            job.renamed_early = []
            t.mark_changed()
            stall = self.faults.stall_for_job()
            self.scheduler.call_later(stall, lambda: self._process(job.id))
        return _json(
            {"id": job.id, "status": "valid_scheme", "link": self._job_link(request, job.id)}
        )

    def ep_jobs(self, request: Request) -> Response:
        """The job list, newest first, paged like the vendor's other lists: ``page``
        (1-based) and ``per_page`` (default 20, at most 100), with ``Link`` (next/prev/first/
        last, absolute URLs), ``Total`` and ``Per-Page`` headers (docs/api-assumptions.md)."""
        page = _page_param(request, "page", 1, None)
        per_page = _page_param(request, "per_page", JOBS_PER_PAGE, JOBS_MAX_PER_PAGE)
        with self.tenant.lock:
            listed = sorted(self.tenant.jobs.values(), key=_newest)
            total = len(listed)
            body = [j.to_api() for j in listed[(page - 1) * per_page : page * per_page]]
        last = max(1, -(-total // per_page))
        base = f"{request.host_url.rstrip('/')}{request.path}"

        def link(n: int, rel: str) -> str:
            return f'<{base}?{urlencode({"page": n, "per_page": per_page})}>; rel="{rel}"'

        links = [link(page + 1, "next")] if page < last else []
        if page > 1:
            links.append(link(min(page - 1, last), "prev"))
        links += [link(1, "first"), link(last, "last")]
        headers = {"Link": ", ".join(links), "Total": str(total), "Per-Page": str(per_page)}
        return _json(body, headers=headers)

    def ep_job(self, request: Request, job_id: str) -> Response:
        with self.tenant.lock:
            return _json(self._get_job(job_id).to_api())

    def ep_scheme_errors(self, request: Request, job_id: str) -> Response:
        with self.tenant.lock:
            return _json(list(self._get_job(job_id).scheme_errors))

    def ep_update_errors(self, request: Request, job_id: str) -> Response:
        with self.tenant.lock:
            return _json(list(self._get_job(job_id).update_errors))

    def _api_user(self) -> str:
        return f"{self.tenant.subdomain}_admin"

    # ------------------------------------------------------------------ DNC
    def ep_dnc_add(self, request: Request) -> Response:
        body = _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("contacts"), list):
            return _message("contacts is required", 400)
        t = self.tenant
        results: list[dict[str, Any]] = []
        with t.lock:
            now = t.clock.now()
            for contact in body["contacts"]:
                if not isinstance(contact, dict):
                    results.append(
                        {
                            "phone_number": contact,
                            "error": "phone_number is invalid",
                            "status": "failed",
                        }
                    )
                    continue
                raw = contact.get("phone_number")
                result: dict[str, Any] = {"phone_number": raw}
                if "expires_at" in contact:
                    result["expires_at"] = contact["expires_at"]
                error, number, expires = None, "", None
                try:
                    number = normalize(raw)
                except PhoneError as err:
                    error = str(err)
                if error is None and contact.get("expires_at") is not None:
                    try:
                        expires = parse_instant(str(contact["expires_at"]))
                    except ValueError:
                        error = "expires_at is invalid"
                    else:
                        if expires <= now:
                            error = "expires_at cannot be past date/time"
                if error is not None:
                    result["error"] = error
                    result["status"] = "failed"
                elif number in t.dnc:
                    t.dnc[number].expires_at = expires
                    result["status"] = "updated"
                else:
                    t.dnc[number] = DncEntry(number, str(raw), expires)
                    result["status"] = "created"
                results.append(result)
            t.mark_changed()
        return _json(results)

    def ep_dnc_remove(self, request: Request) -> Response:
        body = _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("phone_numbers"), list):
            return _message("phone_numbers is required", 400)
        t = self.tenant
        results: list[dict[str, Any]] = []
        with t.lock:
            for raw in body["phone_numbers"]:
                try:
                    number = normalize(raw)
                except PhoneError as err:
                    results.append({"phone_number": raw, "status": "failed", "error": str(err)})
                    continue
                if t.dnc.pop(number, None) is not None:
                    results.append({"phone_number": raw, "status": "removed"})
                else:
                    results.append({"phone_number": raw, "status": "not_found"})
            t.mark_changed()
        return _json(results)

    def ep_dnc_check(self, request: Request) -> Response:
        raw = request.args.get("phone_number")
        if raw is None or not raw.strip():
            return _message("phone_number is required", 400)
        try:
            number = normalize(raw)
        except PhoneError as err:
            return _message(str(err), 400)
        t = self.tenant
        with t.lock:
            entry = t.dnc.get(number)
            if entry is None:
                return _json({"phone_number": raw, "expired_at": None, "do_not_call": False})
            active = entry.expires_at is None or entry.expires_at > t.clock.now()
            return _json(
                {
                    "phone_number": raw,
                    "expired_at": dnc_time(entry.expires_at),
                    "do_not_call": active,
                }
            )


JOBS_PER_PAGE = 20
JOBS_MAX_PER_PAGE = 100


def _page_param(request: Request, name: str, default: int, maximum: int | None) -> int:
    """A paging parameter: a positive integer (capped at ``maximum``), else 400."""
    text = request.args.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = int(text.strip())
    except ValueError:
        raise _Refuse(_message(f"{name} must be a positive integer", 400)) from None
    if value < 1:
        raise _Refuse(_message(f"{name} must be a positive integer", 400))
    return min(value, maximum) if maximum is not None else value


def _newest(job: Job) -> int:
    # Ids grow with every upload; created_at need not (the clock restarts at --now).
    return -job.id


# ---------------------------------------------------------------------- running it
@dataclass
class SimulatorHandle:
    """A running simulator: where it is and what it holds."""

    base_url: str
    subdomain: str
    token: str = field(repr=False)
    tenant: Tenant
    host: str
    port: int
    app: Simulator = field(repr=False)
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request log so far (a copy), oldest first."""
        with self.app._log_lock:
            return [dict(r) for r in self.app.requests]

    @property
    def auth(self) -> tuple[str, str]:
        return (self.subdomain, self.token)

    @property
    def clock(self) -> Clock:
        return self.tenant.clock

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()
        self.app.close()


def build_tenant(
    seed: dict[str, Any] | str | Path | None = None,
    *,
    subdomain: str | None = None,
    token: str | None = None,
    now: datetime | None = None,
    state_file: str | Path | None = None,
) -> Tenant:
    """The tenant to serve: the state file when it exists, else the seed, else the default."""
    clock = Clock(now)
    if state_file is not None and Path(state_file).exists():
        tenant = Tenant.from_seed(load_json_file(state_file), clock=clock, source=str(state_file))
    elif isinstance(seed, (str, Path)):
        tenant = Tenant.from_seed(load_json_file(seed), clock=clock, source=str(seed))
    else:
        tenant = Tenant.from_seed(seed if seed is not None else default_seed(), clock=clock)
    if subdomain:
        tenant.subdomain = subdomain
    if token:
        tenant.token = token
    if state_file is not None:
        tenant.state_file = Path(state_file)
        with tenant.lock:
            tenant.mark_changed()
        tenant.save_if_dirty()
    return tenant


def start_simulator(
    seed: dict[str, Any] | str | Path | None = None,
    *,
    subdomain: str | None = None,
    token: str | None = None,
    rate_limit: float = 0.0,
    validation_delay: float = 0.05,
    row_delay: float = 0.0,
    now: datetime | None = None,
    faults: str | None = None,
    fault_seed: int = 0,
    state_file: str | Path | None = None,
    request_log: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> SimulatorHandle:
    """Start serving on a background thread; call ``handle.stop()`` when done."""
    tenant = build_tenant(seed, subdomain=subdomain, token=token, now=now, state_file=state_file)
    app = Simulator(
        tenant,
        rate_limit=rate_limit,
        validation_delay=validation_delay,
        row_delay=row_delay,
        faults=faults,
        fault_seed=fault_seed,
        request_log=request_log,
    )
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    app.start()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    return SimulatorHandle(
        base_url=f"http://{shown}:{server.port}{PREFIX}",
        subdomain=tenant.subdomain,
        token=tenant.token,
        tenant=tenant,
        host=host,
        port=server.port,
        app=app,
        _server=server,
        _thread=thread,
    )


@contextmanager
def run_simulator(
    seed: dict[str, Any] | str | Path | None = None, **kwargs: Any
) -> Iterator[SimulatorHandle]:
    """Serve a tenant on a free loopback port for the duration of the ``with`` block."""
    handle = start_simulator(seed, **kwargs)
    try:
        yield handle
    finally:
        handle.stop()
