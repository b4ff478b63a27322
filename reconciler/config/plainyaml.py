"""Is a YAML file *plain*, and its values if so: rapidyaml's parse, emitted as JSON, checked.

For a file that a cheap pre-check proves plain (no tags, anchors, aliases, merge or complex keys,
block scalars, escapes, directives, document markers, tabs or non-printable characters),
:func:`plain_data` lets rapidyaml (C++) parse it and emit JSON, which msgspec (or, for the
rare text :func:`_values` cannot prove, :func:`json.loads`) turns into Python values in one C
pass. The JSON is then checked for what JSON alone would hide:
duplicate keys, nesting deeper than :data:`~reconciler.config.yamlio.MAX_DEPTH`, floats, and any
string whose YAML 1.2 typing could differ (``~``, ``True``, ``0x1F``, ``0101``: rapidyaml quotes
those, ruamel.yaml types them). Anything unusual, or any parse error, returns ``None``: the
caller reads the file with the exact slow path (:mod:`~reconciler.config.yamlio`), which reports
every error. :mod:`~reconciler.config.fastyaml` wraps the values for the section readers.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from reconciler.config import yamlio

#: Root sections a fast file may hold (the small sections stay on the slow path: their
#: locations are made after every file is read, so creation order would not be file order).
FAST_SECTIONS = frozenset({"version", "tenant", "users", "roles", "teams", "dnc"})

# One character class: what YAML may print (ruamel.yaml's Reader.NON_PRINTABLE is its
# complement) less tabs, carriage returns, the other line breaks ruamel.yaml knows (U+0085,
# U+2028, U+2029: rapidyaml does not break lines there), the indicators of tags, anchors,
# aliases, block scalars, directives and complex or merge keys (``!&*|>%?<`` and backslash
# escapes), the reserved indicator ````` and flow mappings (``{}``: rapidyaml accepts flow
# keys that ruamel.yaml refuses, such as ``{a:1}``).
_REFUSED_ASCII = "!&*|>%?<\\`{}"
_PLAIN_ASCII = "".join(re.escape(c) for c in map(chr, range(0x20, 0x7F)) if c not in _REFUSED_ASCII)
_UNUSUAL_CHAR = re.compile(
    f"[^\\n{_PLAIN_ASCII}\\xa0-\\u2027\\u202a-\\ud7ff\\ue000-\\ufffd\\U00010000-\\U0010ffff]"
)
_UNUSUAL = re.compile(
    r"^(?:---|\.\.\.)"  # document markers
    r"|(?:^|[ ])@",  # a plain scalar starting with the reserved indicator '@' (rapidyaml takes it)
    re.M,
)
# The one flow collection a fast file may hold: a one-line list of simple items as a value
# (``roles: ["Admin", Agent]``, ``- [a, b]``), nothing after it but a comment. rapidyaml and
# ruamel.yaml differ on ':' or '@' in flow items, on flow mappings and on nesting.
_FLOW_ITEM = r"""(?:"[^"\n:#]*"|[^\[\]{}:#@'",\n ][^\[\]{}:#'",\n]*)"""
_FLOW = re.compile(rf"(?<=[:-] )\[ *(?:{_FLOW_ITEM} *(?:, *{_FLOW_ITEM} *)*)?\](?= *$| +#)", re.M)
# A quoted scalar (where a scalar may start: after indentation, ': ' or '- ') that does not
# close on its line, or that is followed on its line by anything but a comment or a key's ':'.
# rapidyaml folds a quoted key over two lines and takes "'a'  - b" as one item; ruamel.yaml
# refuses both. (Possessive: "'it''s'" is one scalar, not 'it' followed by "'s'".)
_QUOTED = r"""(?:'(?:[^'\n]|'')*+'|"[^"\n]*+")"""
_UNUSUAL_QUOTE = re.compile(
    rf"""(?:^|[:-] )[ ]*(?:'(?:[^'\n]|'')*+$|"[^"\n]*+$|{_QUOTED}(?![ ]*:(?: |$)|[ ]+#|[ ]*$))""",
    re.M,
)
#: A longer line may hold an implicit key over ruamel.yaml's 1024-character limit.
MAX_LINE = 1000
# The same checks made cheap (tests/config/test_precheck_equivalence.py holds :func:`refused`
# to the expressions above, kept verbatim in tests/config/precheck_oracle.py): each expression
# below starts with a literal character, so the search jumps from one occurrence of it to the
# next instead of trying the alternation at every position, and a file without a quote,
# bracket or non-ASCII character skips the expressions that need one.
_REFUSED_IN_ASCII = tuple(c for c in map(chr, range(0x80)) if _UNUSUAL_CHAR.match(c))
_REFUSED_NON_ASCII = re.compile("[\x80-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_MARKER = re.compile(r"\n(?:---|\.\.\.)")  # '^(?:---|\.\.\.)' after the first line
_AT = re.compile(r"@(?<=[\n ]@)")  # '(?:^|[ ])@' after the first character
# Where _UNUSUAL_QUOTE can match, its quote follows a line break, '[:-] ' or two spaces (or
# starts the text after at most one space): a text with none of those skips it.
_SCALAR_QUOTE = {q: re.compile(f"{q}(?:(?<=\n{q})|(?<=[\n:-] {q})|(?<=  {q}))") for q in ("'", '"')}
_FLOW_AT = re.compile(  # _FLOW, with its look-behind after the '['
    rf"\[(?<=[:-] \[) *(?:{_FLOW_ITEM} *(?:, *{_FLOW_ITEM} *)*)?\](?= *$| +#)", re.M
)
_LONG_LINE = re.compile(f"\n[^\n]{{{MAX_LINE + 1}}}")  # a line after the first over MAX_LINE
# JSON strings that might be YAML 1.2 numbers, booleans or nulls (a superset; each is checked).
# The look-ahead (the characters the alternatives start with) lets most quotes fail at once
# instead of trying every alternative: a quarter of the cost over a 13 MB config.
_CANDIDATE = re.compile(
    r'"(?=[-+0-9.~nNtTfF"])'
    r"([-+]?[0-9.][0-9a-zA-Z_.:+-]*|[-+]?\.(?:inf|Inf|INF)|~|[nN]ull|NULL|[tT]rue|TRUE"
    r'|[fF]alse|FALSE|)"'
)
# rapidyaml writes these *plain* scalars bare in JSON, so as a JSON string they were quoted.
_BARE_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_TYPED = (yamlio.INT, yamlio.FLOAT, yamlio.BOOL, yamlio.NULL)


class _Unusual(Exception):
    """Not plain: the slow path reads it."""


def _typed(text: str) -> bool:
    """Would ruamel.yaml (with :class:`~reconciler.config.yamlio.FastResolver`) type this plain
    scalar as something other than a string?"""
    for tag, regexp in yamlio._IMPLICIT.get(text[:1], ()):
        if str(tag) in _TYPED and regexp.match(text):
            return True
    return False


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Unusual("duplicate key")
    return out


def _int(text: str) -> int:
    if text.startswith("-0"):
        raise _Unusual("-0")  # '-0' and 0 print differently
    return int(text)


def _refuse(text: str) -> Any:
    raise _Unusual(f"number {text}")  # floats: rapidyaml rewrites them (.5 -> 0.5)


def _deep(data: Any) -> bool:
    """Is there a collection more than ``MAX_DEPTH - 2`` levels below ``data``? (Level by
    level: one comprehension per level instead of a stack push per collection.)"""
    return _walk(data)[0]


def _walk(data: Any) -> tuple[bool, int]:
    """(:func:`_deep`, the number of keys of all mappings in ``data``)."""
    level = [data]
    keys = 0
    for _ in range(yamlio.MAX_DEPTH - 1):
        keys += sum([len(value) for value in level if type(value) is dict])
        level = [
            item
            for value in level
            for item in (value.values() if type(value) is dict else value)
            if type(item) is dict or type(item) is list
        ]
        if not level:
            return False, keys
    return True, keys


# JSON without floats (the hook refuses each), decoded in C; see _values.
# Where the number -0 could be (a superset: also in strings, after any character a JSON value
# can follow).
# (A literal first: the search jumps from one '-0' to the next, as in 'A-000'.)
_MINUS_ZERO = re.compile(r"-0(?<=[:\[, \n]-0)(?![.0-9eE])")
_NOT_DECODED = object()
_NO_FLOATS = msgspec.json.Decoder(float_hook=_refuse)


def _values(emitted: str) -> Any:
    """The values of rapidyaml's JSON; ``_Unusual`` (or a JSON error) for a duplicate key, a
    float, ``-0`` or a constant, as :func:`json.loads` with hooks finds them.

    Without a backslash in the JSON every ``"`` delimits a string, so ``": `` follows each key
    and nothing else: the keys of the text, counted, equal the keys of the values unless a key
    was repeated (a dict keeps one). Such a text is decoded by msgspec, 2x faster than
    :func:`json.loads` calling a hook per mapping and per integer. Any other text (or
    anything msgspec refuses) takes json.loads with its hooks."""
    data: Any = _NOT_DECODED
    if "\\" not in emitted and not _MINUS_ZERO.search(emitted):
        try:
            data = _NO_FLOATS.decode(emitted)
        except (_Unusual, msgspec.MsgspecError):
            data = _NOT_DECODED  # json.loads finds the same problem and says which
    if data is _NOT_DECODED:
        return hooked_values(emitted)
    deep, keys = _walk(data)
    if keys != emitted.count('": '):
        raise _Unusual("duplicate key")
    if deep:
        raise RecursionError  # (too deep for the fast path: the slow path reports it)
    return data


def hooked_values(emitted: str) -> Any:
    """:func:`_values` by :func:`json.loads` with a hook per mapping and per integer (the
    decoding before msgspec, and the one :func:`_values` is held to by its tests)."""
    data = json.loads(
        emitted,
        object_pairs_hook=_pairs,
        parse_int=_int,
        parse_float=_refuse,
        parse_constant=_refuse,
    )
    if _deep(data):
        raise RecursionError
    return data


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """rapidyaml prints its parse errors on file descriptor 2; the slow path reports them."""
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no stderr at all
        yield
        return
    try:
        sys.stderr.flush()
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _unusual_char(text: str) -> bool:
    """``_UNUSUAL_CHAR.search(text)``."""
    if any(c in text for c in _REFUSED_IN_ASCII):
        return True
    return not text.isascii() and bool(_REFUSED_NON_ASCII.search(text))


def _unusual_start(text: str) -> bool:
    """``_UNUSUAL.search(text)``: a document marker, or '@' starting a plain scalar."""
    return text.startswith(("---", "...", "@")) or bool(_MARKER.search(text) or _AT.search(text))


def _unusual_quote(text: str) -> bool:
    """``_UNUSUAL_QUOTE.search(text)``, run only where it might match."""
    return (
        text.startswith(("'", '"', " '", ' "'))
        or ("'" in text and bool(_SCALAR_QUOTE["'"].search(text)))
        or ('"' in text and bool(_SCALAR_QUOTE['"'].search(text)))
    ) and bool(_UNUSUAL_QUOTE.search(text))


def _unusual_flow(text: str) -> bool:
    """A bracket left once every simple one-line flow list (:data:`_FLOW`) is taken out."""
    if "[" not in text and "]" not in text:
        return False
    rest = _FLOW_AT.sub("", text)
    return "[" in rest or "]" in rest


def _long_line(text: str) -> bool:
    """A line longer than :data:`MAX_LINE` (without flow collections, this also bounds the
    nesting rapidyaml sees)."""
    first = text.find("\n")
    return (len(text) if first < 0 else first) > MAX_LINE or bool(_LONG_LINE.search(text))


#: The pre-check, cheapest first; each is the same test as one step of the original pre-check.
CHECKS = (_unusual_char, _unusual_start, _unusual_quote, _unusual_flow, _long_line)


def refused(text: str) -> bool:
    """The pre-check: does ``text`` hold an unusual character (:data:`_UNUSUAL_CHAR`), a
    document marker or a plain scalar starting with '@' (:data:`_UNUSUAL`), an unusual quoted
    scalar (:data:`_UNUSUAL_QUOTE`), a flow list other than the simple one-line kind
    (:data:`_FLOW`) or a line longer than :data:`MAX_LINE`?"""
    return any(check(text) for check in CHECKS)


def plain_data(text: str) -> dict[str, Any] | None:
    """The root mapping of ``text`` if it is plain (see the module doc), else ``None``."""
    if refused(text):
        return None
    import ryml

    try:
        with quiet_stderr():
            tree = ryml.parse_in_arena(text.encode("utf-8"))
            emitted = ryml.emit_json_malloc(tree, tree.root_id())
    except Exception:
        return None
    del tree
    if not isinstance(emitted, str):
        return None  # an empty document
    for match in _CANDIDATE.finditer(emitted):
        word = match.group(1)
        if not _BARE_INT.fullmatch(word) and (word == "" or _typed(word)):
            return None
    try:
        data = _values(emitted)
    except (_Unusual, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not data.keys() <= FAST_SECTIONS:
        return None
    return data
