"""The fast YAML path's pre-check as it was before it was made cheaper: the oracle that
tests/config/test_precheck_equivalence.py holds :func:`reconciler.config.plainyaml.refused` to.

A verbatim copy of the checks that ``plain_data`` ran before rapidyaml (one regular expression
pass per check over the whole text); do not change it.
"""

from __future__ import annotations

import re

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
_FLOW_ITEM = r"""(?:"[^"\n:#]*"|[^\[\]{}:#@'",\n ][^\[\]{}:#'",\n]*)"""
_FLOW = re.compile(rf"(?<=[:-] )\[ *(?:{_FLOW_ITEM} *(?:, *{_FLOW_ITEM} *)*)?\](?= *$| +#)", re.M)
_QUOTED = r"""(?:'(?:[^'\n]|'')*+'|"[^"\n]*+")"""
_UNUSUAL_QUOTE = re.compile(
    rf"""(?:^|[:-] )[ ]*(?:'(?:[^'\n]|'')*+$|"[^"\n]*+$|{_QUOTED}(?![ ]*:(?: |$)|[ ]+#|[ ]*$))""",
    re.M,
)
MAX_LINE = 1000
# plain_data's search of the emitted JSON for strings YAML might type (before its look-ahead).
CANDIDATE = re.compile(
    r'"([-+]?[0-9.][0-9a-zA-Z_.:+-]*|[-+]?\.(?:inf|Inf|INF)|~|[nN]ull|NULL|[tT]rue|TRUE'
    r'|[fF]alse|FALSE|)"'
)


def _char(text: str) -> bool:
    return bool(_UNUSUAL_CHAR.search(text))


def _start(text: str) -> bool:
    return bool(_UNUSUAL.search(text))


def _quote(text: str) -> bool:
    return bool(_UNUSUAL_QUOTE.search(text))


def _flow(text: str) -> bool:
    return bool(("[" in text or "]" in text) and re.search(r"[\[\]]", _FLOW.sub("", text)))


def _long(text: str) -> bool:
    return max(map(len, text.split("\n"))) > MAX_LINE


#: The old pre-check's steps, in the order of :data:`reconciler.config.plainyaml.CHECKS`.
OLD_CHECKS = (_char, _start, _quote, _flow, _long)


def old_refused(text: str) -> bool:
    """Whether the old pre-check sent ``text`` to the slow path (before rapidyaml ran):
    ``plain_data``'s first lines, verbatim."""
    if _UNUSUAL_CHAR.search(text) or _UNUSUAL.search(text) or _UNUSUAL_QUOTE.search(text):
        return True
    if ("[" in text or "]" in text) and re.search(r"[\[\]]", _FLOW.sub("", text)):
        return True
    return max(map(len, text.split("\n"))) > MAX_LINE
