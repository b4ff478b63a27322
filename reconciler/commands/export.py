"""``ccai-reconciler export``: write a config directory from the live tenant."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reconciler import tenants
from reconciler.commands._options import (
    config_option,
    connection_options,
    flag_only_base_url,
    flag_option,
    open_client,
    path_option,
    tenant_option,
)
from reconciler.config import load_config
from reconciler.errors import ConfigError
from reconciler.export import ExportError, export_config, read_numbers
from reconciler.render.progress import ProgressLine


@click.command("export")
@path_option(
    "--out",
    "out_dir",
    directory=True,
    required=True,
    help="Directory to write the config to (must be empty unless --force).",
)
@path_option(
    "--dnc-numbers",
    help="File with one phone number per line: each is checked (one API call) and the listed "
    "ones are written to dnc.yaml. The API cannot list the DNC numbers.",
)
@click.option(
    "--region",
    default="US",
    show_default=True,
    help="Region for numbers in --dnc-numbers written without a +country code.",
)
@flag_option(
    "--force",
    help="Write into a non-empty directory, replacing files an earlier export wrote (an "
    "existing dnc.yaml is kept unless --dnc-numbers is given).",
)
@tenant_option
@config_option(" With --tenant: the multi-tenant config naming the tenant.")
@click.option(
    "--ownership-role",
    metavar="ROLE",
    default=None,
    help="Export only the users holding ROLE and set policy.ownership_role: ROLE (the config "
    "owns those users; the others are never touched).",
)
@connection_options
def command(
    out_dir: Path,
    dnc_numbers: Path | None,
    region: str,
    force: bool,
    tenant_name: str | None,
    config: tuple[str, ...],
    ownership_role: str | None,
    **conn: Any,
) -> None:
    """Write a config (tenant.yaml, users/*.yaml, roles.yaml, teams.yaml, dnc.yaml) from the
    live tenant, such that `plan` against the same tenant reports no changes.

    With --tenant NAME, the tenant of a multi-tenant config (-c, default .): its address from
    its merged config and its own token (CCAI_API_TOKEN_<NAME>)."""
    numbers = read_numbers(dnc_numbers, region) if dnc_numbers is not None else None
    progress = ProgressLine(sys.stderr, "Checking DNC numbers")
    address = None
    if tenant_name is not None:
        address = tenants.load_tenant(list(config) or ["."], tenant_name, command="export")
        conn = {**flag_only_base_url(conn), "tenant_name": address.name}
    elif config:
        raise click.UsageError("-c names the multi-tenant config of --tenant NAME")
    with open_client(address.result.state.tenant if address else None, **conn) as client:
        result = export_config(
            client,
            out_dir,
            numbers=numbers,
            force=force,
            progress=progress,
            ownership_role=ownership_role,
        )
    for msg in result.skipped:
        click.echo(f"warning: {msg}", err=True)
    for msg in result.kept:
        click.echo(f"note: {msg}", err=True)
    try:
        load_config([str(out_dir)])
    except ConfigError as err:
        raise ExportError(
            f"the exported config in {out_dir} does not validate (the tenant has values the "
            "config format does not accept); fix these by hand:",
            err.diagnostics,
        ) from None
    msg = f"Exported {result.users} users to {out_dir} ({len(result.files)} files)"
    if numbers is not None:
        msg += f"; {result.dnc_listed} of {result.dnc_checked} DNC numbers are on the list"
    click.echo(msg + ".")
    click.echo(f"Next: ccai-reconciler plan -c {out_dir}   (expect: No changes.)")
