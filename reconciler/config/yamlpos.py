"""Where a node of a plain YAML file starts, found with rapidyaml instead of ruamel.yaml.

A lazy location (:mod:`~reconciler.config.lazyloc`) names a node by its path from the root
(``("users", 3, "email")``). Composing the file with ruamel.yaml to find it costs as much as the
slow path the fast path avoids; a JSON plan reads every DNC declaration's location, a plan with
changes spread over many files reads some of each. Here rapidyaml parses the file again (a few
milliseconds) *in place*, so each scalar it returns is a view into the parsed buffer, and the
view's address gives the byte offset, hence the line and column, that ruamel.yaml's mark would
give: a key or a scalar starts at its first character (the quote of a quoted one), a block
mapping at its first key, a block sequence at its first ``-``.

:func:`position` answers only when that rule surely holds (block style, a non-empty value on
the path); otherwise it returns ``None`` and the caller asks ruamel.yaml (the exact slow path).
``tests/config/test_fastyaml.py`` compares every location of every fixture both ways.
"""

from __future__ import annotations

import ctypes
import re
from bisect import bisect_left
from collections.abc import Iterator
from itertools import accumulate, count
from operator import add
from typing import Any

NONE = 2**64 - 1  # rapidyaml's "no node"


class _Buffer(ctypes.Structure):
    """CPython's ``Py_buffer``: only ``buf`` (the address) is read."""

    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.py_object),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
    ]


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = [ctypes.py_object, ctypes.POINTER(_Buffer), ctypes.c_int]
_release = ctypes.pythonapi.PyBuffer_Release
_release.argtypes = [ctypes.POINTER(_Buffer)]


def _address(view: Any) -> int:
    """The address of the first byte of a buffer (a memoryview rapidyaml returns)."""
    buf = _Buffer()
    _get_buffer(view, ctypes.byref(buf), 0)
    try:
        return int(buf.buf or 0)
    finally:
        _release(ctypes.byref(buf))


class Parsed:
    """One file parsed in place by rapidyaml, with what turns a byte offset into a position."""

    __slots__ = ("_base", "_buffer", "_items", "_newlines", "_raw", "tree")

    def __init__(self, raw: bytes) -> None:
        import ryml

        self._raw = raw
        self._buffer = bytearray(raw)  # parsed in place: scalars are views into it
        self.tree = ryml.parse_in_place(self._buffer)
        self._base = _address(self._buffer)
        # The offset of each newline, in C loops (split, accumulate), not one find per line.
        # (Newline i is at the lengths of lines 0..i plus i newlines before it.)
        lengths = accumulate(map(len, raw.split(b"\n")))
        self._newlines = list(map(add, lengths, count()))[:-1]
        self._items: dict[int, list[int]] = {}  # a sequence's children (rapidyaml walks a list)

    def _item(self, node: int, index: int) -> int | None:
        items = self._items.get(node)
        if items is None:
            t, items = self.tree, []
            child = t.first_child(node)
            while child != NONE:
                items.append(child)
                child = t.next_sibling(child)
            self._items[node] = items
        return items[index] if 0 <= index < len(items) else None

    def _offset(self, view: Any, quoted: bool) -> int | None:
        if view is None:
            return None
        offset = _address(view) - self._base - (1 if quoted else 0)
        return offset if 0 <= offset < len(self._raw) else None

    def _start(self, node: int) -> int | None:
        """The byte offset where ruamel.yaml's mark of the value ``node`` would be."""
        t = self.tree
        if not t.is_container(node):
            return self._offset(t.val(node), t.is_val_quoted(node))
        first = t.first_child(node)
        if t.is_flow(node) or first == NONE:
            return None
        if t.is_map(node):
            return self._offset(t.key(first), t.is_key_quoted(first))
        if t.is_seq(first):
            return None  # a sequence in a sequence: not worth the cases
        child = self._start(first)
        if child is None:
            return None
        dash = self._raw.rfind(b"-", 0, child)
        if dash < 0 or self._raw[dash + 1 : child].strip(b" \n"):
            return None  # something else (a comment) between the dash and the item
        return dash

    def _node(self, path: tuple[str | int, ...]) -> int | None:
        """The node at ``path``, or None."""
        t = self.tree
        node = t.root_id()
        for step in path:
            if type(step) is int:
                item = self._item(node, step) if t.is_seq(node) else None
                if item is None:
                    return None
                node = item
            else:
                if not t.is_map(node):
                    return None
                node = t.find_child(node, str(step).encode("utf-8"))
                if node == NONE:
                    return None
        return node

    def position(self, path: tuple[str | int, ...], key: bool) -> tuple[int, int] | None:
        """(line, column), 1-based in characters, of the node at ``path`` (its key if
        ``key``), or None when this cannot tell for sure."""
        t = self.tree
        node = self._node(path)
        if node is None:
            return None
        if key:
            offset = self._offset(t.key(node), t.is_key_quoted(node)) if t.has_key(node) else None
        else:
            offset = self._start(node)
        if offset is None:
            return None
        line = bisect_left(self._newlines, offset)
        start = self._newlines[line - 1] + 1 if line else 0
        return line + 1, len(self._raw[start:offset].decode("utf-8")) + 1

    def items(self, path: tuple[str | int, ...]) -> list[tuple[int, int]] | None:
        """The :meth:`position` of every item of the block sequence at ``path``, from one scan
        of its lines instead of rapidyaml calls per item; None when the scan cannot tell (then
        ask :meth:`position` item by item).

        It tells when the sequence's lines are only its items' lines (each ``- `` at the first
        item's indentation, its value on the same line and neither a flow collection nor a
        sequence), lines indented deeper (inside an item), blank lines and comments; and
        rapidyaml counts as many items, the first and the last where the scan found them. An
        item's value then starts at the first character after its ``- `` (a scalar at that
        character or its quote, a mapping at its first key), in ASCII columns."""
        t = self.tree
        node = self._node(path)
        if node is None or not t.is_seq(node) or t.is_flow(node):
            return None
        count = t.num_children(node)
        first, last = t.first_child(node), t.last_child(node)
        if count == 0 or t.is_seq(first):
            return None
        start = self._start(first)
        if start is None:
            return None
        raw = self._raw
        home = raw.rfind(b"\n", 0, start) + 1
        lead = _LEAD.fullmatch(raw, home, start)
        if lead is None:
            return None
        dash, good, end = _item_patterns(lead.end(1) - home)
        stop = end.search(raw, start)
        until = stop.start() if stop else len(raw)
        if len(dash.findall(raw, home, until)) != count:
            return None
        values = [m.end() for m in good.finditer(raw, home, until)]
        if len(values) != count or values[0] != start or values[-1] != self._start(last):
            return None
        newlines = self._newlines
        found = []
        for offset in values:
            line = bisect_left(newlines, offset)
            found.append((line + 1, offset - (newlines[line - 1] + 1 if line else 0) + 1))
        return found


def prefix(
    raw: bytes, paths: Iterator[tuple[str | int, ...]], lengths: dict[str, int]
) -> Parsed | None:
    """``raw`` parsed only as far as it must be for ``paths``, when they all lead into items
    of one root list (``("users", 3, ...)``, a plan's changes in a large file) before its last:
    up to a line break a little past where the item after the last one wanted should start
    (estimated from the list's length), and only if rapidyaml finds that item in the prefix.
    Then every item wanted ended before the cut: rapidyaml reads a block sequence line by line,
    so its nodes and their offsets are those of the whole file. Else None (parse it all)."""
    key: str | None = None
    last = -1
    for path in paths:
        if len(path) < 2 or type(path[0]) is not str or type(path[1]) is not int:
            return None
        if key is None:
            key = path[0]
        elif path[0] != key:
            return None
        last = max(last, path[1])
    total = lengths.get(key or "", 0)
    if key is None or last + 1 >= total:
        return None
    cut = raw.find(b"\n", int(len(raw) * (last + 2) / total * 1.25) + 4096)
    if cut < 0 or cut > len(raw) * 0.8:
        return None
    try:
        parsed = Parsed(raw[: cut + 1])
    except Exception:  # a prefix rapidyaml refuses: parse it all
        return None
    t = parsed.tree
    root = t.root_id()
    node = t.find_child(root, key.encode("utf-8")) if t.is_map(root) else NONE
    if node == NONE or not t.is_seq(node) or t.num_children(node) < last + 2:
        return None
    return parsed


# The start of a sequence's first item line: its indentation, the dash and spaces.
_LEAD = re.compile(rb"( *)- +")
_PATTERNS: dict[int, tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]] = {}


def _item_patterns(indent: int) -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    """For a block sequence at ``indent``: its item lines (a dash, then a space or the end of
    the line), those with a value on the line that is neither a flow collection nor a
    sequence (matched up to the value), and the line break before the first line that is
    neither an item line, nor deeper, nor blank, nor a comment (the end of the sequence).
    (The spaces after a dash are taken possessively: backtracking into them would take
    ``-  # c`` or ``-   [a]`` for an item whose value starts at its second space.)"""
    found = _PATTERNS.get(indent)
    if found is None:
        n = b"%d" % indent
        found = _PATTERNS[indent] = (
            re.compile(rb"^ {" + n + rb"}-(?:[ \n]|\Z)", re.M),
            re.compile(rb"^ {" + n + rb"}- ++(?![\n#\[{]|-(?:[ \n]|\Z)|\Z)", re.M),
            re.compile(rb"\n(?! {" + n + rb"}(?:-(?:[ \n]|\Z)| )| *(?:#|\n|\Z))"),
        )
    return found
