"""``ccai-reconciler apply``: converge the tenant to the config (or to a saved plan).

Thin on purpose: parse options, make or load the plan, render it, check safety, confirm, call
:func:`reconciler.apply.apply_plan`, print the report, exit code. See docs/apply.md.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from reconciler import tenants
from reconciler.apply import (
    DEFAULT_DNC_BATCH_SIZE,
    DEFAULT_TIMEOUT,
    ApplyOptions,
    ApplyRefused,
    Journal,
    StalePlanError,
    apply_plan,
    enforce_safety,
    outcome_of,
    record_error,
    wait_for_view,
)
from reconciler.commands._options import (
    POSITIVE,
    connection_options,
    flag_only_base_url,
    flag_option,
    load_selected,
    number_option,
    open_client,
    path_option,
    planning_options,
    tenant_option,
)
from reconciler.commands.plan import plan_against, use_color
from reconciler.errors import ApplyError, ReconcilerError
from reconciler.pipeline import PlanRequest
from reconciler.plan import Plan
from reconciler.render import render_text
from reconciler.render.jobprogress import JobProgress
from reconciler.report import ApplyReport
from reconciler.state import Tenant

MAX_PLANS = 4  # the first plan and at most 3 re-plans after a stale view


def _render(plan: Plan) -> None:
    """Show the plan on stdout, exactly as ``plan`` does."""
    render_text(plan, sys.stdout, color=use_color(sys.stdout))


def _print_report(report: ApplyReport) -> None:
    for diag in report.diagnostics:
        click.echo(str(diag), err=True)
    if report.job_id is not None:
        click.echo(f"job {report.job_id} ({report.job_filename})")
    click.echo(report.summary())


def _write_report(report: ApplyReport | None, path: Path | None) -> None:
    if report is None or path is None:
        return
    try:
        path.write_text(report.to_json(), encoding="utf-8")
    except OSError as err:
        raise ApplyError(f"cannot write the report {path}: {err.strerror or err}") from None


@click.command("apply")
@click.argument("plan_file", required=False, type=click.Path(path_type=Path))
@planning_options(" Not with PLAN_FILE.")
@tenant_option
@click.option("--all-tenants", is_flag=True, hidden=True)  # refused: one tenant per apply
@connection_options
@flag_option("--auto-approve", help="Apply without asking (needed without a TTY).")
@flag_option(
    "--allow-mass-changes",
    help="Apply even if a destructive-change guard refuses: it overrides every one "
    "(deactivations, role/team membership removals, field clears, DNC removals).",
)
@flag_option("--allow-no-admin", help="Apply even if no active user keeps the Admin role.")
@number_option(
    "--timeout",
    kind=POSITIVE,
    default=DEFAULT_TIMEOUT,
    help="Seconds to wait for bulk jobs (before planning, then for ours); a re-run resumes.",
)
@number_option(
    "--dnc-batch-size",
    kind=click.IntRange(min=1),
    default=DEFAULT_DNC_BATCH_SIZE,
    help="DNC numbers per add/remove call.",
)
@flag_option(
    "--reassert-dnc",
    help="Re-send every declared present, unexpired DNC number (idempotent upsert).",
)
@path_option("--report", "report_path", help="Write the JSON audit report to this file.")
@number_option(
    "--poll-interval",
    kind=POSITIVE,
    default=1.0,
    envvar="CCAI_POLL_INTERVAL",
    hidden=True,
    help="First job poll delay in seconds (doubles up to 10 s; env CCAI_POLL_INTERVAL); for "
    "tests and demos.",
)
def command(
    plan_file: Path | None,
    config: tuple[str, ...],
    base_ref: str | None,
    refresh: str,
    refresh_budget: int | None,
    refresh_slot: int | None,
    auto_approve: bool,
    allow_mass_changes: bool,
    allow_no_admin: bool,
    timeout: float,
    dnc_batch_size: int,
    reassert_dnc: bool,
    report_path: Path | None,
    poll_interval: float,
    tenant_name: str | None,
    all_tenants: bool,
    **conn: Any,
) -> None:
    """Change the tenant to match the config, or apply a saved PLAN_FILE (from plan --out).

    With a config, the plan is shown and confirmed on a terminal; without a terminal, pass
    --auto-approve. A saved plan applies without asking, once, and only if the tenant has not
    changed since it was made.
    """
    if plan_file is not None and config:
        raise click.UsageError("give either PLAN_FILE or -c CONFIG, not both")
    if all_tenants:
        raise click.UsageError(
            "apply changes exactly one tenant per invocation: use --tenant NAME "
            "(plan --all-tenants shows every tenant)"
        )
    if tenant_name is not None:
        conn = {**flag_only_base_url(conn), "tenant_name": tenant_name}
    if plan_file is not None and (
        plan_file.is_dir() or plan_file.suffix.lower() in (".yaml", ".yml")
    ):
        what = "a directory" if plan_file.is_dir() else "a YAML config"
        raise click.UsageError(
            f"{plan_file} is {what}, not a saved plan: did you mean `apply -c {plan_file}`?"
        )
    if report_path is not None:
        _check_report_path(report_path)  # before any change: the audit report must not be lost
    options = ApplyOptions(
        timeout=timeout,
        dnc_batch_size=dnc_batch_size,
        reassert_dnc=reassert_dnc,
        allow_mass_changes=allow_mass_changes,
        allow_no_admin=allow_no_admin,
        progress=JobProgress(),
        poll_initial=poll_interval,
        poll_max=max(10.0, poll_interval),
    )
    run = _Run()
    report: ApplyReport | None = None
    # SIGTERM (a CI cancel) ends the run like Ctrl-C. Only the main thread can handle signals.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main else None
    try:
        if plan_file is not None:
            report = _apply_saved(plan_file, options, conn, run)
        else:
            request = PlanRequest.from_options(base_ref, refresh, refresh_budget, refresh_slot)
            paths = list(config) or ["."]
            report = _apply_config(paths, request, options, auto_approve, conn, run, tenant_name)
    except (ReconcilerError, KeyboardInterrupt, click.Abort) as err:
        # Ctrl-C, SIGTERM (CI cancel), a refusal or an error: the audit trail is kept.
        _write_report(_report_for(err, run), report_path)
        if isinstance(err, KeyboardInterrupt):
            terminated = isinstance(err, Terminated)
            click.echo(
                f"interrupted{' (SIGTERM)' if terminated else ''}; a re-run resumes where this "
                "one stopped",
                err=True,
            )
            sys.exit(143 if terminated else 130)
        raise
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
    _write_report(report, report_path)
    if report is not None and not (report.outcome == "no_changes" and report.job_id is None):
        _print_report(report)
    sys.exit(report.exit_code if report is not None else 0)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so that it ends like Ctrl-C (exit 143)."""


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated()


class _Run:
    """What the command knows so far, for the report of a run that ends early."""

    plan: Plan | None = None


def _report_for(err: BaseException, run: _Run) -> ApplyReport:
    report = getattr(err, "report", None)
    if isinstance(report, ApplyReport):
        return report
    plan = run.plan
    report = ApplyReport(
        plan_hash=plan.hash if plan else None,
        config_commit=plan.config_commit if plan else None,
        outcome="refused"
        if isinstance(err, ApplyRefused | click.Abort)
        else outcome_of(err, sent=False),
    )
    if isinstance(err, ReconcilerError):
        record_error(report, err)
    elif isinstance(err, click.Abort):
        report.add_diagnostic("not confirmed: nothing was applied", None, "error")
    report.finished_at = datetime.now(UTC)
    return report


def _check_report_path(path: Path) -> None:
    parent = path.parent
    if not parent.is_dir():
        raise ApplyError(f"cannot write the report {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ApplyError(f"cannot write the report {path}: permission denied")


def _apply_saved(
    plan_file: Path, options: ApplyOptions, conn: dict[str, Any], run: _Run
) -> ApplyReport:
    plan = Plan.load(plan_file)
    run.plan = plan
    _render(plan)
    enforce_safety(plan, options)
    options.saved_plan = True
    created = plan.created_at.isoformat() if plan.created_at else None
    options.journal = Journal.for_plan(plan_file, plan.hash, created)
    if plan.is_empty and not options.reassert_dnc:
        return ApplyReport(plan_hash=plan.hash, config_commit=plan.config_commit)
    # The plan names its tenant: that is the subdomain unless the environment names one.
    with open_client(Tenant(subdomain=plan.tenant), **conn) as client:
        subdomain = getattr(client, "subdomain", None)
        if plan.tenant and subdomain and plan.tenant != subdomain:
            raise ApplyRefused(
                f"{plan_file} was made for tenant {plan.tenant!r}, not {subdomain!r}; "
                "run plan against this tenant"
            )
        return apply_plan(plan, client, options=options)


def _apply_config(
    paths: list[str],
    request: PlanRequest,
    options: ApplyOptions,
    auto_approve: bool,
    conn: dict[str, Any],
    run: _Run,
    tenant_name: str | None = None,
) -> ApplyReport | None:
    interactive = sys.stdin.isatty()  # the question goes to stderr
    now = datetime.now(UTC)
    loaded, selected = load_selected(paths, tenant_name, command="apply", now=now)
    for diag in loaded.warnings:
        click.echo(str(diag), err=True)
    base = None
    if selected is not None:
        conn = {**flag_only_base_url(conn), "tenant_name": selected.name}
        if request.base_ref:
            base = tenants.load_tenant_base(paths, request.base_ref, selected, now=now)
    with open_client(loaded.state.tenant, **conn) as client:
        for attempt in range(MAX_PLANS):
            # The view is taken only when no bulk job runs (docs/apply.md, "Concurrent runs
            # and the job list"): wait, read the job list (the snapshot), then plan.
            snapshot = wait_for_view(client, options)
            plan = plan_against(client, loaded, paths, request, base, now)
            run.plan = plan
            # Planning is not waiting (its calls have their own deadlines): --timeout bounds
            # the wait before it and, afresh, the job's waits from here on.
            options.deadline = None
            _render(plan)
            if plan.is_empty and not options.reassert_dnc:
                return ApplyReport(plan_hash=plan.hash, config_commit=plan.config_commit)
            enforce_safety(plan, options)
            if not auto_approve and not interactive:
                raise ApplyRefused(
                    "refusing to apply without a terminal to confirm on: pass --auto-approve "
                    "(or review with `plan --out PLAN.json` and run `apply PLAN.json`)"
                )
            if not auto_approve:  # a plan made again (stale) is a new change set: ask again
                click.confirm("Apply these changes to the tenant?", abort=True, err=True)
                options.deadline = None  # --timeout counts from the answer, not the question
            try:
                return apply_plan(plan, client, options=options, snapshot=snapshot)
            except StalePlanError as err:
                if attempt + 1 == MAX_PLANS:
                    raise StalePlanError(
                        f"the tenant kept changing under this apply: planned {MAX_PLANS} "
                        f"times, and each time another job changed it first (last: {err}); "
                        "run apply again"
                    ) from None
                if options.progress is not None:
                    options.progress.message(f"{err}: planning again")
    return None
