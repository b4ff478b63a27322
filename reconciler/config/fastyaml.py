"""The fast path for large, plain config files: rapidyaml, JSON, and locations found on demand.

Composing a 14 MB config with ruamel.yaml builds a Python node (and two marks) per scalar; that
is most of the cost of a load. For a large file that :func:`~reconciler.config.plainyaml.
plain_data` proves plain, :func:`fast_root` instead takes rapidyaml's values.

The values come wrapped in *shadow nodes* (subclasses of ruamel.yaml's node classes) so the
section readers run unchanged. A shadow knows its path from the root, not its position: the
locations made from it (:class:`LazyLocation`) resolve line and column only when read, from
rapidyaml's offsets (:mod:`~reconciler.config.yamlpos`) or, where those might differ, by
composing that one file with the exact slow path. A no-change plan reads no location.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any, ClassVar

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.config import yamlio, yamlpos
from reconciler.config.plainyaml import plain_data, quiet_stderr
from reconciler.errors import ConfigError, Diagnostic
from reconciler.state import Location

#: Files smaller than this are read by the slow path (there is nothing to gain).
FAST_MIN_BYTES = 16 * 1024
# The rapidyaml parses of the last files whose locations were read: id(Source) -> (it, parse).
_PARSED: dict[int, tuple[Source, yamlpos.Parsed]] = {}


class Source:
    """One file read by the fast path: its text, kept (compressed: 13.4 MB of a 50,000-user
    config take 0.9 MB) to resolve locations on demand."""

    __slots__ = ("_index", "_lengths", "_packed", "_root", "_seq", "file")

    def __init__(self, file: str, text: str, lengths: dict[str, int] | None = None) -> None:
        self.file = file
        self._packed = zlib.compress(text.encode("utf-8"), 1)
        self._lengths = lengths or {}  # the number of items of each root list
        self._root: Node | None = None
        self._index: dict[int, dict[str, tuple[Node, Node]]] = {}
        self._seq = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def position(self, path: tuple[str | int, ...], key: bool) -> tuple[int, int]:
        """(line, column) of the node at ``path`` (its key if ``key``): from rapidyaml's
        offsets where they surely agree with ruamel.yaml (:mod:`~reconciler.config.yamlpos`;
        the last two files parsed are kept: a plan resolves its locations in batches, one
        parse per file, see :meth:`LazyLocation.resolve_many`), else from the slow path's
        node."""
        parsed = _PARSED.pop(id(self), None)
        if parsed is None or parsed[0] is not self:
            parsed = (self, self.parse())
        _PARSED[id(self)] = parsed
        while len(_PARSED) > 2:  # a parse holds about 12x its file's size
            del _PARSED[next(iter(_PARSED))]
        return self.position_in(parsed[1], path, key)

    @property
    def text(self) -> str:
        return zlib.decompress(self._packed).decode("utf-8")

    def parse(self, paths: Iterator[tuple[str | int, ...]] | None = None) -> yamlpos.Parsed:
        """The file parsed by rapidyaml in place, to find positions in it; with ``paths``
        (all in items of one root list, the file large), only as far as the item after the
        last of them where that suffices (see :func:`~reconciler.config.yamlpos.prefix`)."""
        raw = zlib.decompress(self._packed)
        with quiet_stderr():
            if paths is not None and len(raw) >= PREFIX_MIN_BYTES:
                found = yamlpos.prefix(raw, paths, self._lengths)
                if found is not None:
                    return found
            return yamlpos.Parsed(raw)

    def position_in(
        self, parsed: yamlpos.Parsed, path: tuple[str | int, ...], key: bool
    ) -> tuple[int, int]:
        """:meth:`position` with this file's parse at hand."""
        found = parsed.position(path, key)
        if found is None:
            mark = self.node(path, key).start_mark
            found = (mark.line + 1, mark.column + 1)
        return found

    def node(self, path: tuple[str | int, ...], key: bool) -> Node:
        """The slow path's node at ``path`` (its key node if ``key``)."""
        if self._root is None:
            root, problem = yamlio.compose(self.file, self.text)
            if root is None or problem is not None:  # pragma: no cover - plain files compose
                # Never expected (the pre-check refuses what rapidyaml reads differently), but
                # a located error, not a traceback, if it happens.
                raise ConfigError(
                    [
                        problem
                        or Diagnostic(
                            "the fast and slow YAML paths disagree", Location(self.file, 1, 1)
                        )
                    ]
                )
            self._root = root
        node = self._root
        for i, step in enumerate(path):
            if isinstance(step, int):
                node = node.value[step]
                continue
            index = self._index.get(id(node))
            if index is None:
                index = self._index[id(node)] = yamlio.mapping_index(node)
            knode, vnode = index[step]
            node = knode if key and i == len(path) - 1 else vnode
        return node


class LazyLocation(Location):
    """A :class:`~reconciler.state.Location` whose line and column are found when first read.

    It compares, hashes and prints like a plain Location with the same values."""

    # Where it is: the parent's path and the step from it (a key or an index); the key itself
    # or its value: the class (LazyKeyLocation or this). Set through the slots' descriptors:
    # object.__setattr__ (Location is frozen) costs twice as much, and a 50,000-user file makes
    # 100,000 of these.
    _parent: _Path
    _step: str | int | None
    seq: int
    _key: ClassVar[bool] = False

    __slots__ = ("_parent", "_step", "seq")

    def __init__(self, src: Source, parent: _Path | None, step: str | int | None) -> None:
        _SET_FILE(self, src.file)
        _SET_PARENT(self, _Path(src, None, None) if parent is None else parent)
        _SET_STEP(self, step)
        _SET_SEQ(self, src.next_seq())

    @property
    def _src(self) -> Source:
        return self._parent.src

    @property
    def _done(self) -> bool:
        """Are line and column known (their slots set)?"""
        try:
            _LINE.__get__(self)
        except AttributeError:
            return False
        return True

    def _resolve(self) -> None:
        self._set(self._src.position(self._steps(), self._key))

    def _steps(self) -> tuple[str | int, ...]:
        return _steps(self._parent, self._step)

    def _set(self, position: tuple[int, int]) -> None:
        _LINE.__set__(self, position[0])
        _COL.__set__(self, position[1])

    @classmethod
    def resolve_many(cls, locations: list[Location]) -> None:
        """Resolve many at once, file by file: each file is parsed once for all of its
        locations (one at a time, locations spread over more files than the cache holds would
        parse a file again for each)."""
        by_source: dict[int, list[LazyLocation]] = {}
        for loc in locations:
            if isinstance(loc, LazyLocation) and not loc._done:
                by_source.setdefault(id(loc._src), []).append(loc)
        for group in by_source.values():
            src = group[0]._src
            parsed = src.parse(loc._steps() for loc in group)
            for loc in _by_sequence(parsed, group):
                loc._set(src.position_in(parsed, loc._steps(), loc._key))

    @property
    def line(self) -> int:
        try:
            return int(_LINE.__get__(self))
        except AttributeError:  # not resolved yet
            self._resolve()
            return int(_LINE.__get__(self))

    @property
    def col(self) -> int:
        try:
            return int(_COL.__get__(self))
        except AttributeError:
            self._resolve()
            return int(_COL.__get__(self))

    def _t(self) -> tuple[str, int, int]:
        return (self.file, self.line, self.col)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Location):
            return self._t() == (other.file, other.line, other.col)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._t())

    def __lt__(self, other: object) -> bool:
        if isinstance(other, Location):
            return self._t() < (other.file, other.line, other.col)
        return NotImplemented

    def __le__(self, other: object) -> bool:
        if isinstance(other, Location):
            return self._t() <= (other.file, other.line, other.col)
        return NotImplemented

    def __gt__(self, other: object) -> bool:
        if isinstance(other, Location):
            return self._t() > (other.file, other.line, other.col)
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        if isinstance(other, Location):
            return self._t() >= (other.file, other.line, other.col)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Location(file={self.file!r}, line={self.line!r}, col={self.col!r})"

    def __reduce__(self) -> Any:
        return (Location, (self.file, self.line, self.col))


def _by_sequence(parsed: yamlpos.Parsed, group: list[LazyLocation]) -> list[LazyLocation]:
    """Resolve the items of one sequence together where there are many (a DNC list: one scan
    of its lines, :meth:`~reconciler.config.yamlpos.Parsed.items`); return the others."""
    rest: list[LazyLocation] = []
    items: dict[int, tuple[_Path, list[tuple[int, LazyLocation]]]] = {}
    for loc in group:
        parent, step = loc._parent, loc._step
        if loc._key or type(step) is not int:
            rest.append(loc)
        else:
            items.setdefault(id(parent), (parent, []))[1].append((step, loc))
    for parent, same in items.values():
        found = parsed.items(_steps(parent, None)) if len(same) >= BATCH else None
        for step, loc in same:
            if found is not None and 0 <= step < len(found):
                loc._set(found[step])
            else:
                rest.append(loc)
    return rest


PREFIX_MIN_BYTES = 64 * 1024  # a smaller file is parsed whole
BATCH = 16  # a sequence with this many locations to resolve is scanned once for all

_LINE: Any = Location.__dict__["line"]
_COL: Any = Location.__dict__["col"]
_SET_FILE: Any = Location.__dict__["file"].__set__
_SET_PARENT: Any = LazyLocation.__dict__["_parent"].__set__
_SET_STEP: Any = LazyLocation.__dict__["_step"].__set__
_SET_SEQ: Any = LazyLocation.__dict__["seq"].__set__


class LazyKeyLocation(LazyLocation):
    """A :class:`LazyLocation` of a key (``step``) rather than of its value."""

    _key: ClassVar[bool] = True
    __slots__ = ()


class _Path:
    """Where a container sits: its parent's path and the key or index leading to it."""

    __slots__ = ("parent", "src", "step")

    def __init__(self, src: Source, parent: _Path | None, step: str | int | None) -> None:
        self.src = src
        self.parent = parent
        self.step = step


def _steps(parent: _Path | None, step: str | int | None) -> tuple[str | int, ...]:
    steps: list[str | int] = [] if step is None else [step]
    while parent is not None and parent.step is not None:
        steps.append(parent.step)
        parent = parent.parent
    return tuple(reversed(steps))


class _Shadow(yamlio.LazyNode):
    """Mixin of the shadow nodes: the JSON value and where it is; marks resolved on demand."""

    __slots__ = ()

    def where(self) -> tuple[Source, _Path | None, str | int | None]:
        raise NotImplementedError

    def location(self) -> Location:
        src, parent, step = self.where()
        return LazyLocation(src, parent, step)

    def location_node(self) -> Node:
        src, parent, step = self.where()
        return src.node(_steps(parent, step), False)

    @property
    def start_mark(self) -> Any:
        return self.location_node().start_mark


class ShadowMapping(_Shadow, MappingNode):
    __slots__ = ("_data", "_p")

    def __init__(self, p: _Path, data: dict[str, Any]) -> None:
        self._p = p
        self._data = data

    def where(self) -> tuple[Source, _Path | None, str | int | None]:
        return self._p.src, self._p.parent, self._p.step

    @property
    def value(self) -> list[tuple[Node, Node]]:
        p = self._p
        return [(ShadowKey(p, k), shadow(p, k, v)) for k, v in self._data.items()]

    def index(self) -> LazyIndex:
        return LazyIndex(self)

    def key_locations(self, names: Sequence[str]) -> KeyLocations:
        return KeyLocations(self._p, names)


class ShadowSequence(_Shadow, SequenceNode):
    __slots__ = ("_data", "_p")

    def __init__(self, p: _Path, data: list[Any]) -> None:
        self._p = p
        self._data = data

    def where(self) -> tuple[Source, _Path | None, str | int | None]:
        return self._p.src, self._p.parent, self._p.step

    @property
    def value(self) -> list[Node]:
        p = self._p
        return [shadow(p, i, v) for i, v in enumerate(self._data)]


class ShadowScalar(_Shadow, ScalarNode):
    __slots__ = ("_data", "_parent", "_step")

    def __init__(self, parent: _Path, step: str | int, data: Any) -> None:
        self._parent = parent
        self._step = step
        self._data = data

    def where(self) -> tuple[Source, _Path | None, str | int | None]:
        return self._parent.src, self._parent, self._step

    @property
    def value(self) -> str:
        data = self._data
        if type(data) is str:
            return data
        if type(data) is int:
            return str(data)  # JSON ints are written canonically ('-0' is refused)
        return str(self.location_node().value)


class ShadowKey(yamlio.LazyNode, ScalarNode):
    """A mapping key (always a string in JSON)."""

    __slots__ = ("_key", "_parent")

    def __init__(self, parent: _Path, key: str) -> None:
        self._parent = parent
        self._key = key

    @property
    def value(self) -> str:
        return self._key

    def location(self) -> Location:
        return LazyKeyLocation(self._parent.src, self._parent, self._key)

    @property
    def start_mark(self) -> Any:
        return self._parent.src.node(_steps(self._parent, self._key), True).start_mark


class KeyLocations(MutableMapping[str, Location]):
    """The locations of some keys of one mapping of a fast file, each made when first read
    (a user's field locations: only the changed fields of a plan are ever read). A location
    set explicitly (a default's, ``renamed_from``) is kept as given."""

    __slots__ = ("_found", "_names", "_p")

    def __init__(self, p: _Path, names: Sequence[str]) -> None:
        self._p = p
        self._names = names  # shared between users until a key is added (then a list)
        self._found: dict[str, Location] | None = None

    def __getitem__(self, key: str) -> Location:
        found = self._found
        if found is None:
            found = self._found = {}
        loc = found.get(key)
        if loc is None:
            if key not in self._names:
                raise KeyError(key)
            loc = found[key] = LazyKeyLocation(self._p.src, self._p, key)
        return loc

    def __setitem__(self, key: str, loc: Location) -> None:
        if key not in self._names:
            self._names = [*self._names, key]
        if self._found is None:
            self._found = {}
        self._found[key] = loc

    def __delitem__(self, key: str) -> None:
        if key not in self._names:
            raise KeyError(key)
        self._names = [name for name in self._names if name != key]
        if self._found is not None:
            self._found.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return repr(dict(self))


def shadow(parent: _Path, step: str | int, data: Any) -> Node:
    kind = type(data)
    if kind is dict:
        return ShadowMapping(_Path(parent.src, parent, step), data)
    if kind is list:
        return ShadowSequence(_Path(parent.src, parent, step), data)
    return ShadowScalar(parent, step, data)


class LazyIndex(dict[str, tuple[Node, Node]]):
    """:func:`~reconciler.config.yamlio.mapping_index` of a shadow mapping, built per key."""

    __slots__ = ("_node",)

    def __init__(self, node: ShadowMapping) -> None:
        super().__init__()
        self._node = node

    def __missing__(self, key: str) -> tuple[Node, Node]:
        node = self._node
        data = node._data
        if key not in data:
            raise KeyError(key)
        pair = (ShadowKey(node._p, key), shadow(node._p, key, data[key]))
        self[key] = pair
        return pair

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return key in self._node._data


def fast_root(file: str, text: str) -> tuple[ShadowMapping, dict[str, Any]] | None:
    """The shadow root and data of a plain file (``None``: read it with the slow path)."""
    if len(text) < FAST_MIN_BYTES:
        return None
    data = plain_data(text)
    if data is None:
        return None
    lengths = {key: len(value) for key, value in data.items() if type(value) is list}
    return ShadowMapping(_Path(Source(file, text, lengths), None, None), data), data


def precedes(a: Location, b: Location) -> bool | None:
    """``a`` before ``b`` for two lazy locations of one file (creation order is document
    order for the locations the readers make while reading); ``None`` if not both lazy."""
    if isinstance(a, LazyLocation) and isinstance(b, LazyLocation) and a._src is b._src:
        return a.seq < b.seq
    return None
