"""The job worker: validates uploaded files and applies proceeded jobs, row by row, on the
scheduler's thread (never on a request's), resuming unfinished jobs after a restart."""

from __future__ import annotations

import functools
import time

from reconciler.simulator import jobs as jobmod
from reconciler.simulator.records import Job
from reconciler.simulator.scheduler import Scheduler
from reconciler.simulator.tenant import Tenant


class JobWorker:
    """Runs one tenant's bulk jobs: validation ``validation_delay`` seconds after an upload,
    then, once proceeded, one row per ``row_delay`` seconds on average."""

    def __init__(self, tenant: Tenant, *, validation_delay: float, row_delay: float) -> None:
        self.tenant = tenant
        self.validation_delay = validation_delay
        self.row_delay = row_delay
        self.scheduler = Scheduler()

    def start(self) -> None:
        self.scheduler.start()
        with self.tenant.lock:
            for job in self.tenant.jobs.values():  # resume after a restart
                if job.status == "created":
                    self.schedule_validation(job)
                elif job.status == "in_progress":
                    self.scheduler.call_later(0, functools.partial(self.process, job.id))

    def stop(self) -> None:
        self.scheduler.stop()

    def schedule_validation(self, job: Job) -> None:
        version = job.version
        self.scheduler.call_later(self.validation_delay, lambda: self._validate(job.id, version))

    def schedule_processing(self, job: Job, delay: float) -> None:
        self.scheduler.call_later(delay, lambda: self.process(job.id))

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

    def process(self, job_id: int, pace: tuple[float, int] | None = None) -> None:
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
                    self.scheduler.call_later(wait, lambda: self.process(job_id, pace))
                    return
