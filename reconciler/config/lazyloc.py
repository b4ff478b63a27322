"""Locations of a fast file found when first read: its text kept compressed, each location
its path from the root (:class:`NodePath`), and line and column found from rapidyaml's offsets
(:mod:`~reconciler.config.yamlpos`) or, where those might differ, from the exact slow path's
node (:mod:`~reconciler.config.fastyaml` makes the shadow nodes these come from).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any, ClassVar

from ruamel.yaml.nodes import Node

from reconciler.config import yamlio, yamlpos
from reconciler.config.plainyaml import quiet_stderr
from reconciler.errors import ConfigError, Diagnostic
from reconciler.state import Location

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
    _parent: NodePath
    _step: str | int | None
    seq: int
    _key: ClassVar[bool] = False

    __slots__ = ("_parent", "_step", "seq")

    def __init__(self, src: Source, parent: NodePath | None, step: str | int | None) -> None:
        _SET_FILE(self, src.file)
        _SET_PARENT(self, NodePath(src, None, None) if parent is None else parent)
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
        return path_steps(self._parent, self._step)

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
    items: dict[int, tuple[NodePath, list[tuple[int, LazyLocation]]]] = {}
    for loc in group:
        parent, step = loc._parent, loc._step
        if loc._key or type(step) is not int:
            rest.append(loc)
        else:
            items.setdefault(id(parent), (parent, []))[1].append((step, loc))
    for parent, same in items.values():
        found = parsed.items(path_steps(parent, None)) if len(same) >= BATCH else None
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


class NodePath:
    """Where a container sits: its parent's path and the key or index leading to it."""

    __slots__ = ("parent", "src", "step")

    def __init__(self, src: Source, parent: NodePath | None, step: str | int | None) -> None:
        self.src = src
        self.parent = parent
        self.step = step


def path_steps(parent: NodePath | None, step: str | int | None) -> tuple[str | int, ...]:
    steps: list[str | int] = [] if step is None else [step]
    while parent is not None and parent.step is not None:
        steps.append(parent.step)
        parent = parent.parent
    return tuple(reversed(steps))


class KeyLocations(MutableMapping[str, Location]):
    """The locations of some keys of one mapping of a fast file, each made when first read
    (a user's field locations: only the changed fields of a plan are ever read). A location
    set explicitly (a default's, ``renamed_from``) is kept as given."""

    __slots__ = ("_found", "_names", "_p")

    def __init__(self, p: NodePath, names: Sequence[str]) -> None:
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


def precedes(a: Location, b: Location) -> bool | None:
    """``a`` before ``b`` for two lazy locations of one file (creation order is document
    order for the locations the readers make while reading); ``None`` if not both lazy."""
    if isinstance(a, LazyLocation) and isinstance(b, LazyLocation) and a._src is b._src:
        return a.seq < b.seq
    return None
