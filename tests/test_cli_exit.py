"""Exit codes of the root command: a usage error exits 1 wherever it is (2 means "changes"
under `plan --detailed-exitcode`), and commands load only when used."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from reconciler.cli import COMMANDS, cli, command


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["--bogus", "plan"], [], ["nosuch"], ["plan", "--bogus"], ["jobs", "nosuch"]],
)
def test_a_usage_error_anywhere_exits_1(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output


def test_every_listed_command_loads_under_its_name() -> None:
    for name in COMMANDS:
        loaded = command(name)
        assert loaded is not None and loaded.name == name
    assert command("nosuch") is None


def test_plan_does_not_import_the_simulator_or_export() -> None:
    code = (
        "import sys; from reconciler.cli import command; command('plan'); "
        "print(sorted(m for m in sys.modules if m.startswith(('reconciler.simulator', "
        "'reconciler.export', 'werkzeug'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_root_help_lists_every_command() -> None:
    out = CliRunner().invoke(cli, ["--help"]).output
    for name in COMMANDS:
        assert f"\n  {name} " in out.split("Commands:")[0], name  # the summary at the top
        assert f"\n  {name} " in out.split("Commands:")[1]
