"""plainyaml._values (rapidyaml's JSON decoded by msgspec, duplicate keys found by counting)
gives what json.loads with a hook per mapping and per integer gives, or refuses the same."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.config import plainyaml
from reconciler.config.plainyaml import _Unusual, _values, hooked_values
from tests.config.test_fastyaml_adversarial import CASES

REFUSALS = (_Unusual, ValueError, RecursionError)


def reference(emitted: str) -> Any:
    """The values as the hooks find them (the decoding before msgspec)."""
    return hooked_values(emitted)


def outcome(decode: Any, emitted: str) -> Any:
    try:
        return ("ok", decode(emitted))
    except REFUSALS:
        return ("refused",)


def emitted_of(yaml_text: str) -> str | None:
    import ryml

    try:
        with plainyaml.quiet_stderr():
            tree = ryml.parse_in_arena(yaml_text.encode("utf-8"))
            out = ryml.emit_json_malloc(tree, tree.root_id())
    except Exception:
        return None
    return out if isinstance(out, str) else None


def _nested(levels: int) -> str:
    """A tenant: section with mappings ``levels`` deep (counting the root's)."""
    keys = "".join(" " * (2 + i) + f"k{i}:\n" for i in range(levels - 1))
    return "tenant:\n" + keys + " " * (levels + 1) + "v\n"


U = "users:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n"
YAML: dict[str, str] = {
    "plain": U,
    "dup_root": U + "users: []\n",
    "dup_user_key": U + "    first_name: C\n",
    "dup_same_value": U + "    last_name: B\n",
    "dup_in_second_user": U + U[7:] + "    email: b@example.com\n",
    "dup_deep": "tenant:\n  a:\n    b:\n      c: 1\n      c: 2\n",
    "dup_with_backslash": U + "    location: 'a \"q\" b'\n    location: x\n",
    "quote_colon_value": U + "    location: 'say \"x\": y'\n",
    "quote_colon_value_dup": U + "    location: 'say \"x\": y'\n    location: z\n",
    "colon_space_value": U + "    location: 'a\": b'\n",
    "minus_zero_value": U + "    max_chat_limit: -0\n",
    "minus_zero_flow": "dnc:\n  - [1, -0]\n",
    "minus_zero_block": "dnc:\n  - -0\n",
    "minus_zero_text": U + "    agent_number: A-000\n    location: 'x -0'\n",
    "minus_zero_float": U + "    max_chat_limit: -0.0\n",
    "float": U + "    max_chat_limit: 2.5\n",
    "float_exp": U + "    max_chat_limit: 1e3\n",
    "big_int": U + "    max_chat_limit: 123456789012345678901234567890\n",
    "negative_int": U + "    max_chat_limit: -7\n",
    "inf": U + "    max_chat_limit: .inf\n",
    "nan": U + "    max_chat_limit: .nan\n",
    "null_true": U + "    location: null\n    max_chat_limit_enabled: true\n",
    "empty_key": U + "    '': x\n",
    "two_empty_keys": U + "    '': x\n    \"\": y\n",
    "numeric_keys": "tenant:\n  1: a\n  '1': b\n",
    **{f"deep_{n}": _nested(n) for n in (62, 63, 64, 65)},
}


def _params() -> list[Any]:
    texts = {**YAML, **{f"adversarial-{k}": v for k, v in CASES.items()}}
    out = []
    for name, text in texts.items():
        emitted = emitted_of(text)
        if emitted is not None:
            out.append(pytest.param(emitted, id=name))
    return out


@pytest.mark.parametrize("emitted", _params())
def test_same_values_or_the_same_refusal(emitted: str) -> None:
    assert outcome(_values, emitted) == outcome(reference, emitted)


@pytest.mark.parametrize(
    "name", ["dup_root", "dup_user_key", "dup_same_value", "dup_in_second_user", "dup_deep"]
)
def test_duplicate_keys_are_refused_on_the_msgspec_branch(name: str) -> None:
    emitted = emitted_of(YAML[name])
    assert emitted is not None and "\\" not in emitted  # the msgspec branch
    assert outcome(_values, emitted) == ("refused",)


def test_hand_written_json() -> None:
    cases = [
        '{"a": 1, "a": 1}',
        '{"a": {"b": 1, "c": 2}, "d": [{"e": 1}, {"e": 1, "e": 2}]}',
        '{"a": "x\\": y", "a": 2}',
        '{"a": [1,-0]}',
        '{"a": [\n  -0\n]}',
        '{"a": -0}',
        '{"a": "-0"}',
        '{"a": 1.0}',
        '{"a": NaN}',
        '{"a": 1}{"b": 2}',
        '{"a": "\\u00e9", "b": 1}',
        '{"a": 18446744073709551616}',
    ]
    for text in cases:
        assert outcome(_values, text) == outcome(reference, text), text


def _matches(rx: Any, text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(1)) for m in rx.finditer(text)]


def test_the_candidate_search_finds_what_it_found_without_its_look_ahead() -> None:
    """plain_data's search for strings YAML might type: the same matches as the expression
    before its look-ahead (kept in tests/config/precheck_oracle.py), over every emitted JSON
    of these cases and every short text over the characters that matter."""
    from itertools import product

    from tests.config.precheck_oracle import CANDIDATE

    texts = [p.values[0] for p in _params()]
    alphabet = ['"', "-", "+", "0", "7", ".", "~", "n", "N", "t", "T", "f", "F", "x", "e", ":", " "]
    texts += ["".join(t) for n in range(1, 5) for t in product(alphabet, repeat=n)]
    words = ["null", "Null", "NULL", "true", "True", "TRUE", "false", "FALSE", ".inf", "-.Inf"]
    texts += [f'"{w}"' for w in words] + [f'["{w}x", "{w}"]' for w in words]
    for text in texts:
        assert _matches(plainyaml._CANDIDATE, text) == _matches(CANDIDATE, text), text
