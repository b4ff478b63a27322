"""The recipes cannot rot: every ``ccai-reconciler`` command and flag that a workflow or
template runs exists in the CLI, and every input a workflow gives the action exists."""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.cli import command as cli_command
from reconciler.commands.schema import config_schema_text
from tests.ci.recipes import (
    ACTION,
    ACTION_USES,
    CONFIG_REPO,
    CONFIG_REPO_WORKFLOWS,
    GITHUB_WORKFLOWS,
    ROOT,
    command_lines,
    github_steps,
    load,
    scripts,
)


def options_of(command: click.Command | None) -> set[str]:
    assert command is not None
    names = {"-h", "--help"}
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def test_every_command_and_flag_the_recipes_run_exists() -> None:
    missing: list[str] = []
    seen: set[str] = set()
    for script in scripts():
        for sub, flags, line in command_lines(script.text):
            command = cli_command(sub)
            if command is None:
                missing.append(f"{script.where}: no command `{sub}` in: {line}")
                continue
            seen.add(sub)
            for flag in flags:
                if flag not in options_of(command):
                    missing.append(f"{script.where}: `{sub}` has no option {flag} in: {line}")
    assert not missing, "the recipes run what the CLI does not have:\n" + "\n".join(missing)
    # the parsing found the recipes' calls (the test would pass on nothing otherwise)
    assert seen >= {"validate", "plan", "apply", "github-comment", "gitlab-comment"}, seen


def test_the_command_parser_sees_conditional_flags() -> None:
    lines = list(
        command_lines(
            'ccai-reconciler plan -c "$C" ${B:+--base-ref "$B"} \\\n  --out x > plan.md 2>&1'
            " && ccai-reconciler apply --bogus"
        )
    )
    assert [(sub, flags) for sub, flags, _ in lines] == [
        ("plan", ["-c", "--base-ref", "--out"]),
        ("apply", ["--bogus"]),
    ]


def test_workflows_give_the_action_only_its_inputs() -> None:
    action = load(ACTION)
    inputs = set(action["inputs"])
    commands = {"validate", "plan", "apply"}
    problems: list[str] = []
    uses = 0
    for path in [*GITHUB_WORKFLOWS, *CONFIG_REPO_WORKFLOWS]:
        for where, step in github_steps(path):
            if not ACTION_USES.match(str(step.get("uses", ""))):
                continue
            uses += 1
            given = step.get("with") or {}
            problems += [f"{where}: the action has no input {k!r}" for k in set(given) - inputs]
            if given.get("command", action["inputs"]["command"]["default"]) not in commands:
                problems.append(f"{where}: command {given.get('command')!r} is not {commands}")
    assert not problems, "\n".join(problems)
    assert uses >= 5
    # the outputs the workflows read exist
    for path in GITHUB_WORKFLOWS:
        for name in ("has-changes", "exitcode"):
            if f"outputs.{name}" in path.read_text():
                assert name in action["outputs"], (path, name)


def test_config_repo_template_is_in_step_with_the_project() -> None:
    # the workflows are the recipes, byte for byte
    assert [p.name for p in CONFIG_REPO_WORKFLOWS] == [p.name for p in GITHUB_WORKFLOWS]
    for ours, template in zip(GITHUB_WORKFLOWS, CONFIG_REPO_WORKFLOWS, strict=True):
        assert template.read_text() == ours.read_text(), f"{template} differs from {ours}"
    # its YAML files point editors at this repository's schema, at the pinned tag
    schema_url = re.compile(
        r"# yaml-language-server: \$schema=https://raw\.githubusercontent\.com/"
        r"your-org/ccai-reconciler/v[\d.]+/(?P<path>\S+)$"
    )
    for path in (CONFIG_REPO / "config").rglob("*.yaml"):
        m = schema_url.match(path.read_text().splitlines()[0])
        assert m and (ROOT / m.group("path")).read_text() == config_schema_text(), path
    # the pre-commit hook it uses is the one this repository offers
    hooks = {h["id"] for h in load(ROOT / ".pre-commit-hooks.yaml")}
    used = [
        h["id"]
        for repo in load(CONFIG_REPO / ".pre-commit-config.yaml")["repos"]
        for h in repo["hooks"]
    ]
    assert used and set(used) <= hooks
    # and its config is valid
    result = CliRunner().invoke(cli, ["validate", str(CONFIG_REPO / "config")])
    assert result.exit_code == 0, result.output


def test_docs_name_every_action_input_output_and_github_comment_option() -> None:
    docs = (ROOT / "docs" / "ci.md").read_text()
    action = load(ACTION)
    missing = [f"input {k}" for k in action["inputs"] if f"`{k}`" not in docs]
    missing += [f"output {k}" for k in action["outputs"] if f"`{k}`" not in docs]
    options = options_of(cli_command("github-comment")) - {"-h", "--help"}
    missing += [f"github-comment {o}" for o in options if o not in docs]
    assert not missing, f"docs/ci.md does not mention: {missing}"
    gl_options = options_of(cli_command("gitlab-comment")) - {"-h", "--help"}
    assert not [o for o in gl_options if o not in docs], gl_options
