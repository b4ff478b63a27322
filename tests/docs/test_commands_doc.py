"""docs/commands.md documents every command and option of the CLI (walked from click's tree at
test time, so a new command or option fails here until it is documented).

The rule: each command has a heading ``## `ccai-reconciler PATH` `` (any level); its section
(up to the next such heading) names each of the command's options by every flag
(``-c``/``--config``), and each argument by its metavar, in backticks (`` `--out` `` or
`` `--out FILE` ``; `` `--out-dir` `` does not name ``--out``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click

from reconciler.cli import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
HEADING = re.compile(r"^#+ `ccai-reconciler(?P<path>(?: [a-z][a-z-]*)*)`", re.MULTILINE)


def commands(cmd: click.Command = cli, path: str = "") -> Iterator[tuple[str, click.Command]]:
    yield path, cmd
    if isinstance(cmd, click.Group):
        # list_commands/get_command, not cmd.commands: the root group loads its commands lazily
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None:
                yield from commands(sub, f"{path} {name}".strip())


def sections(text: str) -> dict[str, str]:
    found = list(HEADING.finditer(text))
    out: dict[str, str] = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        out[match["path"].strip()] = text[match.end() : end]
    return out


def names_of(param: click.Parameter, ctx: click.Context) -> list[str]:
    if isinstance(param, click.Option):
        return [*param.opts, *param.secondary_opts]
    return [param.make_metavar(ctx) if hasattr(param, "make_metavar") else param.name or ""]


def documents(section: str, name: str) -> bool:
    """Whether ``section`` names ``name`` in backticks, as itself (not as a prefix)."""
    return re.search(rf"`{re.escape(name)}(?![\w-])", section) is not None


def missing() -> list[str]:
    docs = sections(DOC.read_text(encoding="utf-8"))
    gaps: list[str] = []
    for path, cmd in commands():
        shown = f"ccai-reconciler {path}".strip()
        if cmd.hidden:
            continue
        if path not in docs:
            gaps.append(f"command `{shown}`: no heading")
            continue
        ctx = click.Context(cmd, info_name=shown)
        for param in cmd.get_params(ctx):
            if getattr(param, "hidden", False) or param.name == "help":
                continue
            for name in names_of(param, ctx):
                if not documents(docs[path], name):
                    gaps.append(f"command `{shown}`: `{name}` not documented")
    return gaps


def test_every_command_and_option_is_in_commands_md() -> None:
    gaps = missing()
    assert not gaps, "docs/commands.md lacks:\n" + "\n".join(gaps)


def test_a_longer_flag_does_not_document_a_shorter_one() -> None:
    text = "## `ccai-reconciler plan`\n`--out-dir DIR`, `-cx`\n"
    section = sections(text)["plan"]
    assert documents(section, "--out-dir")
    assert not documents(section, "--out")
    assert not documents(section, "-c")


def test_the_walk_sees_the_nested_commands() -> None:
    paths = [p for p, _ in commands()]
    assert "" in paths and "plan" in paths and "jobs show" in paths
