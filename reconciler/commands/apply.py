"""``ccai-reconciler apply``: converge the tenant to the config (or to a saved plan).

Thin on purpose: parse options, make or load the plan, render it, check safety, confirm, call
:func:`reconciler.apply.apply_plan`, print the report, exit code. See docs/apply.md.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from reconciler.apply import (
    DEFAULT_DNC_BATCH_SIZE,
    DEFAULT_TIMEOUT,
    ApplyOptions,
    Journal,
    Progress,
    StalePlanError,
    apply_plan,
    check_safety,
)
from reconciler.commands._options import connection_options, open_client, planning_options
from reconciler.commands.plan import dnc_progress, use_color
from reconciler.config import load_config
from reconciler.errors import ApplyError, ReconcilerError
from reconciler.plan import Plan
from reconciler.planning import compute_plan
from reconciler.render import render_text
from reconciler.report import ApplyReport


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
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@planning_options(" Not with PLAN_FILE.")
@connection_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking (needed without a TTY).")
@click.option(
    "--allow-mass-changes",
    is_flag=True,
    help="Apply even if deactivations / DNC removals exceed the policy thresholds.",
)
@click.option(
    "--allow-no-admin", is_flag=True, help="Apply even if no active user keeps the Admin role."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for the bulk-user job; a later apply resumes it.",
)
@click.option(
    "--dnc-batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_DNC_BATCH_SIZE,
    show_default=True,
    help="DNC numbers per add/remove call.",
)
@click.option(
    "--reassert-dnc",
    is_flag=True,
    help="Re-send every declared present, unexpired DNC number (idempotent upsert).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON audit report to this file.",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    hidden=True,
    help="First job poll delay in seconds (doubles up to 10 s); for tests and demos.",
)
def command(
    plan_file: Path | None,
    config: tuple[str, ...],
    base_ref: str | None,
    refresh: str,
    auto_approve: bool,
    allow_mass_changes: bool,
    allow_no_admin: bool,
    timeout: float,
    dnc_batch_size: int,
    reassert_dnc: bool,
    report_path: Path | None,
    poll_interval: float,
    **conn: Any,
) -> None:
    """Change the tenant to match the config, or apply a saved PLAN_FILE (from plan --out).

    With a config, the plan is shown and confirmed on a terminal; without a terminal, pass
    --auto-approve. A saved plan applies without asking, once, and only if the tenant has not
    changed since it was made.
    """
    if plan_file is not None and config:
        raise click.UsageError("give either PLAN_FILE or -c CONFIG, not both")
    if report_path is not None:
        _check_report_path(report_path)  # before any change: the audit report must not be lost
    options = ApplyOptions(
        timeout=timeout,
        dnc_batch_size=dnc_batch_size,
        reassert_dnc=reassert_dnc,
        allow_mass_changes=allow_mass_changes,
        allow_no_admin=allow_no_admin,
        progress=Progress(),
        poll_initial=poll_interval,
        poll_max=max(10.0, poll_interval),
    )
    report: ApplyReport | None = None
    try:
        if plan_file is not None:
            report = _apply_saved(plan_file, options, conn)
        else:
            plan_options = {"base_ref": base_ref or None, "refresh": refresh}
            report = _apply_config(list(config) or ["."], plan_options, options, auto_approve, conn)
    except (ReconcilerError, KeyboardInterrupt) as err:  # Ctrl-C, CI cancel: keep the audit trail
        _write_report(getattr(err, "report", None), report_path)
        raise
    _write_report(report, report_path)
    if report is not None and not (report.outcome == "no_changes" and report.job_id is None):
        _print_report(report)
    sys.exit(report.exit_code if report is not None else 0)


def _check_report_path(path: Path) -> None:
    parent = path.parent
    if not parent.is_dir():
        raise ApplyError(f"cannot write the report {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ApplyError(f"cannot write the report {path}: permission denied")


def _apply_saved(plan_file: Path, options: ApplyOptions, conn: dict[str, Any]) -> ApplyReport:
    plan = Plan.load(plan_file)
    _render(plan)
    check_safety(plan, options)
    options.saved_plan = True
    created = plan.created_at.isoformat() if plan.created_at else None
    options.journal = Journal.for_plan(plan_file, plan.hash, created)
    if plan.is_empty and not options.reassert_dnc:
        return ApplyReport(plan_hash=plan.hash, config_commit=plan.config_commit)
    with open_client(None, **conn) as client:
        subdomain = getattr(client, "subdomain", None)
        if plan.tenant and subdomain and plan.tenant != subdomain:
            raise ApplyError(
                f"{plan_file} was made for tenant {plan.tenant!r}, not {subdomain!r}; "
                "run plan against this tenant"
            )
        return apply_plan(plan, client, options=options)


def _apply_config(
    paths: list[str],
    plan_options: dict[str, Any],
    options: ApplyOptions,
    auto_approve: bool,
    conn: dict[str, Any],
) -> ApplyReport | None:
    interactive = sys.stdin.isatty()  # the question goes to stderr
    if not auto_approve and not interactive:
        raise ApplyError(
            "refusing to apply without a terminal to confirm on: pass --auto-approve "
            "(or review with `plan --out PLAN.json` and run `apply PLAN.json`)"
        )
    now = datetime.now(UTC)
    loaded = load_config(paths, now=now)
    for diag in loaded.warnings:
        click.echo(str(diag), err=True)
    with open_client(loaded.state.tenant, **conn) as client:
        for attempt in range(2):
            plan, _ = compute_plan(
                paths,
                client,
                now=now,
                progress=dnc_progress(plan_options["refresh"]),
                loaded=loaded,
                **plan_options,
            )
            _render(plan)
            if plan.is_empty and not options.reassert_dnc:
                return ApplyReport(plan_hash=plan.hash, config_commit=plan.config_commit)
            check_safety(plan, options)
            if not auto_approve:  # a plan made again (stale) is a new change set: ask again
                click.confirm("Apply these changes to the tenant?", abort=True, err=True)
            try:
                return apply_plan(plan, client, options=options)
            except StalePlanError as err:
                if attempt:
                    raise
                if options.progress is not None:
                    options.progress.message(f"{err}: planning again")
    return None
