"""The cheap pre-check (:func:`reconciler.config.plainyaml.refused`) decides exactly as the old
one did (kept verbatim in :mod:`tests.config.precheck_oracle`): step by step, on every string
of the fast-path tests, each of their lines alone and in a file, the fixtures and examples,
generated configs, every character, every short text over the characters that matter, and a
few hundred thousand seeded random edits.
"""

from __future__ import annotations

import ast
import itertools
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from reconciler.config import plainyaml
from tests.config import precheck_oracle as oracle
from tests.config import test_errors, test_fastyaml_adversarial, test_fastyaml_adversarial2
from tests.config.test_fastyaml import config_load

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SOURCES = ("test_fastyaml.py", "test_fastyaml_adversarial.py", "test_fastyaml_adversarial2.py")
U = "users:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n"
#: What the checks look at: indicators, quotes, brackets, breaks, markers, odd characters.
ALPHABET = "\n :-'\"[]@.#a,"
SPICE = [
    *ALPHABET,
    *"!&*|>%?<\\`{}\t\r~\x00\x1f\x7f\x80\x85\x9f\xa0\u2027\u2028\u2029\u202a",
    *"\ud7ff\ud800\udfff\ue000\ufeff\ufffd\ufffe\uffff\U00010000\U0001f600\U0010ffff\u00e9",
    "---",
    "...",
    "''",
    '""',
    "- ",
    ": ",
    "  ",
    " #",
    "[a, b]",
    '["A", B]',
    "\n- ",
    "\n  ",
]
assert len(plainyaml.CHECKS) == len(oracle.OLD_CHECKS)


def _decisions(text: str) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    new = tuple(bool(check(text)) for check in plainyaml.CHECKS)
    old = tuple(bool(check(text)) for check in oracle.OLD_CHECKS)
    return new, old


def _differences(texts: Iterable[str]) -> list[tuple[str, tuple[bool, ...], tuple[bool, ...]]]:
    wrong = []
    for text in texts:
        new, old = _decisions(text)
        if new != old or plainyaml.refused(text) != oracle.old_refused(text):
            wrong.append((text, new, old))
    return wrong


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _strings(v)


def _corpus() -> list[str]:
    """Every string of the fast-path tests (literals in their source, and their cases as
    built), the error corpus, the fixture and example configs and generated configs."""
    found: set[str] = set()
    for name in SOURCES:
        tree = ast.parse((HERE / name).read_text(encoding="utf-8"))
        found.update(
            n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) is str
        )
    for module in (test_fastyaml_adversarial, test_fastyaml_adversarial2, test_errors):
        for value in vars(module).values():
            if isinstance(value, str | dict | list | tuple):
                found.update(_strings(value))
    for base in ("tests", "examples"):
        found.update(p.read_text(encoding="utf-8") for p in (ROOT / base).rglob("*.yaml"))
    return sorted(found)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    texts = _corpus()
    for style in ("user", "group"):
        out = tmp_path_factory.mktemp(style)
        config_load.generate(out, style, users=200, dnc=100, files=2)
        texts.extend(p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.yaml")))
    return texts


def test_the_corpus(corpus: list[str]) -> None:
    assert len(corpus) > 500
    assert not _differences(corpus)
    refused = sum(oracle.old_refused(t) for t in corpus)
    assert 50 < refused < len(corpus) - 50  # both decisions are well represented


def test_every_line_alone_and_in_a_file(corpus: list[str]) -> None:
    lines = sorted({line for text in corpus for line in text.split("\n")})
    assert len(lines) > 500
    shapes = (
        lambda s: s,
        lambda s: s + "\n",
        lambda s: U + s + "\n",
        lambda s: U + "    location: " + s.strip() + "\n",
        lambda s: "dnc:\n  - " + s.strip() + "\n",
        lambda s: " " + s,
        lambda s: s + "\n" + U,
    )
    assert not _differences(shape(line) for line in lines for shape in shapes)


def test_every_character() -> None:
    chars = [*range(0x10000), *range(0x10000, 0x110000, 97), 0x10FFFF]
    texts = (t for c in map(chr, chars) for t in (c, U + "    location: A" + c + "\n"))
    assert not _differences(texts)


def test_every_short_text_over_the_characters_that_matter() -> None:
    texts = ("".join(p) for n in range(1, 5) for p in itertools.product(ALPHABET, repeat=n))
    assert not _differences(texts)


def test_long_lines() -> None:
    texts = [
        sep.join(["a" * n, "b" * m])
        for n in (0, 1, 999, 1000, 1001, 1500)
        for m in (0, 999, 1000, 1001)
        for sep in ("\n", " ", "\r", "\u2028")
    ]
    assert not _differences(texts)
    assert any(oracle.old_refused(t) for t in texts)


def _mutate(rnd: random.Random, text: str) -> str:
    for _ in range(rnd.randint(1, 4)):
        r = rnd.random()
        i = rnd.randrange(len(text) + 1)
        if r < 0.45:
            text = text[:i] + rnd.choice(SPICE) + text[i:]
        elif r < 0.7 and text:
            text = text[:i] + text[i + 1 :]
        elif r < 0.8:
            j = rnd.randrange(len(text) + 1)
            text = text[:i] + text[min(i, j) : max(i, j)] + text[i:]
        elif r < 0.9:
            lines = text.split("\n")
            lines.insert(rnd.randrange(len(lines) + 1), rnd.choice(lines))
            text = "\n".join(lines)
        else:
            text = text[:i] + rnd.choice("a \"'[") * rnd.choice((999, 1000, 1001)) + text[i:]
    return text


@pytest.mark.parametrize("seed", range(8))
def test_random_edits(seed: int, corpus: list[str]) -> None:
    """25,000 edits a seed (200,000 in all) of the corpus's small texts."""
    rnd = random.Random(seed)
    small = [t for t in corpus if len(t) < 2000] + [test_fastyaml_adversarial2.BASE]
    texts = [_mutate(rnd, rnd.choice(small)) for _ in range(25_000)]
    wrong = _differences(texts)
    assert not wrong, wrong[:3]
    decided = [oracle.old_refused(t) for t in texts[:2000]]
    assert 100 < sum(decided) < 1900
