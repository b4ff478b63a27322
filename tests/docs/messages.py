"""The error messages a user can meet, extracted from the package's source (AST), for the
troubleshooting test. The extraction rule (docs/troubleshooting.md, "How this page is checked"):

In every module of ``reconciler`` except the simulator's tenant internals
(``reconciler/simulator/``; its CLI command is included), a *message* is the first argument
of a call to
- an exception class (a name ending in ``Error``, ``Exception``, ``Timeout``, ``Refused`` or
  ``Interrupted``, and click's ``UsageError``/``BadParameter``/``ClickException``),
- ``Diagnostic(...)`` (a located problem), the config loader's ``err(...)``/``fail(...)``, the
  YAML converter's ``error(...)`` and the name check's ``_error(...)``/``_warn(...)``,
- ``click.echo(..., err=True)`` (stderr),
when that argument is a string: a constant, an f-string, a ``+``/implicit concatenation of
them, or the name of a module-level string constant (``raise ValueError(INVALID)``); for the
helpers that take the list first (``_error(out, message)``) it is the first string argument.
A ``message=`` keyword argument of any call (``PlanWarning(message=...)``,
``SafetyViolation(message=...)``: plan warnings and safety refusals) is a message too.
The message's *key* is its longest constant fragment (the text between two ``{...}``
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
CALLS = ("Diagnostic", "err", "fail", "error", "_error", "_warn")
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


def fragments(node: ast.expr, names: dict[str, str] | None = None) -> list[str] | None:
    """The constant parts of a string expression, or None when it is not one (``names``: the
    module's string constants)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and names and node.id in names:
        return [names[node.id]]
    if isinstance(node, ast.JoinedStr):
        out: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out.append(part.value)
            else:
                out.append("\0")  # a value: splits the text
        return ["".join(out)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = fragments(node.left, names), fragments(node.right, names)
        if left is None and right is None:
            return None
        return [a + b for a in left or ["\0"] for b in right or ["\0"]]
    if isinstance(node, ast.IfExp):
        a, b = fragments(node.body, names), fragments(node.orelse, names)
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


def _constants(tree: ast.Module) -> dict[str, str]:
    """The module's ``NAME = "text"`` assignments."""
    out: dict[str, str] = {}
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        ):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = stmt.value.value
    return out


def _texts(node: ast.Call, names: dict[str, str]) -> list[str]:
    """The message texts of one call (none when it is not a message call)."""
    out: list[str] = []
    for k in node.keywords:
        if k.arg == "message":
            out += fragments(k.value, names) or []
    if not node.args or not _is_message_call(node):
        return out
    args = node.args if _callee(node).startswith("_") else node.args[:1]
    for arg in args:
        found = fragments(arg, names)
        if found is not None:
            return out + found
    return out


def messages() -> list[Message]:
    found: dict[str, Message] = {}
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        names = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for text in _texts(node, names):
                key = _key(text)
                if key is not None and key not in found:
                    where = f"reconciler/{path.relative_to(PACKAGE)}:{node.lineno}"
                    found[key] = Message(key, where, text.replace("\0", "{}"))
    return list(found.values())
