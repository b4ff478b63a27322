"""The CI recipes as data: every workflow and template YAML of the repository, the shell
scripts they run, and the ``ccai-reconciler`` command lines in those scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
GITHUB_WORKFLOWS = sorted((ROOT / "examples" / "ci" / "github").glob("*.yml"))
GITLAB = ROOT / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"
CONFIG_REPO = ROOT / "examples" / "config-repo"
CONFIG_REPO_WORKFLOWS = sorted((CONFIG_REPO / ".github" / "workflows").glob("*.yml"))
#: A step that uses this project's action (a pinned tag or a local checkout).
ACTION_USES = re.compile(r"^(?:[\w.-]+/ccai-reconciler@\S+|\./?)$")
GITLAB_KEYWORDS = {"image", "workflow", "variables", "default", "stages", "include", "services"}


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Script:
    where: str  # file and job/step, for messages
    text: str


def github_steps(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_name, job in (load(path).get("jobs") or {}).items():
        for i, step in enumerate(job.get("steps") or []):
            yield f"{path.relative_to(ROOT)}: jobs.{job_name}.steps[{i}]", step


def scripts() -> Iterator[Script]:
    """Every shell script of every recipe."""
    for i, step in enumerate(load(ACTION)["runs"]["steps"]):
        if "run" in step:
            yield Script(f"action.yml: runs.steps[{i}]", step["run"])
    for path in [*GITHUB_WORKFLOWS, *CONFIG_REPO_WORKFLOWS]:
        for where, step in github_steps(path):
            if "run" in step:
                yield Script(where, step["run"])
    for name, job in load(GITLAB).items():
        if (name in GITLAB_KEYWORDS and name != "default") or not isinstance(job, dict):
            continue
        for key in ("before_script", "script", "after_script"):
            lines = job.get(key) or []
            if lines:
                yield Script(f"{GITLAB.relative_to(ROOT)}: {name}.{key}", "\n".join(lines))


COMMAND = re.compile(r"\bccai-reconciler\s+([A-Za-z][\w-]*)")
#: Where a shell command ends: a pipe, a list operator, a redirection.
END = re.compile(r"\s(?:\|\||&&|\||;|[0-9]?>)")
FLAG = re.compile(r"(?:^|[\s(+=])(--?[A-Za-z][\w-]*)")


def command_lines(text: str) -> Iterator[tuple[str, list[str], str]]:
    """(subcommand, flags, the line) for every ``ccai-reconciler`` call in a script."""
    joined = re.sub(r"\\\n\s*", " ", text)
    for line in joined.splitlines():
        calls = list(COMMAND.finditer(line))
        ends = [m.start() for m in calls[1:]] + [len(line)] if calls else []
        for m, end in zip(calls, ends, strict=True):
            rest = line[m.end() : end]
            rest = END.split(rest, maxsplit=1)[0]
            yield m.group(1), FLAG.findall(rest), line.strip()
