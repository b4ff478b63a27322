"""The endpoints: bulk users (template, upload, replace, proceed, jobs, errors) and DNC (add,
remove, check). Each answers from the tenant under its lock; the DNC rules are the tenant's
(:meth:`Tenant.dnc_add` and the like), the job work the worker's."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from reconciler.simulator import jobs as jobmod
from reconciler.simulator.faults import FaultInjector
from reconciler.simulator.phone import PhoneError
from reconciler.simulator.records import Job
from reconciler.simulator.responses import Refuse, json_body, json_response, message
from reconciler.simulator.tenant import Tenant
from reconciler.simulator.worker import JobWorker

PREFIX = "/apps/api/v1"


class Endpoints:
    """The ``ep_<name>`` methods the routing table names (mixed into :class:`Simulator`)."""

    tenant: Tenant
    worker: JobWorker
    faults: FaultInjector

    # ------------------------------------------------------------------ helpers
    def _job_link(self, request: Request, job_id: int) -> str:
        return f"{request.host_url.rstrip('/')}{PREFIX}/bulk/users/jobs/{job_id}"

    def _job_answer(self, request: Request, job: Job, status: str) -> Response:
        """The answer of upload, replace-upload and proceed: ``{"id", "status", "link"}``."""
        link = self._job_link(request, job.id)
        return json_response({"id": job.id, "status": status, "link": link})

    def _file_taken(self, job: Job) -> None:
        """A job's file was (re)placed: the change is recorded and the file's validation
        queued (under the tenant lock)."""
        self.tenant.mark_changed()
        self.worker.schedule_validation(job)

    def _get_job(self, job_id: Any) -> Job:
        try:
            jid = int(str(job_id).strip())
        except ValueError:
            raise Refuse(message("Not Found", 404)) from None
        job = self.tenant.jobs.get(jid)
        if job is None:
            raise Refuse(message("Not Found", 404))
        return job

    def _form_id(self, request: Request) -> str:
        value = request.form.get("id")
        if value is None:
            body = json_body(request)
            if isinstance(body, dict) and body.get("id") is not None:
                value = str(body["id"])
        if value is None or not value.strip():
            raise Refuse(message("id is required", 400))
        return value

    def _read_file(self, request: Request) -> tuple[str, Any, bool]:
        f = request.files.get("file")
        if f is None:
            raise Refuse(message("file is required", 400))
        data = f.read()
        try:
            return f.filename or "file.json", json.loads(data.decode("utf-8-sig")), True
        except (ValueError, RecursionError):  # not UTF-8 JSON, or JSON Python cannot hold
            return f.filename or "file.json", None, False

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
            self._file_taken(job)
        return self._job_answer(request, job, "created")

    def ep_replace_upload(self, request: Request) -> Response:
        t = self.tenant
        with t.lock:
            job = self._get_job(self._form_id(request))
            if job.status in ("in_progress", "finished"):
                return message(f"Can't update JSON. job status: {job.status}", 404)
        filename, rows, ok = self._read_file(request)
        with t.lock:
            if job.status in ("in_progress", "finished"):
                return message(f"Can't update JSON. job status: {job.status}", 404)
            job.filename, job.rows, job.raw_ok = filename, rows, ok
            job.status = "created"
            job.scheme_errors = []
            job.version += 1
            job.uploaded_api_user_name = self._api_user()
            self._file_taken(job)
        return self._job_answer(request, job, "created")

    def ep_proceed(self, request: Request) -> Response:
        t = self.tenant
        with t.lock:
            job = self._get_job(self._form_id(request))
            if job.status == "in_progress":
                return message("Update is already in progress.", 400)
            if job.status != "valid_scheme":
                return message(f"This job cannot proceed update. status: {job.status}", 400)
            job.status = "in_progress"
            job.process_requested_at = t.clock.now()
            job.proceed_api_user_name = self._api_user()
            job.resolved = jobmod.resolve_rows(t, job)
            job.processed = 0
            job.renamed_early = []
            t.mark_changed()
            stall = self.faults.stall_for_job()
            self.worker.schedule_processing(job, stall)
        return self._job_answer(request, job, "valid_scheme")

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
        return json_response(body, headers=headers)

    def ep_job(self, request: Request, job_id: str) -> Response:
        with self.tenant.lock:
            return json_response(self._get_job(job_id).to_api())

    def ep_scheme_errors(self, request: Request, job_id: str) -> Response:
        with self.tenant.lock:
            return json_response(list(self._get_job(job_id).scheme_errors))

    def ep_update_errors(self, request: Request, job_id: str) -> Response:
        with self.tenant.lock:
            return json_response(list(self._get_job(job_id).update_errors))

    def _api_user(self) -> str:
        return f"{self.tenant.subdomain}_admin"

    # ------------------------------------------------------------------ DNC
    def ep_dnc_add(self, request: Request) -> Response:
        body = json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("contacts"), list):
            return message("contacts is required", 400)
        return json_response(self.tenant.dnc_add(body["contacts"]))

    def ep_dnc_remove(self, request: Request) -> Response:
        body = json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("phone_numbers"), list):
            return message("phone_numbers is required", 400)
        return json_response(self.tenant.dnc_remove(body["phone_numbers"]))

    def ep_dnc_check(self, request: Request) -> Response:
        raw = request.args.get("phone_number")
        if raw is None or not raw.strip():
            return message("phone_number is required", 400)
        try:
            return json_response(self.tenant.dnc_check(raw))
        except PhoneError as err:
            return message(str(err), 400)


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
        raise Refuse(message(f"{name} must be a positive integer", 400)) from None
    if value < 1:
        raise Refuse(message(f"{name} must be a positive integer", 400))
    return min(value, maximum) if maximum is not None else value


def _newest(job: Job) -> int:
    # Ids grow with every upload; created_at need not (the clock restarts at --now).
    return -job.id
