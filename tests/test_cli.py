import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from reconciler import __version__
from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle
from tests.helpers import cli_env

ROOT = Path(__file__).resolve().parents[1]


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


# One problem matcher for every command: `path:line:col: error: message` or `error: message`.
MATCHER = re.compile(r"^(?:(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): )?(error|warning): \S")


def test_plan_time_errors_have_the_validate_format(
    sim_factory: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    sim = sim_factory(json.loads((ROOT / "tests" / "plan" / "data" / "seed.json").read_text()))
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "users:\n  - email: boss@acme-corp.com\n    first_name: Bea\n    last_name: Boss\n"
        "    roles: [Admin, Supervisor]\n    teams: [Tier 3]\n"
        "  - email: zed@acme-corp.com\n    first_name: Zed\n    last_name: Z\n"
        "    renamed_from: nobody@acme-corp.com\n"
    )
    env = cli_env(sim, CCAI_BASE_REF="")
    result = CliRunner().invoke(cli, ["plan", "-c", str(cfg)], env=env)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines == [
        "error: the config names roles or teams the tenant does not have: they must be created "
        "in the platform's settings first (the API cannot create them), or fix the names in "
        "the config",
        f"{cfg}:5:20: error: role 'Supervisor' does not exist in the tenant",
        f"{cfg}:6:13: error: team 'Tier 3' does not exist in the tenant (did you mean 'Tier 2'?)",
    ]
    assert all(MATCHER.match(line) for line in lines)
    cfg.write_text(cfg.read_text().replace("Supervisor", "Agent").replace("Tier 3", "Tier 1"))
    result = CliRunner().invoke(cli, ["plan", "-c", str(cfg)], env=env)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{cfg}:10:5: error: cannot rename nobody@acme-corp.com to zed@acme-corp.com: neither "
        "exists in the tenant (remove renamed_from to create zed@acme-corp.com)"
    ]


def test_dnc_check_duration_reads_well() -> None:
    # "about 0 min" for a few numbers read as if nothing would be waited for
    from reconciler.commands.plan import duration

    assert [duration(n) for n in (1, 4, 59, 90, 600, 3600, 3900)] == [
        "about 1 s",
        "about 4 s",
        "about 59 s",
        "about 2 min",
        "about 10 min",
        "about 1 h",
        "about 1 h 5 min",
    ]
