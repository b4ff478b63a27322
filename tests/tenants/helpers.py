"""Two simulated tenants (sandbox and production) and the CLI run against both at once."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle

EXAMPLE = Path(__file__).parents[2] / "examples" / "multi-tenant"


def copy_example(tmp_path: Path) -> Path:
    dst = tmp_path / "config"
    shutil.copytree(EXAMPLE, dst)
    return dst


def tenant_env(sandbox: SimulatorHandle, production: SimulatorHandle) -> dict[str, str | None]:
    """Each tenant's own URL and token; the plain variables unset (they must not be needed)."""
    return {
        "CCAI_BASE_URL_SANDBOX": sandbox.base_url,
        "CCAI_API_TOKEN_SANDBOX": sandbox.token,
        "CCAI_BASE_URL_PRODUCTION": production.base_url,
        "CCAI_API_TOKEN_PRODUCTION": production.token,
        "CCAI_API_TOKEN": None,
        "CCAI_BASE_URL": None,
        "CCAI_SUBDOMAIN": None,
        "CCAI_DOMAIN": None,
        "CCAI_BASE_REF": None,
        "CCAI_RATE": "1000",
    }


def invoke(env: dict[str, str | None], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def writes(sim: SimulatorHandle) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in sim.requests if r["method"] != "GET"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
