"""The pre-commit hook, through the real pre-commit tool, as a config repository uses it.

The hook repository is a copy of this project's working tree committed into a temporary git
repository (so the test checks the code under test, on a fresh CI clone or in a dirty tree);
a second temporary repository holds a tenant config and a .pre-commit-config.yaml pointing at
it. pre-commit builds the hook's virtualenv from PyPI (network), hence ``slow``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
GOOD = (
    "users:\n"
    "  - email: ann@example.com\n"
    "    first_name: Ann\n"
    "    last_name: Lee\n"
    "roles:\n"
    "  Agent: [ann@example.com]\n"
)


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def hook_repo(dest: Path) -> str:
    """A git repository with the project as the hook source; returns its HEAD."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(
        ROOT / "reconciler", dest / "reconciler", ignore=shutil.ignore_patterns("__pycache__")
    )
    git(dest, "init", "-q")
    git(dest, "add", ".")
    git(dest, "commit", "-q", "-m", "hook source")
    return git(dest, "rev-parse", "HEAD")


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_validate_hook_through_pre_commit(tmp_path: Path) -> None:
    assert PRE_COMMIT.exists(), "pre-commit is a dev dependency"
    rev = hook_repo(tmp_path / "hooks")
    repo = tmp_path / "tenant-config"
    (repo / "config").mkdir(parents=True)
    (repo / "config" / "users.yaml").write_text(GOOD)
    (repo / "mkdocs.yml").write_text("site_name: not a tenant config\n")  # outside config/
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {(tmp_path / 'hooks').as_uri()}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: ccai-reconciler-validate\n"
        "        args: [config]\n"
        "        files: ^config/\n"
    )
    git(repo, "init", "-q")
    git(repo, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_NO_INPUT": "1"}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PRE_COMMIT), "run", "--all-files", "--color", "never"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=540,
        )

    ok = run()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ccai-reconciler validate" in ok.stdout and "Passed" in ok.stdout

    (repo / "config" / "users.yaml").write_text(GOOD + "  Manager: [bob@example.com]\n")
    bad = run()
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert (
        "config/users.yaml:7:13: error: role 'Manager': member 'bob@example.com' is not a user "
        "declared in the config"
    ) in bad.stdout
