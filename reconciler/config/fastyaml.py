"""The fast path for large, plain config files: rapidyaml, JSON, and locations found on demand.

Composing a 14 MB config with ruamel.yaml builds a Python node (and two marks) per scalar; that
is most of the cost of a load. For a large file that :func:`~reconciler.config.plainyaml.
plain_data` proves plain, :func:`fast_root` instead takes rapidyaml's values.

The values come wrapped in *shadow nodes* (subclasses of ruamel.yaml's node classes) so the
section readers run unchanged. A shadow knows its path from the root, not its position: the
locations made from it (:class:`~reconciler.config.lazyloc.LazyLocation`) resolve line and
column only when read, from rapidyaml's offsets (:mod:`~reconciler.config.yamlpos`) or, where
those might differ, by composing that one file with the exact slow path. A no-change plan reads
no location.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.config import yamlio
from reconciler.config.lazyloc import (
    KeyLocations,
    LazyKeyLocation,
    LazyLocation,
    NodePath,
    Source,
    path_steps,
)
from reconciler.config.plainyaml import plain_data
from reconciler.state import Location

#: Files smaller than this are read by the slow path (there is nothing to gain).
FAST_MIN_BYTES = 16 * 1024


class _Shadow(yamlio.LazyNode):
    """Mixin of the shadow nodes: the JSON value and where it is; marks resolved on demand."""

    __slots__ = ()

    def where(self) -> tuple[Source, NodePath | None, str | int | None]:
        raise NotImplementedError

    def location(self) -> Location:
        src, parent, step = self.where()
        return LazyLocation(src, parent, step)

    def location_node(self) -> Node:
        src, parent, step = self.where()
        return src.node(path_steps(parent, step), False)

    @property
    def start_mark(self) -> Any:
        return self.location_node().start_mark


class ShadowMapping(_Shadow, MappingNode):
    __slots__ = ("_data", "_p")

    def __init__(self, p: NodePath, data: dict[str, Any]) -> None:
        self._p = p
        self._data = data

    def where(self) -> tuple[Source, NodePath | None, str | int | None]:
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

    def __init__(self, p: NodePath, data: list[Any]) -> None:
        self._p = p
        self._data = data

    def where(self) -> tuple[Source, NodePath | None, str | int | None]:
        return self._p.src, self._p.parent, self._p.step

    @property
    def value(self) -> list[Node]:
        p = self._p
        return [shadow(p, i, v) for i, v in enumerate(self._data)]


class ShadowScalar(_Shadow, ScalarNode):
    __slots__ = ("_data", "_parent", "_step")

    def __init__(self, parent: NodePath, step: str | int, data: Any) -> None:
        self._parent = parent
        self._step = step
        self._data = data

    def where(self) -> tuple[Source, NodePath | None, str | int | None]:
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

    def __init__(self, parent: NodePath, key: str) -> None:
        self._parent = parent
        self._key = key

    @property
    def value(self) -> str:
        return self._key

    def location(self) -> Location:
        return LazyKeyLocation(self._parent.src, self._parent, self._key)

    @property
    def start_mark(self) -> Any:
        return self._parent.src.node(path_steps(self._parent, self._key), True).start_mark


def shadow(parent: NodePath, step: str | int, data: Any) -> Node:
    kind = type(data)
    if kind is dict:
        return ShadowMapping(NodePath(parent.src, parent, step), data)
    if kind is list:
        return ShadowSequence(NodePath(parent.src, parent, step), data)
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
    return ShadowMapping(NodePath(Source(file, text, lengths), None, None), data), data
