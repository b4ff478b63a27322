"""The command lines of the docs cannot rot: every ``ccai-reconciler`` command and flag that
docs/getting-started.md (and the examples of docs/commands.md) tells a user to run exists in the
CLI. The lines are those of the shell blocks (```sh, and the ``$ `` lines of ```console) and
the inline code spans that start with ``ccai-reconciler``; they are split into command and flags
by the recipes' own parser (tests/ci/recipes.py), so the docs and the CI recipes are checked by
the same rule."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from reconciler.cli import command as cli_command
from tests.ci.recipes import command_lines
from tests.ci.test_recipes import options_of

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"(?<!`)`(ccai-reconciler [^`]+)`(?!`)")
#: A shell comment: ``#`` after a blank, to the end of the line.
COMMENT = re.compile(r"\s#.*$")
SHELLS = {"sh", "bash", "shell"}


def shell_lines(text: str) -> Iterator[str]:
    """The lines a reader would type: shell blocks without comments, the ``$`` lines of
    console blocks, and inline ``ccai-reconciler ...`` spans."""
    for match in FENCE.finditer(text):
        lang, body = match.group(1), match.group(2)
        if lang == "console":
            lines = [ln[2:] for ln in body.splitlines() if ln.startswith("$ ")]
        elif lang in SHELLS:
            lines = body.splitlines()
        else:
            continue
        for line in lines:
            yield COMMENT.sub("", line)
    outside = FENCE.sub("", text)
    yield from (m.group(1) for m in INLINE.finditer(outside))


def resolve(sub: str, line: str) -> click.Command | None:
    """The command ``ccai-reconciler SUB ...`` runs: a group's subcommand when the next word
    names one (``jobs show 1``), else SUB itself."""
    command = cli_command(sub)
    if isinstance(command, click.Group):
        after = re.search(rf"\bccai-reconciler\s+{re.escape(sub)}\s+([a-z][\w-]*)", line)
        nested = command.get_command(click.Context(command), after.group(1)) if after else None
        if nested is not None:
            return nested
    return command


def problems(text: str) -> tuple[list[str], set[str]]:
    """(what the CLI lacks, the commands seen) for the command lines of ``text``."""
    missing: list[str] = []
    seen: set[str] = set()
    for shell in shell_lines(text):
        for sub, flags, line in command_lines(shell):
            command = resolve(sub, line)
            if command is None:
                missing.append(f"no command `{sub}` in: {line}")
                continue
            seen.add(sub)
            missing += [
                f"`{command.name}` has no option {flag} in: {line}"
                for flag in flags
                if flag not in options_of(command)
            ]
    return missing, seen


@pytest.mark.parametrize("name", ["getting-started.md", "commands.md"])
def test_every_command_line_of_the_docs_exists_in_the_cli(name: str) -> None:
    missing, seen = problems((DOCS / name).read_text(encoding="utf-8"))
    assert not missing, f"docs/{name} runs what the CLI does not have:\n" + "\n".join(missing)
    # the parsing found the doc's calls (the test would pass on nothing otherwise)
    assert seen >= {"validate", "plan", "apply", "export", "jobs"}, seen


def test_the_getting_started_tour_is_all_there() -> None:
    _, seen = problems((DOCS / "getting-started.md").read_text(encoding="utf-8"))
    assert "simulator" in seen


def test_a_wrong_command_or_flag_is_found() -> None:
    text = (
        "```sh\nccai-reconciler plan -c config/ --bogus   # --also-not-a-flag in a comment\n"
        "ccai-reconciler jobs show 1 --limit 3\nccai-reconciler deploy\n```\n"
        "```console\n$ ccai-reconciler apply --auto-aprove\nccai-reconciler output --nope\n```\n"
        "Run `ccai-reconciler validate --strict` first.\n"
    )
    missing, _ = problems(text)
    assert missing == [
        "`plan` has no option --bogus in: ccai-reconciler plan -c config/ --bogus",
        "`show` has no option --limit in: ccai-reconciler jobs show 1 --limit 3",
        "no command `deploy` in: ccai-reconciler deploy",
        "`apply` has no option --auto-aprove in: ccai-reconciler apply --auto-aprove",
        "`validate` has no option --strict in: ccai-reconciler validate --strict",
    ]
