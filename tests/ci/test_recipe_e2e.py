"""The recipe end to end: the action's own shell steps (action.yml, run as GitHub runs them:
``bash -eo pipefail``, with ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files) in a temporary
git repository, against the simulator, with ``github-comment`` posting to the GitHub stand-in:
plan → comment → apply → (change, commit) → plan → comment → apply → plan = no changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.simulator import SimulatorHandle
from tests.ci.github_standin import BOT, TOKEN, StandIn, run_standin
from tests.ci.recipes import ACTION, ROOT, load

PR = 12
GIT_ENV = {
    "GIT_AUTHOR_NAME": "ci",
    "GIT_AUTHOR_EMAIL": "ci@example.com",
    "GIT_COMMITTER_NAME": "ci",
    "GIT_COMMITTER_EMAIL": "ci@example.com",
}


def step(key: str) -> dict[str, Any]:
    for s in load(ACTION)["runs"]["steps"]:
        if key in (s.get("id"), s.get("name")):
            return dict(s)
    raise AssertionError(f"action.yml has no step {key!r}")


class Runner:
    """Runs the action's steps the way GitHub's runner does, one step a process."""

    def __init__(self, repo: Path, temp: Path, sim: SimulatorHandle, gh: StandIn) -> None:
        self.repo, self.temp, self.sim, self.gh = repo, temp, sim, gh
        self.n = 0
        self.event = temp / "event.json"
        self.event.write_text(json.dumps({"pull_request": {"number": PR}}))
        self.base = {k: v for k, v in os.environ.items() if not k.startswith(("CCAI_", "GITHUB_"))}
        self.base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
        self.base["CCAI_RATE"] = "1000"
        self.base["CCAI_POLL_INTERVAL"] = "0.05"  # apply polls the simulator's jobs fast
        self.base.update(GIT_ENV)

    def run_step(self, key: str, env: dict[str, str]) -> tuple[int, dict[str, str], str]:
        self.n += 1
        output = self.temp / f"output-{self.n}"
        summary = self.temp / f"summary-{self.n}"
        output.touch()
        summary.touch()
        script = self.temp / f"step-{self.n}.sh"
        script.write_text(step(key)["run"])
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env={
                **self.base,
                **env,
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
            },
            cwd=self.repo,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        assert self.sim.token not in proc.stdout + proc.stderr
        assert TOKEN not in proc.stdout + proc.stderr
        outputs = dict(
            line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
        )
        return proc.returncode, outputs, summary.read_text() + proc.stdout + proc.stderr

    def action(self, command: str, base_ref: str = "", **inputs: str) -> dict[str, str]:
        """The `run` step, then (plan) the sticky comment, then the result step."""
        env = {
            "COMMAND": command,
            "CONFIG": "config",
            "BASE_REF": base_ref,
            "TENANT": inputs.get("tenant", ""),
            "BUDGET": inputs.get("refresh-budget", ""),
            "SLOT": str(self.n),
            "PLAN_FILE": inputs.get("plan-file", ""),
            "API_TOKEN": self.sim.token,
            "CCAI_SUBDOMAIN": self.sim.subdomain,
            "CCAI_DOMAIN": "",
            "CCAI_BASE_URL": self.sim.base_url,
            "OUT": str(self.temp / "ccai"),
        }
        code, outputs, text = self.run_step("run", env)
        assert code == 0, text  # the step itself never fails: the result step does
        outputs["text"] = text
        if command == "plan" and outputs["exitcode"] != "1":
            rc, _, said = self.run_step(
                "sticky plan comment",
                {
                    "GITHUB_TOKEN": TOKEN,
                    "GITHUB_API_URL": self.gh.base_url,
                    "GITHUB_REPOSITORY": self.gh.repository,
                    "GITHUB_EVENT_PATH": str(self.event),
                    "OUT": outputs["out"],
                    "TENANT": env["TENANT"],
                },
            )
            assert rc == 0, said
            outputs["comment"] = said
        rc, _, said = self.run_step(
            "result",
            {
                "COMMAND": command,
                "CODE": outputs["exitcode"],
                "FAIL_ON_CHANGES": inputs.get("fail-on-changes", "false"),
            },
        )
        outputs["result"] = str(rc)
        return outputs


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.slow
def test_plan_comment_apply_plan_through_the_action(
    sim_factory: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    if shutil.which("git") is None or shutil.which("bash") is None:
        pytest.skip("needs git and bash")
    sim = sim_factory(json.loads((ROOT / "examples" / "tenant.json").read_text()))
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(ROOT / "examples" / "config", repo / "config")
    git(repo, "add", "config")
    git(repo, "commit", "-q", "-m", "config")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    with run_standin() as gh:
        gh.add(PR, "Please check the DNC entries too.")  # someone else's comment
        ci = Runner(repo, temp, sim, gh)

        assert ci.action("validate")["exitcode"] == "0"

        # the pull request: a plan with changes, posted as the sticky comment
        first = ci.action("plan")
        assert (first["exitcode"], first["has-changes"], first["result"]) == ("2", "true", "0")
        assert "1 created, 0 updated" in first["comment"]
        assert Path(first["plan-file"]).is_file()
        assert "| Users |" in first["text"]  # the job summary
        drift = ci.action("plan", **{"fail-on-changes": "true"})
        assert drift["result"] == "1"  # the nightly check fails on changes
        assert "0 created, 0 updated, 1 unchanged" in drift["comment"]

        # merge: apply, and tag what was applied
        applied = ci.action("apply")
        assert (applied["exitcode"], applied["result"]) == ("0", "0"), applied["text"]
        report = json.loads(Path(applied["report-file"]).read_text())
        assert report["outcome"] == "applied"
        git(repo, "tag", "-f", "ccai-applied", "HEAD")

        # the next pull request: one new agent, planned against the applied commit
        users = repo / "config" / "users" / "support.yaml"
        users.write_text(
            users.read_text()
            + "\n  - email: new.agent@example.com\n    first_name: New\n    last_name: Agent\n"
        )
        git(repo, "commit", "-q", "-am", "add an agent")
        second = ci.action("plan", "ccai-applied")
        assert (second["exitcode"], second["has-changes"]) == ("2", "true"), second["text"]
        assert "0 created, 1 updated" in second["comment"]
        mine = [body for user, body in gh.bodies(PR) if user == BOT]
        assert len(mine) == 1 and "new.agent@example.com" in mine[0]

        applied = ci.action("apply", "ccai-applied")
        assert applied["exitcode"] == "0", applied["text"]
        git(repo, "tag", "-f", "ccai-applied", "HEAD")

        after = ci.action("plan", "ccai-applied")
        assert (after["exitcode"], after["has-changes"], after["result"]) == ("0", "false", "0")
        assert gh.bodies(PR)[0] == ("alice", "Please check the DNC entries too.")
        mine = [body for user, body in gh.bodies(PR) if user == BOT]
        assert len(mine) == 1 and "No changes" in mine[0]


@pytest.mark.slow
def test_the_action_selects_a_tenant_of_a_multi_tenant_config(
    sim_factory: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    if shutil.which("git") is None or shutil.which("bash") is None:
        pytest.skip("needs git and bash")
    sandbox = sim_factory(subdomain="demo-sandbox", token="sandbox-token")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(ROOT / "examples" / "multi-tenant", repo / "config")
    git(repo, "add", "config")
    git(repo, "commit", "-q", "-m", "config")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    with run_standin() as gh:
        ci = Runner(repo, temp, sandbox, gh)
        assert ci.action("validate")["exitcode"] == "0"
        # the plain CCAI_API_TOKEN is never used with tenants: the action exports the
        # tenant's own variables and passes --tenant sandbox
        first = ci.action("plan", tenant="sandbox")
        assert (first["exitcode"], first["has-changes"]) == ("2", "true"), first["text"]
        assert "test.agent1@example.com" in first["text"]
        assert "Plan comment on #12: 1 created" in first["comment"]
        applied = ci.action("apply", tenant="sandbox")
        assert applied["exitcode"] == "0", applied["text"]
        git(repo, "tag", "-f", "ccai-applied-sandbox", "HEAD")
        after = ci.action("plan", "ccai-applied-sandbox", tenant="sandbox")
        assert after["exitcode"] == "0", after["text"]
        mine = [body for user, body in gh.bodies(PR) if user == BOT]
        assert len(mine) == 1 and mine[0].startswith("<!-- ccai-reconciler plan key=sandbox")
        assert "No changes" in mine[0]
