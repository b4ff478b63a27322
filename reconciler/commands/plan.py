"""``ccai-reconciler plan``: show what apply would change. Thin: options → compute_plan →
render → exit code. See docs/plan.md."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from reconciler import tenants
from reconciler.commands._options import (
    connection_options,
    flag_only_base_url,
    flag_option,
    format_option,
    load_selected,
    open_client,
    path_option,
    planning_options,
    tenant_option,
)
from reconciler.config import LoadResult
from reconciler.errors import PlanError
from reconciler.pipeline import PlanRequest, compute_plan
from reconciler.plan import Plan
from reconciler.render import render_json
from reconciler.render.progress import ProgressLine
from reconciler.state import DesiredState

#: ``--format``: the first is the default.
FORMATS = ("text", "markdown", "json")
#: Show progress for the DNC checks from this many numbers on (or always with --refresh all).
PROGRESS_FROM = 30


def use_color(stream: Any) -> bool:
    return bool(stream.isatty()) and "NO_COLOR" not in os.environ


def plan_against(
    client: Any,
    loaded: LoadResult,
    paths: Sequence[str],
    request: PlanRequest,
    base: DesiredState | None,
    now: datetime | None,
) -> Plan:
    """:func:`compute_plan` of ``loaded`` against the tenant, with the DNC-check progress line
    on stderr: what plan and apply both plan with."""
    return compute_plan(
        loaded,
        client,
        config_paths=paths,
        request=request,
        base_state=base,
        now=now,
        progress=dnc_progress(request.refresh),
    )


def dnc_progress(refresh: str) -> Any:
    line = ProgressLine(sys.stderr, "Checking DNC numbers")
    announced = False

    def progress(done: int, total: int) -> None:
        nonlocal announced
        if refresh != "all" and total < PROGRESS_FROM:
            return
        if not announced:
            announced = True
            click.echo(
                f"Checking {total} DNC number{'s' if total != 1 else ''}, one API call each "
                f"({duration(total)} at 1 request/second).",
                err=True,
            )
        line(done, total)

    return progress


def duration(calls: int, rate: float = 1.0) -> str:
    """How long ``calls`` requests take at ``rate`` per second, for people: "about 40 s",
    "about 2 min", "about 1 h 5 min"."""
    secs = calls / rate
    if secs < 60:
        return f"about {max(1, round(secs))} s"
    mins = round(secs / 60)
    if mins < 60:
        return f"about {mins} min"
    hours, rest = divmod(mins, 60)
    return f"about {hours} h {rest} min" if rest else f"about {hours} h"


def write_parts(plan: Any, out_dir: Path) -> list[Path]:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("plan-*.md"):
            if old.stem[5:].isdigit():  # parts of an earlier run, nothing else
                old.unlink()
        from reconciler.render.markdown import markdown_parts

        paths = []
        for i, part in enumerate(markdown_parts(plan), 1):
            p = out_dir / f"plan-{i}.md"
            p.write_text(part, encoding="utf-8")
            paths.append(p)
    except OSError as err:
        raise PlanError(f"cannot write to {out_dir}: {err.strerror or err}") from None
    return paths


@click.command("plan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@planning_options(" Same as PATHS.")
@format_option(*FORMATS, help="text for terminals, markdown for pull requests, json for programs.")
@path_option("--out", "out", help="Save the plan as JSON for `apply PLAN.json`.")
@path_option(
    "--out-dir",
    directory=True,
    help="Also write the Markdown plan as plan-1.md, plan-2.md, ... (each fits one GitHub "
    "comment).",
)
@flag_option(
    "--detailed-exitcode", help="Exit 0 when there are no changes, 2 when there are, 1 on error."
)
@tenant_option
@flag_option(
    "--all-tenants",
    help="Plan every tenant of the config (concurrently, one thread each) and print one "
    "combined text or Markdown plan, a heading per tenant.",
)
@connection_options
def command(
    paths: tuple[str, ...],
    config: tuple[str, ...],
    fmt: str,
    out: Path | None,
    out_dir: Path | None,
    base_ref: str | None,
    refresh: str,
    refresh_budget: int | None,
    refresh_slot: int | None,
    detailed_exitcode: bool,
    tenant_name: str | None,
    all_tenants: bool,
    **conn: Any,
) -> None:
    """Show what apply would change in the tenant with the config in PATHS (files or
    directories, like -c; default .).

    Loads and validates the config (any error: exit 1, nothing fetched), fetches the users
    once, checks only the DNC numbers it needs, and prints the changes with the YAML file:line
    each comes from.
    """
    now = datetime.now(UTC)
    config_paths = [*config, *paths] or ["."]
    request = PlanRequest.from_options(base_ref, refresh, refresh_budget, refresh_slot)
    if all_tenants:
        from reconciler.commands.plan_tenants import plan_all

        plan_all(
            config_paths,
            tenant_name=tenant_name,
            fmt=fmt,
            saving=out is not None or out_dir is not None,
            planning=request,
            detailed_exitcode=detailed_exitcode,
            conn=conn,
            now=now,
        )
        return
    loaded, selected = load_selected(config_paths, tenant_name, command="plan", now=now)
    for diag in loaded.warnings:
        click.echo(str(diag), err=True)
    base = None
    if selected is not None:
        conn = flag_only_base_url(conn)
        if request.base_ref:
            base = tenants.load_tenant_base(config_paths, request.base_ref, selected, now=now)
    with open_client(
        loaded.state.tenant, tenant_name=selected.name if selected else None, **conn
    ) as client:
        plan = plan_against(client, loaded, config_paths, request, base, now)
    data = plan.json_bytes() if out is not None or fmt == "json" else None  # made once
    if out is not None:
        plan.save(out, data)
    if out_dir is not None:
        parts = write_parts(plan, out_dir)
        click.echo(f"Wrote {len(parts)} Markdown part(s) to {out_dir}.", err=True)
    if fmt == "json":
        render_json(plan, sys.stdout, data)
    elif fmt == "markdown":
        from reconciler.render.markdown import render_markdown

        render_markdown(plan, sys.stdout)
    else:
        from reconciler.render.text import render_text

        render_text(plan, sys.stdout, color=use_color(sys.stdout))
    if out is not None:
        click.echo(f"Saved the plan to {out} (hash {plan.hash[:12]}).", err=True)
    if detailed_exitcode and not plan.is_empty:
        sys.exit(2)
