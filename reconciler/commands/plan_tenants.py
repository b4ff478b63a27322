"""``plan --all-tenants``: plan every tenant of a multi-tenant config and print one combined
plan, a heading per tenant.

Each tenant has its own API quota (1 request/second per tenant), so the tenants are planned
concurrently, one thread each; the output is in tenant-name order whatever finishes first. A
tenant that fails (bad token, unknown role, ...) is reported under its heading and the others
are still shown; the exit code is then 1.
"""

from __future__ import annotations

import io
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import click

from reconciler import tenants
from reconciler.commands._options import flag_only_base_url, open_client
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.pipeline import PlanRequest, compute_plan
from reconciler.plan import Plan
from reconciler.render import render_markdown, render_text


def _refuse(conn: dict[str, Any], tenant_name: str | None, fmt: str, saving: bool) -> None:
    ctx = click.get_current_context(silent=True)
    given = (
        ctx is not None
        and ctx.get_parameter_source("base_url") is click.core.ParameterSource.COMMANDLINE
    )
    if tenant_name is not None:
        raise click.UsageError("give either --tenant NAME or --all-tenants, not both")
    if conn.get("token_file") is not None or given:
        raise click.UsageError(
            "--all-tenants uses each tenant's own token and URL (CCAI_API_TOKEN_<NAME>, "
            "CCAI_BASE_URL_<NAME>): --token-file and --base-url would be one for all"
        )
    if fmt == "json" or saving:
        raise click.UsageError(
            "--all-tenants prints text or Markdown; for JSON or a saved plan (--out, --out-dir) "
            "plan one tenant with --tenant NAME"
        )


def _plan_one(
    paths: list[str],
    selected: tenants.TenantLoad,
    planning: PlanRequest,
    conn: dict[str, Any],
    now: datetime,
) -> Plan:
    base_ref = planning.base_ref
    base = tenants.load_tenant_base(paths, base_ref, selected, now=now) if base_ref else None
    state = selected.result.state
    with open_client(state.tenant, tenant_name=selected.name, **conn) as client:
        plan = compute_plan(
            selected.result, client, config_paths=paths, request=planning, base_state=base, now=now
        )
    return plan


def plan_all(
    paths: list[str],
    *,
    tenant_name: str | None,
    fmt: str,
    saving: bool,
    planning: PlanRequest,
    detailed_exitcode: bool,
    conn: dict[str, Any],
    now: datetime,
) -> None:
    _refuse(conn, tenant_name, fmt, saving)
    if not tenants.is_multi_tenant(paths):
        raise tenants.TenantError(
            f"--all-tenants: this config has no {tenants.TENANTS_DIR}/ directory, it describes "
            "one tenant"
        )
    names, loads, diags = tenants.load_all(paths, now=now)
    if any(d.severity == "error" for d in diags):
        raise ConfigError(diags)  # every tenant loads, or nothing is fetched
    for diag in diags:
        click.echo(f"{diag}", err=True)
    conn = flag_only_base_url(conn)
    results: dict[str, Plan | ReconcilerError] = {}
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        futures = {n: pool.submit(_plan_one, paths, loads[n], planning, conn, now) for n in names}
        for name, future in futures.items():
            try:
                results[name] = future.result()
            except ReconcilerError as err:
                results[name] = err
    out = sys.stdout
    failed = [n for n in names if isinstance(results[n], ReconcilerError)]
    changed = [n for n in names if isinstance(p := results[n], Plan) and not p.is_empty]
    summary = (
        f"{len(names)} tenants: "
        + ", ".join(
            f"{n} ({'error' if n in failed else 'changes' if n in changed else 'no changes'})"
            for n in names
        )
        + "."
    )
    if fmt == "markdown":
        out.write(f"## ccai-reconciler plan for {len(names)} tenants\n\n{summary}\n")
    else:
        out.write(summary + "\n")
    for name in names:
        result = results[name]
        if fmt == "markdown":
            out.write(f"\n## Tenant `{name}`\n\n")
        else:
            out.write(f"\n=== Tenant {name} ===\n")
        if isinstance(result, ReconcilerError):
            lines = "\n".join(result.lines())
            out.write(f"```\n{lines}\n```\n" if fmt == "markdown" else lines + "\n")
            continue
        buf = io.StringIO()
        if fmt == "markdown":
            render_markdown(result, buf)
        else:
            render_text(result, buf)
        out.write(buf.getvalue())
    if failed:
        click.echo(f"error: planning failed for {', '.join(failed)}", err=True)
        sys.exit(1)
    if detailed_exitcode and changed:
        sys.exit(2)
