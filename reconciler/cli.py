"""Command-line entry point. Commands stay thin: parse, call, print, exit code.

Each command lives in its own module under ``reconciler.commands`` and exposes a click command
named ``command``; add the module name to ``COMMANDS`` to register it.
"""

from __future__ import annotations

import importlib

import click

from reconciler import __version__

COMMANDS: tuple[str, ...] = ()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ccai-reconciler")
def cli() -> None:
    """GitOps for CCAI Platform tenants: users, role and team memberships and the company
    Do-Not-Call list, kept as YAML in git.

    \b
    validate   check the config offline
    plan       show what would change in the tenant
    apply      change the tenant to match the config
    export     write a config from a live tenant
    simulator  run a local tenant for demos and tests
    """


for _name in COMMANDS:
    cli.add_command(importlib.import_module(f"reconciler.commands.{_name}").command)


def main() -> None:
    cli(prog_name="ccai-reconciler")
