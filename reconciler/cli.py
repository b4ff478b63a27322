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

# Command name -> its module under reconciler.commands, imported only when the command runs
# (or a help lists it): `plan` does not pay for the simulator's or export's imports.
COMMANDS: dict[str, str] = {
    name: name.replace("-", "_")
    for name in (
        "validate",
        "schema",
        "simulator",
        "apply",
        "plan",
        "export",
        "github-comment",
        "gitlab-comment",
        "jobs",
    )
}


def report_error(err: ReconcilerError) -> None:
    """Print an error for people, one problem a line, each as ``path:line:col: error: message``
    (``error: message`` without a location): the same format in every command."""
    for line in err.lines():
        click.echo(line, err=True)


class ReconcilerGroup(click.Group):
    """The root group: every error of a command as the tool's own message and exit code, and
    the commands of :data:`COMMANDS` loaded on first use (click's lazy-group pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            command = importlib.import_module(f"reconciler.commands.{COMMANDS[cmd_name]}").command
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as err:
            # A usage error before the command name (`--bogus plan`, no command at all) exits
            # 1 too, like one after it (below).
            err.show()
            ctx.exit(1)

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
    schema     print the config's JSON Schema (for editors)
    plan       show what would change in the tenant
    apply      change the tenant to match the config
    export     write a config from a live tenant
    github-comment  post the plan as sticky pull-request comments
    gitlab-comment  post the plan as sticky merge-request notes
    jobs       list the tenant's bulk jobs, show one job's errors
    simulator  run a local tenant for demos and tests
    """


def command(name: str) -> click.Command | None:
    """The command ``name`` of the CLI (loaded if need be), None if there is none."""
    return cli.get_command(click.Context(cli), name)


def main() -> None:
    try:
        cli(prog_name="ccai-reconciler")
    except BrokenPipeError:  # e.g. `ccai-reconciler plan | head`
        sys.stderr.close()
        sys.exit(1)
