"""``ccai-reconciler validate``: check the config offline."""

from __future__ import annotations

import click

from reconciler import tenants
from reconciler.commands._options import (
    config_option,
    flag_option,
    format_option,
    load_selected,
    tenant_option,
)
from reconciler.config import LoadResult
from reconciler.errors import ConfigError, Diagnostic


def _emit(diag: Diagnostic, fmt: str) -> None:
    click.echo(diag.github() if fmt == "github" else str(diag), err=fmt != "github")


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@config_option(" Same as PATHS.")
@format_option(
    "text",
    "github",
    help="text: path:line:col: error: message; github: GitHub Actions annotations.",
)
@flag_option("-q", "--quiet", help="Print nothing when the config is valid.")
@tenant_option
def command(
    paths: tuple[str, ...],
    config: tuple[str, ...],
    fmt: str,
    quiet: bool,
    tenant_name: str | None,
) -> None:
    """Check the config in PATHS (files or directories; default .) without any API call.

    Prints every problem as path:line:col: error: message and exits 1 when there is any
    error; warnings (e.g. expired DNC entries) are printed and exit 0. With a tenants/
    directory, every tenant's merged config is checked (or only --tenant NAME's).
    """
    given = [*config, *paths] or ["."]
    results: dict[str, LoadResult] = {}
    warnings: list[Diagnostic] = []
    try:
        if tenants.is_multi_tenant(given) and tenant_name is None:
            names, loads, diags = tenants.load_all(given)
            if any(d.severity == "error" for d in diags):
                raise ConfigError(diags)
            results = {name: loads[name].result for name in names}
            warnings = diags
        else:
            result, selected = load_selected(given, tenant_name, command="validate", now=None)
            results[selected.name if selected else ""] = result
            warnings = result.warnings
    except ConfigError as err:
        for diag in err.diagnostics:
            _emit(diag, fmt)
        n = sum(1 for d in err.diagnostics if d.severity == "error")
        if fmt != "github":
            click.echo(f"{n} error{'s' if n != 1 else ''} in the configuration.", err=True)
        raise click.exceptions.Exit(1) from None
    for diag in warnings:
        _emit(diag, fmt)
    if not quiet and fmt != "github":
        for name, result in results.items():
            counts = _counts(result)
            if warnings and len(results) == 1:
                counts.append(_count(len(warnings), "warning"))
            where = f"Tenant {name}: configuration" if name else "Configuration"
            click.echo(f"{where} is valid: {', '.join(counts)}.")


def _counts(result: LoadResult) -> list[str]:
    state = result.state
    return [
        _count(len(state.files), "file"),
        _count(len(state.users), "user"),
        _count(len(state.role_refs), "role"),
        _count(len(state.team_refs), "team"),
        _count(len(state.dnc), "DNC entry", "DNC entries"),
    ]


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
