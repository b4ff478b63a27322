"""The API token never appears anywhere: every command, verbose, through success and failure
paths, against the simulator. Checked in everything printed, in every exception, and in every
file the commands wrote (saved plans, markdown parts, reports, journals, the exported config)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "examples" / "config")
SECRET = "s3cr3t-TOKEN-do-not-leak-7f3a9"


def test_no_command_ever_shows_the_token(
    sim_factory: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    seed: dict[str, Any] = json.loads((ROOT / "examples" / "tenant.json").read_text())
    seed["token"] = SECRET
    sim = sim_factory(seed, validation_delay=0.01)
    env = {
        "CCAI_API_TOKEN": SECRET,
        "CCAI_BASE_URL": sim.base_url,
        "CCAI_SUBDOMAIN": sim.subdomain,
        "CCAI_RATE": "1000",
        "CCAI_BASE_REF": None,
    }
    plan_file = tmp_path / "plan.json"
    broken = tmp_path / "broken.yaml"
    broken.write_text("users:\n  - email: nope\n    first_name: A\n")
    token_file = tmp_path / "token"
    token_file.write_text(SECRET + "\n")
    runs: list[tuple[list[str], dict[str, str | None], set[int]]] = [
        (["validate", CONFIG], env, {0}),
        (["plan", "-c", CONFIG, "-v", "--format", "json", "--out", str(plan_file)], env, {0}),
        (
            ["plan", "-c", CONFIG, "-v", "--format", "markdown", "--out-dir", str(tmp_path / "md")],
            env,
            {0},
        ),
        (
            [
                "apply",
                str(plan_file),
                "-v",
                "--poll-interval",
                "0.01",
                "--report",
                str(tmp_path / "report.json"),
            ],
            env,
            {0},
        ),
        (["apply", str(plan_file), "-v"], env, {1}),  # applied once: refused
        (["export", "--out", str(tmp_path / "exported"), "-v"], env, {0}),
        (
            ["plan", "-c", CONFIG, "-v", "--token-file", str(token_file)],
            {**env, "CCAI_API_TOKEN": None},
            {0},
        ),
        # Failures: wrong user name for the token, plain http refused, invalid config.
        (["plan", "-c", CONFIG, "-v"], {**env, "CCAI_SUBDOMAIN": "other"}, {1}),
        (["plan", "-c", CONFIG, "-v"], {**env, "CCAI_BASE_URL": "http://example.com/x"}, {1}),
        (["plan", "-c", str(broken), "-v"], env, {1}),
        (["apply", "-c", CONFIG, "-v"], {**env, "CCAI_SUBDOMAIN": "other"}, {1}),
    ]
    forms = {SECRET, base64.b64encode(f"{sim.subdomain}:{SECRET}".encode()).decode()}
    forms |= {base64.b64encode(f"other:{SECRET}".encode()).decode()}
    runner = CliRunner()
    for args, run_env, codes in runs:
        result = runner.invoke(cli, args, env=run_env)
        assert result.exit_code in codes, (args, result.output)
        seen = result.output + repr(result.exception) + repr(result.exc_info)
        for form in forms:
            assert form not in seen, (args, form)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p not in {token_file}]
    assert len(written) >= 5  # plan, markdown part, report, journal, exported files
    for path in written:
        text = path.read_text(errors="replace")
        for form in forms:
            assert form not in text, path
