import subprocess
import sys

from click.testing import CliRunner

from reconciler import __version__
from reconciler.cli import cli


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_python_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "ccai-reconciler" in proc.stdout


def test_reconciler_error_is_a_message_not_a_traceback() -> None:
    from reconciler.errors import PlanError

    @cli.command("boom-for-test")
    def boom() -> None:
        raise PlanError("role 'Wizard' does not exist in the tenant")

    try:
        result = CliRunner().invoke(cli, ["boom-for-test"])
    finally:
        cli.commands.pop("boom-for-test")
    assert result.exit_code == 1
    assert "error: role 'Wizard' does not exist in the tenant" in result.output
    assert "Traceback" not in result.output


def test_usage_errors_exit_1_not_2() -> None:
    # 2 is reserved for `plan --detailed-exitcode` (the plan has changes).
    for args in (["plan", "--rate", "0"], ["plan", "--no-such-option"], ["no-such-command"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, (args, result.output)
        assert "Usage:" in result.output or "Error:" in result.output
