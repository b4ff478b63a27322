"""``ccai-reconciler jobs``: the tenant's recent bulk-user jobs, and one job's errors.

``jobs`` lists the newest jobs in one call (the job list is paged: ``per_page`` is the
``--limit``, up to the vendor's 100 a page) and marks the jobs this tool made: their file name
is ``ccai-reconciler-<first 12 hex digits of the plan hash>.json``. The full plan hash and the
git commit of the config come from apply reports (``--report``), which record both.

``jobs show ID`` prints the job's scheme and update errors; with the rows of the job (the apply
report's ``--report``, whose users are in job-row order, or the saved plan's ``--plan``) and the
config (``-c``) each error is mapped back to the YAML line with apply's own mapping.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import click

from reconciler.apply import FILENAME_PREFIX, UserRow, _map_error, user_row
from reconciler.commands._options import (
    FILE,
    connection_options,
    format_option,
    number_option,
    open_client,
    path_option,
)
from reconciler.config import load_config
from reconciler.errors import ReconcilerError
from reconciler.plan import Plan
from reconciler.platform import NotFoundError, PlatformClient
from reconciler.platform import models as m
from reconciler.report import ApplyReport, UserResult

MAX_PER_PAGE = 100  # the vendor's largest page


class JobsError(ReconcilerError):
    """A problem with the jobs command's own input (a report file, the options)."""


def plan_prefix(filename: str | None) -> str | None:
    """The plan-hash prefix a job file name of this tool carries, or None for other jobs."""
    if not filename or not filename.startswith(FILENAME_PREFIX) or not filename.endswith(".json"):
        return None
    prefix = filename[len(FILENAME_PREFIX) : -len(".json")]
    return prefix if prefix and all(c in "0123456789abcdef" for c in prefix) else None


def read_report(path: Path) -> ApplyReport:
    try:
        return ApplyReport.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise JobsError(f"cannot read the apply report {path}: {err.strerror or err}") from None
    except ValueError:
        raise JobsError(f"{path} is not an apply report (apply --report writes one)") from None


def _origin(job: m.Job, reports: Sequence[ApplyReport]) -> dict[str, Any]:
    prefix = plan_prefix(job.filename)
    origin: dict[str, Any] = {"mine": prefix is not None, "plan_hash": prefix, "commit": None}
    for report in reports:
        same_id = report.job_id == job.id
        same_file = report.job_id is None and report.job_filename == job.filename
        if prefix is not None and (same_id or same_file):
            origin["plan_hash"] = report.plan_hash or prefix
            origin["commit"] = report.config_commit
    return origin


def _when(job: m.Job) -> str:
    return job.created_at.strftime("%Y-%m-%d %H:%M:%SZ") if job.created_at else "-"


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)


def _listing(jobs: Sequence[m.Job], reports: Sequence[ApplyReport]) -> list[dict[str, Any]]:
    return [
        {
            "id": j.id,
            "created_at": j.created_at.isoformat() if j.created_at else None,
            "filename": j.filename,
            "status": str(j.status),
            "total_rows": j.total_rows,
            "failed_rows": j.failed_rows,
            **_origin(j, reports),
        }
        for j in jobs
    ]


def _print_listing(items: Sequence[dict[str, Any]], jobs: Sequence[m.Job]) -> None:
    if not items:
        click.echo("No bulk jobs.")
        return
    header = ("", "ID", "CREATED (UTC)", "STATUS", "ROWS", "FAILED", "FILE", "PLAN", "COMMIT")
    table = [header]
    for item, job in zip(items, jobs, strict=True):
        table.append(
            (
                "*" if item["mine"] else "",
                str(item["id"]),
                _when(job),
                item["status"],
                _num(item["total_rows"]),
                _num(item["failed_rows"]),
                item["filename"] or "-",
                (item["plan_hash"] or "")[:12],
                (item["commit"] or "")[:12],
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    click.echo("* made by ccai-reconciler (PLAN: the plan hash; COMMIT: from --report)")


JSON_OR_TEXT = format_option("text", "json", help="Output format.")


@click.group("jobs", invoke_without_command=True)
@number_option(
    "--limit",
    kind=click.IntRange(min=1),
    default=20,
    help="How many of the newest jobs to list (one call up to 100).",
)
@click.option(
    "--report",
    "reports",
    multiple=True,
    type=FILE,
    help="An apply report (apply --report) whose job gets its plan hash and git commit "
    "(repeatable).",
)
@JSON_OR_TEXT
@connection_options
@click.pass_context
def command(
    ctx: click.Context, limit: int, reports: tuple[Path, ...], fmt: str, **conn: Any
) -> None:
    """List the tenant's newest bulk-user jobs (one API call): id, time, file name, status,
    rows, failed rows; marks the jobs this tool made with their plan hash (and git commit,
    from --report). `jobs show ID` prints one job's errors."""
    if ctx.invoked_subcommand is not None:
        return
    loaded = [read_report(p) for p in reports]
    jobs: list[m.Job] = []
    with open_client(None, **conn) as client:
        page = 1
        while len(jobs) < limit:
            batch = client.job_page(page, min(limit, MAX_PER_PAGE))
            fresh = [j for j in batch if j.id not in {k.id for k in jobs}]
            jobs += fresh
            if len(batch) < min(limit, MAX_PER_PAGE) or not fresh:
                break
            page += 1
    jobs = sorted(jobs, key=lambda j: -j.id)[:limit]
    items = _listing(jobs, loaded)
    if fmt == "json":
        click.echo(json.dumps(items, indent=2))
    else:
        _print_listing(items, jobs)


def _rows_of(report: ApplyReport | None, plan: Plan | None, config: Sequence[str]) -> list[UserRow]:
    """The job's rows with their YAML locations: the saved plan's own, else the report's users
    (in job-row order) located in the config."""
    if plan is not None:
        return [user_row(c) for c in plan.user_changes]
    if report is None:
        return []
    users = load_config(list(config)).state.users if config else {}
    rows = []
    for u in report.users:
        desired = users.get(u.email.lower())
        rows.append(
            UserRow(
                row={},
                email=u.email,
                action=u.action,
                loc=desired.loc if desired else None,
                field_locs=dict(desired.field_locs) if desired else {},
                membership_locs=dict(desired.membership_locs) if desired else {},
            )
        )
    return rows


def _job_or_explain(client: PlatformClient, job_id: int) -> m.Job:
    """The job, or a message that says the id is not one of the tenant's jobs (the server's
    own 404 answer: a wrong base URL has no such answer and keeps its own message)."""
    try:
        return client.job(job_id)
    except NotFoundError as err:
        if err.server_message is None:
            raise
        raise JobsError(
            f"job {job_id} does not exist in tenant {client.subdomain} ({err.method} {err.path}, "
            "HTTP 404); `ccai-reconciler jobs` lists the newest jobs"
        ) from None


def _raw_line(err: m.SchemeError | m.UpdateError, severity: str) -> str:
    where = []
    if err.row is not None:
        where.append(f"job row {err.row}")
    if err.column is not None:
        where.append(f"column {err.column}")
    suffix = f" ({', '.join(where)})" if where else ""
    return f"{severity}: {err.message}{suffix}"


@command.command("show")
@click.argument("job_id", type=click.IntRange(min=1), metavar="ID")
@click.option(
    "-c",
    "--config",
    "config",
    multiple=True,
    type=click.Path(path_type=str),
    help="Config file or directory (repeatable): maps the errors to YAML lines (with --report).",
)
@path_option(
    "--report", "report_path", help="The apply report of this job: its users are the job's rows."
)
@path_option(
    "--plan",
    "plan_path",
    help="The saved plan (plan --out) this job applied: its rows and YAML locations.",
)
@JSON_OR_TEXT
@connection_options
def show(
    job_id: int,
    config: tuple[str, ...],
    report_path: Path | None,
    plan_path: Path | None,
    fmt: str,
    **conn: Any,
) -> None:
    """Print one job, its scheme errors and its update errors, mapped to YAML lines when the
    job's rows are known (--plan, or --report with -c)."""
    if config and report_path is None and plan_path is None:
        raise JobsError(
            "-c needs the job's rows: give --report (the apply report of the job) or --plan "
            "(the saved plan it applied); the tenant does not keep which user a row was"
        )
    report = read_report(report_path) if report_path is not None else None
    plan = Plan.load(plan_path) if plan_path is not None else None
    rows = _rows_of(report, plan, config)
    tenant = load_config(list(config)).state.tenant if config else None
    with open_client(tenant, **conn) as client:
        job = _job_or_explain(client, job_id)
        scheme = client.scheme_errors(job_id) if job.status == m.JobStatus.INVALID_SCHEME else []
        listed = job.update_errors or (job.failed_rows or 0) > 0
        update = client.update_errors(job_id) if job.accepted and listed else []
    mapped = ApplyReport(
        users=[UserResult(row=i + 1, email=r.email, action=r.action) for i, r in enumerate(rows)]
    )
    errors: list[tuple[m.SchemeError | m.UpdateError, Literal["error", "warning"]]] = [
        (e, "error") for e in scheme
    ]
    errors += [(e, "warning" if e.error_type == m.ErrorType.WARNING else "error") for e in update]
    lines = []
    for err, severity in errors:
        if rows:
            _map_error(err, rows, mapped, severity)
            lines.append(str(mapped.diagnostics[-1]))
        else:
            lines.append(_raw_line(err, severity))
    origin = _origin(job, [report] if report else [])
    if fmt == "json":
        out = {**_listing([job], [report] if report else [])[0], "errors": lines}
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(
        f"job {job.id} ({job.filename or '-'}): {job.status}, {_num(job.total_rows)} rows, "
        f"{_num(job.failed_rows)} failed, created {_when(job)}"
    )
    if origin["mine"]:
        commit = f", commit {origin['commit']}" if origin["commit"] else ""
        click.echo(f"made by ccai-reconciler: plan {origin['plan_hash']}{commit}")
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("No scheme or update errors.")
