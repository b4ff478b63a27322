"""Command-line entry point. Commands stay thin: parse, call, print, exit code.

Each command lives in its own module under ``reconciler.commands`` and exposes a click command
named ``command``; add the module name to ``COMMANDS`` to register it.

The group is the error boundary: a :class:`~reconciler.errors.ReconcilerError` raised anywhere
is printed on stderr as ``path:line:col: error: message`` lines (``error: message`` without a
location) with exit code 1, never as a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from reconciler import __version__
from reconciler.errors import ReconcilerError

COMMANDS: tuple[str, ...] = (
    "validate",
    "schema",
    "simulator",
    "apply",
    "plan",
    "export",
    "github_comment",
    "gitlab_comment",
    "jobs",
)


def report_error(err: ReconcilerError) -> None:
    """Print an error for people, one problem a line, each as ``path:line:col: error: message``
    (``error: message`` without a location): the same format in every command."""
    for line in err.lines():
        click.echo(line, err=True)


class ReconcilerGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReconcilerError as err:
            report_error(err)
            ctx.exit(1)
        except click.UsageError as err:
            # Exit 1, not click's 2: under `plan --detailed-exitcode` 2 means "changes".
            err.show()
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(
    cls=ReconcilerGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="ccai-reconciler")
def cli() -> None:
    """GitOps for CCAI Platform tenants: users, role and team memberships and the company
    Do-Not-Call list, kept as YAML in git.

    \b
    validate   check the config offline
    plan       show what would change in the tenant
    apply      change the tenant to match the config
    export     write a config from a live tenant
    github-comment  post the plan as sticky pull-request comments
    gitlab-comment  post the plan as sticky merge-request notes
    jobs       list the tenant's bulk jobs, show one job's errors
    simulator  run a local tenant for demos and tests
    """


for _name in COMMANDS:
    cli.add_command(importlib.import_module(f"reconciler.commands.{_name}").command)


def main() -> None:
    try:
        cli(prog_name="ccai-reconciler")
    except BrokenPipeError:  # e.g. `ccai-reconciler plan | head`
        sys.stderr.close()
        sys.exit(1)
