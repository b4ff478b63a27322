"""A fast file's roles:/teams: members are read without a node per member (groups._item_loc):
the same state, locations and diagnostics as the exact path, for good and odd members in both
forms of a group (NAME: [..] and NAME: {members: [..]}), in a fast file and a slow one."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.config import fastyaml, plainyaml
from reconciler.config.loader import load_config_sources
from tests.config.test_fastusers import NOW, _outcome

USERS = "".join(
    f"  - email: u{i}@example.com\n    first_name: F{i}\n    last_name: L{i}\n" for i in range(6)
)

MEMBERS = [
    "u0@example.com",
    "U1@Example.com",  # case differs from the declared address
    "  u2@example.com  ",
    "u0@example.com",  # listed twice
    "not-an-address",
    5,
    None,
    ["u3@example.com"],
    {"email": "u4@example.com"},
    "nobody@example.com",  # not declared
    "u5@example.com",
]


def _yaml_list(items: list[Any], indent: str) -> str:
    out = []
    for it in items:
        if it is None:
            out.append(f"{indent}- null\n")
        elif isinstance(it, list):
            out.append(f"{indent}- [{', '.join(it)}]\n")
        elif isinstance(it, dict):
            out.append(f"{indent}- email: {it['email']}\n")  # block style: a plain file
        elif isinstance(it, str):
            out.append(f'{indent}- "{it}"\n')
        else:
            out.append(f"{indent}- {it}\n")
    return "".join(out)


BLANKS = ["", "   "]  # a blank quoted string keeps a file off the fast path


@pytest.mark.parametrize("form", ["list", "members"])
@pytest.mark.parametrize(
    ("members", "plain"),
    [(MEMBERS[:3] + MEMBERS[-1:], True), (MEMBERS, True), (MEMBERS + BLANKS, False)],
)
def test_members_read_as_on_the_exact_path(
    form: str, members: list[Any], plain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if form == "list":
        body = "teams:\n  Tier 1:\n" + _yaml_list(members, "    ")
    else:
        body = "teams:\n  Tier 1:\n    members:\n" + _yaml_list(members, "      ")
    body += "roles:\n  Agent: [u0@example.com, u5@example.com]\n"
    files = [("users.yaml", ("users:\n" + USERS).encode()), ("groups.yaml", body.encode())]
    seen: list[Any] = []

    def load(fast: bool) -> Any:
        return load_config_sources(files, now=NOW, fast=fast)

    slow = _outcome(lambda: load(False), seen)
    monkeypatch.setattr(fastyaml, "FAST_MIN_BYTES", 0)  # every file takes the fast path
    assert (plainyaml.plain_data(body) is not None) is plain  # the fast path or not
    fast = _outcome(lambda: load(True), seen)
    assert fast == slow
    if len(members) > 4:
        assert slow[0][0] == "error" and len(slow[0][1]) >= 6  # each odd member reported
