"""The wording of config errors: value kinds, shown values, did-you-mean suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from ruamel.yaml.nodes import Node, ScalarNode, SequenceNode

PATTERN_HELP = {
    "subdomain": "the tenant's host name label, such as 'demo'",
    "domain": "a domain name, such as 'ccaiplatform.com'",
}


def did_you_mean(name: str) -> str:
    """The wording of every suggestion: `` (did you mean 'X'?)``."""
    return f" (did you mean {name!r}?)"


def suggest(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str:
    """The choice closest to ``word`` (one that differs only in case first), as
    :func:`did_you_mean`, or ``""``. The one did-you-mean of the package: config keys and
    members (cutoff 0.6) and the tenant's role, team and location names (diffnames, 0.7)."""
    choices = list(choices)
    folded = word.casefold()
    for choice in choices:
        if choice.casefold() == folded and choice != word:
            return did_you_mean(choice)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return did_you_mean(close[0]) if close else ""


def suggest_email(email: str, choices: Iterable[str]) -> str:
    """A declared address close to ``email``: the same domain and a close local part (a typo
    in the name), or nearly the same address (a typo in the domain). Whole addresses are not
    compared loosely: a shared ``@example.com`` makes unrelated people look alike."""
    local, _, domain = email.rpartition("@")
    same_domain: dict[str, str] = {}
    others: list[str] = []
    for choice in choices:
        c_local, _, c_domain = choice.rpartition("@")
        if c_domain == domain:
            same_domain.setdefault(c_local, choice)
        else:
            others.append(choice)
    close = difflib.get_close_matches(local, list(same_domain), n=1, cutoff=0.75)
    if close:
        return did_you_mean(same_domain[close[0]])
    near = difflib.get_close_matches(email, others, n=1, cutoff=0.9)
    return did_you_mean(near[0]) if near else ""


def field_path(path: Sequence[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def node_kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return "a single value"
    return "a mapping"


def show(value: Any) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        return kind_of(value)
    return repr(value)
