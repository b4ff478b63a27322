"""Click options shared by the commands that talk to the tenant (plan, apply, export), and
the planning options shared by plan and apply.

@click.command()
@connection_options
def command(..., **conn):
    with open_client(state.tenant, **conn) as client: ...
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from reconciler import tenants
from reconciler.config import LoadResult, load_config
from reconciler.platform import PlatformClient, connect
from reconciler.state import Tenant

F = TypeVar("F", bound=Callable[..., Any])
#: A file argument or option, as a Path.
FILE = click.Path(dir_okay=False, path_type=Path)
#: Seconds or a rate: more than 0.
POSITIVE = click.FloatRange(min=0, min_open=True)


def path_option(*decls: str, help: str, directory: bool = False, required: bool = False) -> Any:
    """A file option (``directory``: a directory option) given as a :class:`~pathlib.Path`."""
    kind = click.Path(file_okay=False, path_type=Path) if directory else FILE
    return click.option(*decls, required=required, type=kind, default=None, help=help)


def number_option(
    *decls: str, kind: click.ParamType, default: float | None, help: str, **more: Any
) -> Any:
    """A number option (``kind``: an ``IntRange`` or ``FloatRange``) with its default shown;
    ``more``: other click option settings (``metavar``, ``envvar``, ``hidden``)."""
    return click.option(*decls, type=kind, default=default, show_default=True, help=help, **more)


def count_option(flag: str, metavar: str, minimum: int, help: str) -> Any:
    """A whole-number option of at least ``minimum``, None when not given."""
    return click.option(
        flag, type=click.IntRange(min=minimum), default=None, metavar=metavar, help=help
    )


def format_option(*formats: str, help: str) -> Any:
    """``--format``: one of ``formats``, the first by default (as ``fmt``)."""
    kind = click.Choice(list(formats))
    return click.option(
        "--format", "fmt", type=kind, default=formats[0], show_default=True, help=help
    )


def flag_option(*decls: str, help: str, **more: Any) -> Any:
    """An on/off flag (``more``: other click option settings, e.g. ``hidden``)."""
    return click.option(*decls, is_flag=True, help=help, **more)


def connection_options(func: F) -> F:
    """Add ``--token-file``, ``--base-url``, ``--rate``, ``--request-timeout`` and
    ``-v/--verbose``."""
    options = [
        click.option(
            "--token-file",
            type=click.Path(dir_okay=False, path_type=str),
            default=None,
            help="Read the API token from this file instead of CCAI_API_TOKEN.",
        ),
        click.option(
            "--base-url",
            envvar="CCAI_BASE_URL",
            default=None,
            metavar="URL",
            help="The API base URL (default https://SUBDOMAIN.DOMAIN/apps/api/v1; "
            "env CCAI_BASE_URL). Plain http only for loopback hosts.",
        ),
        number_option(
            "--rate",
            kind=POSITIVE,
            default=1.0,
            envvar="CCAI_RATE",
            help="Requests per second to the tenant (env CCAI_RATE).",
        ),
        number_option(
            "--request-timeout",
            kind=POSITIVE,
            default=None,
            envvar="CCAI_REQUEST_TIMEOUT",
            metavar="SECONDS",
            help="Most seconds one API call may take, retries and transfer included "
            "(env CCAI_REQUEST_TIMEOUT; default 300 for the template, 60 for the others).",
        ),
        flag_option(
            "-v", "--verbose", help="Print each API request (method, path, status, time) to stderr."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def config_option(help_extra: str = "") -> Callable[[F], F]:
    """``-c/--config``: config files or directories (validate, plan and apply alike)."""
    return click.option(
        "-c",
        "--config",
        "config",
        multiple=True,
        type=click.Path(path_type=str),
        help="Config file or directory (repeatable; default: .)." + help_extra,
    )


def planning_options(config_help: str = "") -> Callable[[F], F]:
    """Add ``-c/--config``, ``--base-ref``, ``--refresh``, ``--refresh-budget`` and
    ``--refresh-slot`` (plan and apply plan alike)."""

    def decorate(func: F) -> F:
        options = [
            config_option(config_help),
            click.option(
                "--base-ref",
                envvar="CCAI_BASE_REF",
                default=None,
                metavar="REF",
                help="Git ref of the config last applied (e.g. origin/main; env "
                "CCAI_BASE_REF): offboards users deleted since, and plans the DNC numbers "
                "changed since from git (upserts and removals, no checks).",
            ),
            click.option(
                "--refresh",
                type=click.Choice(["git", "changed", "all"]),
                default="git",
                show_default=True,
                help="DNC checks (one call per number) with --base-ref: git: none, the numbers "
                "changed since the base are planned as upserts and removals; changed: check "
                "those; all: check every declared number too (drift detection). Without "
                "--base-ref every declared number is checked.",
            ),
            count_option(
                "--refresh-budget",
                "N",
                1,
                help="Also check N declared DNC numbers, rotating through all of them (every "
                "number within ceil(declared/N) runs, no state file): drift detection within "
                "a call budget. Without --base-ref it replaces checking every number; not "
                "with --refresh all.",
            ),
            count_option(
                "--refresh-slot",
                "K",
                0,
                help="Which window of the --refresh-budget rotation to check: run K checks "
                "window K mod windows (e.g. the CI run number). Default: the UTC day, so "
                "each day moves on by one window.",
            ),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def tenant_option(func: F) -> F:
    """``--tenant NAME``: which tenant of a config with ``tenants/`` (docs/config.md)."""
    return click.option(
        "--tenant",
        "tenant_name",
        default=None,
        metavar="NAME",
        help="With a tenants/ directory in the config: use the shared files plus tenants/NAME/, "
        "and that tenant's credentials (CCAI_API_TOKEN_<NAME>).",
    )(func)


def load_selected(
    paths: Sequence[str], tenant_name: str | None, *, command: str, now: datetime | None
) -> tuple[LoadResult, tenants.TenantLoad | None]:
    """The config to plan or apply: as always without ``tenants/``; else the merged config of
    ``--tenant`` (required then)."""
    if not tenants.is_multi_tenant(paths):
        if tenant_name is not None:
            raise tenants.TenantError(
                f"--tenant {tenant_name}: this config has no {tenants.TENANTS_DIR}/ directory, "
                "it describes one tenant"
            )
        return load_config(paths, now=now), None
    selected = tenants.load_tenant(paths, tenant_name, command=command, now=now)
    return selected.result, selected


def flag_only_base_url(conn: dict[str, Any]) -> dict[str, Any]:
    """``conn`` without a base URL that came from CCAI_BASE_URL (with tenants, the base URL of
    tenant NAME is CCAI_BASE_URL_<NAME>, or --base-url given on the command line)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.get_parameter_source("base_url") is not ParameterSource.COMMANDLINE:
        return {**conn, "base_url": None}
    return conn


def open_client(
    tenant: Tenant | None,
    *,
    tenant_name: str | None = None,
    token_file: str | None = None,
    base_url: str | None = None,
    rate: float = 1.0,
    request_timeout: float | None = None,
    verbose: bool = False,
    **_: Any,
) -> PlatformClient:
    """Connect with the values of :func:`connection_options` (environment for the rest).

    ``tenant_name``: a tenant of a multi-tenant config; its own variables are used
    (:func:`reconciler.tenants.connection_env`), never the plain CCAI_API_TOKEN."""
    env: dict[str, str] | os._Environ[str] = os.environ
    source = "CCAI_API_TOKEN"  # what a 401 asks to check: where the token came from
    if tenant_name is not None:
        env, token_file = tenants.connection_env(tenant_name, os.environ, token_file=token_file)
        source = f"CCAI_API_TOKEN_{tenants.env_suffix(tenant_name)}"
    if token_file is not None:
        source = f"the token file {token_file}"
    return connect(
        tenant,
        env=env,
        token_file=token_file,
        base_url=base_url,
        rate=rate,
        request_timeout=request_timeout,
        verbose=verbose,
        echo=lambda line: click.echo(line, err=True),
        token_source=source,
    )
