"""The error messages a user can meet, extracted from the package's source (AST), for the
troubleshooting test. The extraction rule (docs/troubleshooting.md, "How this page is checked"):

In every module of ``reconciler`` except the simulator's tenant internals
(``reconciler/simulator/``; its CLI command is included), a *message* is the first argument
of a call to
- an exception class (a name ending in ``Error``, ``Exception``, ``Timeout``, ``Refused`` or
  ``Interrupted``, and click's ``UsageError``/``BadParameter``/``ClickException``),
- ``Diagnostic(...)`` (a located problem) and the config loader's ``err(...)``/``fail(...)``,
- ``click.echo(..., err=True)`` (stderr),
when that argument is a string: a constant, an f-string, or a ``+``/implicit concatenation of
them. The message's *key* is its longest constant fragment (the text between two ``{...}``
parts), stripped of spaces and punctuation at the ends; fragments shorter than 12 characters
do not make a key (a message made only of values, like ``f"{err}"``, has none). The test
checks that every key appears verbatim in docs/troubleshooting.md.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import reconciler

PACKAGE = Path(reconciler.__file__).parent
SKIP_DIRS = ("simulator",)
CLASS_SUFFIXES = ("Error", "Exception", "Timeout", "Refused", "Interrupted")
CLICK_ERRORS = ("UsageError", "BadParameter", "ClickException")
CALLS = ("Diagnostic", "err", "fail")
MIN_KEY = 12
STRIP = " \t\n.,:;!?'\"()[]-"


@dataclass(frozen=True)
class Message:
    key: str
    where: str  # module path:line
    text: str  # the whole message, each value as {}

    def __str__(self) -> str:
        return f"{self.where}: {self.key!r}"


def _callee(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return ""


def _is_message_call(node: ast.Call) -> bool:
    name = _callee(node)
    if name == "echo":
        return any(
            k.arg == "err" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        )
    return name in CALLS or name in CLICK_ERRORS or name.endswith(CLASS_SUFFIXES)


def fragments(node: ast.expr) -> list[str] | None:
    """The constant parts of a string expression, or None when it is not one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out.append(part.value)
            else:
                out.append("\0")  # a value: splits the text
        return ["".join(out)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = fragments(node.left), fragments(node.right)
        if left is None and right is None:
            return None
        return [a + b for a in left or ["\0"] for b in right or ["\0"]]
    if isinstance(node, ast.IfExp):
        a, b = fragments(node.body), fragments(node.orelse)
        return None if a is None and b is None else (a or []) + (b or [])
    return None


def _key(text: str) -> str | None:
    parts = [p.strip(STRIP) for p in text.split("\0")]
    best = max(parts, key=len, default="")
    return best if len(best) >= MIN_KEY else None


def _modules() -> list[Path]:
    files = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in SKIP_DIRS:
            continue
        files.append(path)
    return files


def messages() -> list[Message]:
    found: dict[str, Message] = {}
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args or not _is_message_call(node):
                continue
            for text in fragments(node.args[0]) or []:
                key = _key(text)
                if key is not None and key not in found:
                    where = f"reconciler/{path.relative_to(PACKAGE)}:{node.lineno}"
                    found[key] = Message(key, where, text.replace("\0", "{}"))
    return list(found.values())
