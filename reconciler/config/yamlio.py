"""Reading YAML safely, keeping the source position of every value.

The C parser of ruamel.yaml composes each file into a node tree (every node keeps its
``start_mark``); :func:`to_python` turns the tree into plain Python values while checking the
hazards a config must not contain: custom tags, aliases (and with them alias-expansion bombs),
merge keys, duplicate keys, non-scalar keys and absurd nesting. Nothing here raises: every
problem becomes a :class:`~reconciler.errors.Diagnostic`.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import MutableMapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers
from ruamel.yaml.tag import Tag

from reconciler.errors import Diagnostic
from reconciler.state import Location

#: Largest config file read, in bytes (a 50,000-user config is about 14 MB in total).
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Deepest nesting of mappings/lists accepted (a config needs 5).
MAX_DEPTH = 64
#: Above this bound on the possible nesting, the events are counted before composing.
SAFE_DEPTH_BOUND = 5000

_T = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP = (
    _T + "str",
    _T + "int",
    _T + "float",
    _T + "bool",
    _T + "null",
    _T + "timestamp",
)
MAP, SEQ, MERGE = _T + "map", _T + "seq", _T + "merge"
_SCALAR_TAGS = {STR, INT, FLOAT, BOOL, NULL, TIMESTAMP}


_TAGS = {
    name: Tag(suffix=name) for name in (STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, MAP, SEQ, MERGE)
}
# YAML 1.2 implicit types by first character (the core schema as ruamel.yaml defines it).
_IMPLICIT: dict[str, list[tuple[Tag, Any]]] = {}
for _versions, _tag, _regexp, _firsts in implicit_resolvers:
    if (1, 2) in _versions and _tag in _TAGS:
        for _first in _firsts:
            _compiled = re.compile(_regexp.pattern, _regexp.flags)  # not ruamel's lazy proxy
            _IMPLICIT.setdefault(_first, []).append((_TAGS[_tag], _compiled))


_TAG_NAMES = {id(tag): name for name, tag in _TAGS.items()}


def tag_of(node: Node) -> str:
    """The node's tag as text (fast for the shared tags :class:`FastResolver` hands out)."""
    ctag = node.ctag
    return _TAG_NAMES.get(id(ctag)) or str(ctag)


class FastResolver(VersionedResolver):
    """YAML 1.2 implicit typing without ruamel's per-scalar version lookup (the slowest part
    of composing a large config: 17 s of 27 s on 50,000 users)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _TAGS[STR]
        if kind is SequenceNode:
            return _TAGS[SEQ]
        return _TAGS[MAP]


class _Bad:
    """A value that could not be read (the error is already reported): mappings drop the key,
    lists keep the placeholder so items stay aligned with their nodes."""

    def __repr__(self) -> str:
        return "<unreadable value>"


BAD = _Bad()


class LazyNode:
    """Marker base of the shadow nodes of :mod:`~reconciler.config.fastyaml`: they make their
    own (lazy) locations and mapping indexes."""

    __slots__ = ()

    def location(self) -> Location:
        raise NotImplementedError

    def index(self) -> dict[str, tuple[Node, Node]]:
        raise NotImplementedError

    def key_locations(self, names: Sequence[str]) -> MutableMapping[str, Location]:
        raise NotImplementedError


def key_locations(
    file: str, node: Node, index: dict[str, tuple[Node, Node]], names: Sequence[str]
) -> MutableMapping[str, Location]:
    """The locations of the keys ``names`` of the mapping ``node`` (``index``: its
    :func:`mapping_index`): made at once for a composed node, on first use for a fast file's
    (a no-change plan reads none of them)."""
    if isinstance(node, LazyNode):
        return node.key_locations(names)
    return {name: loc_of(file, index[name][0]) for name in names}


def loc_of(file: str, node: Node) -> Location:
    if isinstance(node, LazyNode):
        return node.location()
    mark = node.start_mark
    return Location(file, mark.line + 1, mark.column + 1)


def _loc_at_offset(file: str, text: str, offset: int) -> Location:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Location(file, line, col)


def decode(file: str, data: bytes) -> tuple[str | None, Diagnostic | None]:
    """UTF-8 text of ``data`` (a leading BOM dropped), or a diagnostic at the first bad byte."""
    if len(data) > MAX_FILE_BYTES:
        return None, Diagnostic(
            f"file is {len(data) / 1048576:.1f} MiB, over the limit of "
            f"{MAX_FILE_BYTES // 1048576} MiB per config file; split it into several files",
            Location(file, 1, 1),
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        good = data[: err.start].decode("utf-8")
        loc = _loc_at_offset(file, good, len(good))
        return None, Diagnostic(
            f"file is not UTF-8 text (byte 0x{data[err.start]:02x} cannot be decoded); "
            "save it as UTF-8",
            loc,
        )


def _too_deep(yaml: YAML, file: str, text: str) -> Diagnostic | None:
    """Refuse absurd nesting *before* composing: the C composer recurses per level and
    crashes the interpreter (not an exception) at a few ten thousand levels.

    Nesting needs either a flow bracket per level or more indentation/compact markers per level
    on one line, so depth <= brackets + 2 * longest line + 2; only when that bound is high are
    the parser's events counted (a flat pass, about half the cost of composing).
    """
    brackets = text.count("[") + text.count("{")
    longest = max((len(line) for line in text.split("\n")), default=0)
    if brackets + 2 * longest + 2 <= SAFE_DEPTH_BOUND:
        return None
    depth = 0
    for event in yaml.parse(text):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                return Diagnostic(
                    f"YAML nesting is deeper than {MAX_DEPTH} levels",
                    Location(file, mark.line + 1, mark.column + 1),
                )
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
    return None


def compose(file: str, text: str) -> tuple[Node | None, Diagnostic | None]:
    """The node tree of one YAML document (``None`` for an empty file)."""
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = FastResolver
    try:
        too_deep = _too_deep(yaml, file, text)
        if too_deep is not None:
            return None, too_deep
        yaml = YAML(typ="safe", pure=False)
        yaml.Resolver = FastResolver
        return yaml.compose(text), None
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        if "expected a single document" in str(err.context or ""):
            problem = "a config file must contain a single YAML document (found '---')"
            err.context = None
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        context = f" ({err.context})" if err.context and err.problem else ""
        return None, Diagnostic(f"YAML syntax error: {problem}{context}", loc)
    except ReaderError as err:
        loc = _loc_at_offset(file, text, int(getattr(err, "position", 0) or 0))
        return None, Diagnostic(f"YAML syntax error: {err.reason}", loc)
    except YAMLError as err:
        return None, Diagnostic(f"YAML syntax error: {err}", Location(file, 1, 1))
    except RecursionError:
        return None, Diagnostic("YAML nesting is too deep", Location(file, 1, 1))


def _scalar(node: ScalarNode, tag: str | None = None) -> Any:
    value = node.value
    if tag is None:
        tag = tag_of(node)
    if tag in (STR, TIMESTAMP):
        return value  # timestamps stay text: the loader parses the formats it accepts
    if tag == NULL:
        return None
    if tag == BOOL:
        return value.lower() == "true"
    if tag == INT:
        text = value.replace("_", "")
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        try:
            if digits[:2] in ("0x", "0X"):
                return sign * int(digits[2:], 16)
            if digits[:2] in ("0o", "0O"):
                return sign * int(digits[2:], 8)
            return sign * int(digits, 10)
        except ValueError:
            return value
    if tag == FLOAT:
        low = value.lower().replace("_", "")
        if low.lstrip("+-") in (".inf",):
            return -math.inf if low.startswith("-") else math.inf
        if low == ".nan":
            return math.nan
        try:
            return float(low)
        except ValueError:
            return value
    return value


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_T) :] if tag.startswith(_T) else tag


class Converter:
    """Turns one file's node tree into Python values, recording every hazard found."""

    def __init__(self, file: str, diags: list[Diagnostic]) -> None:
        self.file = file
        self.diags = diags
        self._seen: set[int] = set()

    def error(self, message: str, node: Node) -> None:
        self.diags.append(Diagnostic(message, loc_of(self.file, node)))

    def key_text(self, node: Node) -> str | None:
        """A mapping key as text (scalar keys only: ``123:`` is the key "123")."""
        if isinstance(node, ScalarNode) and tag_of(node) in _SCALAR_TAGS:
            return node.value
        return None

    def convert(self, node: Node, depth: int = 0, where: Node | None = None) -> Any:
        """``node`` as Python values; ``where`` is the key (or list) holding it, for messages."""
        if id(node) in self._seen:
            self.error(
                "YAML aliases (*name) are not supported: write the value out "
                "(use the defaults: section for settings shared by many users)",
                where if where is not None else node,
            )
            return BAD
        self._seen.add(id(node))
        if depth > MAX_DEPTH:
            self.error(f"YAML nesting is deeper than {MAX_DEPTH} levels", node)
            return BAD
        tag = tag_of(node)
        if isinstance(node, ScalarNode):
            if tag not in _SCALAR_TAGS:
                self.error(
                    f"unsupported YAML tag '{_tag_name(tag)}': only plain YAML values "
                    "(strings, numbers, booleans, null, lists, mappings) are allowed",
                    node,
                )
                return BAD
            return _scalar(node)
        if isinstance(node, SequenceNode):
            if tag != SEQ:
                self.error(f"unsupported YAML tag '{_tag_name(tag)}' on a list", node)
                return BAD
            return self._sequence(node, depth)
        if isinstance(node, MappingNode):
            if tag != MAP:
                self.error(f"unsupported YAML tag '{_tag_name(tag)}' on a mapping", node)
                return BAD
            return self._mapping(node, depth)
        self.error("unsupported YAML node", node)  # pragma: no cover - no other node kinds
        return BAD

    def _sequence(self, node: SequenceNode, depth: int) -> list[Any]:
        """A list's items; plain scalar items are converted here (as in :meth:`_mapping`)."""
        out: list[Any] = []
        seen = self._seen
        names = _TAG_NAMES
        deeper = depth + 1
        for item in node.value:
            if type(item) is ScalarNode and id(item) not in seen and deeper <= MAX_DEPTH:
                ctag = item.ctag
                tag = names.get(id(ctag)) or str(ctag)
                if tag in _SCALAR_TAGS:
                    seen.add(id(item))
                    out.append(item.value if tag is STR else _scalar(item, tag))
                    continue
            out.append(self.convert(item, deeper, node))
        return out

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        """A mapping's values; plain scalar values are converted here rather than by a call
        to :meth:`convert` per value (the same checks, in the same order)."""
        out: dict[str, Any] = {}
        first: dict[str, Node] = {}
        seen = self._seen
        names = _TAG_NAMES
        deeper = depth + 1
        for knode, vnode in node.value:
            kctag = knode.ctag
            ktag = names.get(id(kctag)) or str(kctag)
            if ktag == MERGE:
                self.error("YAML merge keys (<<) are not supported", knode)
                continue
            if not (isinstance(knode, ScalarNode) and ktag in _SCALAR_TAGS):
                self.error("mapping keys must be plain strings", knode)
                continue
            key = knode.value
            if key in first:
                self.error(
                    f"duplicate key '{key}' (first defined at {loc_of(self.file, first[key])})",
                    knode,
                )
                continue
            first[key] = knode
            if type(vnode) is ScalarNode and id(vnode) not in seen and deeper <= MAX_DEPTH:
                seen.add(id(vnode))
                vctag = vnode.ctag
                vtag = names.get(id(vctag)) or str(vctag)
                if vtag is STR or vtag == STR:
                    out[key] = vnode.value
                    continue
                if vtag in _SCALAR_TAGS:
                    out[key] = _scalar(vnode, vtag)
                    continue
                seen.discard(id(vnode))  # the general path reports the tag
            value = self.convert(vnode, deeper, knode)
            if value is not BAD:
                out[key] = value
        return out


def mapping_index(node: Node) -> dict[str, tuple[Node, Node]]:
    """Key text -> (key node, value node) of a mapping node (first occurrence wins)."""
    if isinstance(node, LazyNode):
        return node.index()
    out: dict[str, tuple[Node, Node]] = {}
    if isinstance(node, MappingNode):
        for knode, vnode in node.value:
            if isinstance(knode, ScalarNode):
                out.setdefault(knode.value, (knode, vnode))
    return out


def child(node: Node, key: str | int) -> tuple[Node | None, Node | None]:
    """(key node, value node) of ``node[key]`` for a mapping or list node."""
    if isinstance(node, MappingNode) and isinstance(key, str):
        return mapping_index(node).get(key, (None, None))
    if isinstance(node, SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return None, node.value[key]
    return None, None


def walk(node: Node, path: tuple[str | int, ...]) -> tuple[Node, Node | None]:
    """The deepest node along ``path`` and the key node of the last step found (if any)."""
    key_node: Node | None = None
    for step in path:
        knode, vnode = child(node, step)
        if vnode is None:
            break
        node, key_node = vnode, knode
    return node, key_node
