"""Reading an answer's body: whole (bounded by ``max_body``), or a JSON array item by item
while it arrives (:class:`ArrayReader`), so a large template never exists as one buffer.

msgspec has no incremental decoder, but decoding a buffer that starts at an item and holds more
after it fails with ``trailing characters (byte N)``, where byte ``N - 1`` is the first byte
after the item that is not whitespace (the ``,`` or ``]``); decoding a memoryview is zero-copy.
An item cut by the end of the window fails otherwise (``truncated``, or an error within a few
bytes of the end): more of the body is read and the item decoded again. Once two items are
seen, the rest of each window is decoded in one call where possible (:meth:`ArrayReader._batch`:
no error per item), straight into the caller's type for an item when it gives one (``rows``:
then the items of such a batch are of that type, and their bytes are there on demand,
:meth:`ArrayReader.item_bytes`). :data:`STREAMING` says
whether the installed msgspec words its errors this way (checked at import); when not, the
client reads the body whole as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec
import requests

MAX_BODY = 2**30  # bytes: 10x the template of a 50,000-user tenant
BODY_CHUNK = 2**20
HEAD_BYTES = 121  # what an error message quotes (decode.snippet: 120 bytes and whether more)
MARGIN = 64  # an error this far before the window's end is not caused by the cut

_RAW = msgspec.json.Decoder(msgspec.Raw)
_LIST = msgspec.json.Decoder(list[msgspec.Raw])
BATCH_MAX = 2**17  # bytes decoded at once (a copy of them is held while their items are used)
JOINT_MAX = 40  # bytes: the separator and the next item's first key (``, {"email":``)
_WS = re.compile(rb"[ \t\n\r]*")  # JSON whitespace
_PYWS = re.compile(rb"[ \t\n\r\x0b\x0c]*")  # bytes.lstrip()'s (decode_items' array check)
_TRAILING = re.compile(r"JSON is malformed: trailing characters \(byte (\d+)\)")
_AT = re.compile(r"\(byte (\d+)\)$")


class TooLarge(Exception):
    """The answer is larger than ``max_body``."""


class NotAnArray(Exception):
    """The body's first byte that is not whitespace is not ``[``."""


class NeedBytes(Exception):
    """Raised by what validates an item that was decoded into the caller's type (see
    :class:`ArrayReader`'s ``rows``) when it needs the item's bytes instead: it is then
    called again with them."""


class BadJson(Exception):
    """The body is not valid JSON (``nested``: nests too deeply)."""

    def __init__(self, nested: bool = False) -> None:
        self.nested = nested
        super().__init__("nests too deeply" if nested else "is not valid JSON")


def body_chunks(resp: requests.Response, max_body: int) -> Iterator[bytes]:
    """The body in chunks; TooLarge once it (or its declared length) exceeds ``max_body``."""
    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_body:
        raise TooLarge
    size = 0
    for chunk in resp.iter_content(BODY_CHUNK):
        size += len(chunk)
        if size > max_body:
            raise TooLarge
        yield chunk


def _stop(exc: msgspec.DecodeError) -> int | None:
    """Where the value ended (the first byte after it that is not whitespace), if ``exc``
    says "trailing characters"."""
    m = _TRAILING.fullmatch(str(exc))
    return int(m.group(1)) - 1 if m else None


def _probe() -> bool:
    try:
        _RAW.decode(memoryview(b'{"a": [1]} ,2'))
    except msgspec.DecodeError as exc:
        return _stop(exc) == 11
    return False


STREAMING = _probe()


class ArrayReader:
    """The items of a JSON array body, as memoryviews of their bytes, read from ``chunks``
    with only a window of the body held. Raises NotAnArray, BadJson, and whatever reading the
    chunks raises. ``head``: the body's first bytes (for error messages).

    ``rows``: a decoder of a list of the caller's type for an item (a msgspec struct), tried
    first on each batch; when the batch decodes that way its items are yielded as such (the
    same values as decoding each item's bytes by itself), else as bytes. Such a decode
    accepts no body that decoding the items as raw JSON does not (a struct's fields are
    JSON values, parsed at least as strictly as skipped ones): the items, and so the body's
    errors, are the same."""

    def __init__(
        self, chunks: Iterable[bytes], rows: msgspec.json.Decoder[Any] | None = None
    ) -> None:
        self._chunks = iter(chunks)
        self._rows = rows
        self._count = 0  # items yielded, before the batch being yielded
        self._first = 0  # the index of the first item of that batch
        self._typed: bytes | None = None  # its bytes, when decoded by ``rows``
        self._typed_raw: list[msgspec.Raw] | None = None
        self.head = b""
        self._buf = b""
        self._pos = 0
        self._eof = False
        # The bytes from a separator to the first key of the item after it, once seen; None
        # before, and for good after a batch fails (see _batch).
        self._joint: bytes | None = None
        self._batching = True

    def _fill(self, at_least: int) -> None:
        """Read until the window holds ``at_least`` unread bytes or the body ends."""
        parts = [self._buf[self._pos :]]
        have = len(parts[0])
        while have < at_least:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._eof = True
                break
            if len(self.head) < HEAD_BYTES:
                self.head = (self.head + chunk)[:HEAD_BYTES]
            parts.append(chunk)
            have += len(chunk)
        self._buf = b"".join(parts)
        self._pos = 0

    def full_head(self) -> bytes:
        """The body's first HEAD_BYTES bytes (reading on if fewer have arrived)."""
        while len(self.head) < HEAD_BYTES and not self._eof:
            self._fill(len(self._buf) - self._pos + 1)
        return self.head

    def _skip(self, ws: re.Pattern[bytes]) -> int | None:
        """Move past whitespace; the next byte (None at the end of the body)."""
        while True:
            m = ws.match(self._buf, self._pos)
            self._pos = m.end() if m else self._pos
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if self._eof:
                return None
            self._fill(1)

    def __iter__(self) -> Iterator[memoryview | msgspec.Raw]:
        first = self._skip(_WS)
        odd = first in (0x0B, 0x0C)  # whitespace to Python, not to JSON
        if odd:
            first = self._skip(_PYWS)
        if first != 0x5B:  # [
            raise NotAnArray
        if odd:
            raise BadJson
        self._pos += 1
        if self._skip(_WS) == 0x5D:  # ]
            self._pos += 1
            self._end()
            return
        while True:
            batch = self._batch()
            if batch is not None:
                self._first = self._count
                self._count += len(batch)
                yield from batch
                self._pos += 1  # the "," after the batch's last item
                continue
            item = self._item()
            sep = self._buf[self._pos]
            self._pos += 1
            if sep == 0x2C and self._joint is None and self._batching:
                colon = self._buf.find(b":", self._pos, self._pos + JOINT_MAX)
                if colon >= 0:
                    self._joint = self._buf[self._pos - 1 : colon + 1]
            self._count += 1
            yield item
            if sep == 0x5D:
                self._end()
                return
            if sep != 0x2C:  # ,
                raise BadJson

    def _batch(self) -> list[msgspec.Raw] | None:
        """The items from the window's position up to the last separator in the window (at
        most BATCH_MAX bytes on) that is followed by the joint (the same first key as an
        earlier item), in one decode of ``[`` + those bytes + ``]``; the position is left at
        that separator. When those bytes
        decode as a list, they are exactly the items the array has there (a JSON value ends
        where its own bytes say, and a proper prefix of an object or an array is never a whole
        value), so the answer is that of reading them one by one (:meth:`_item`). None when
        there is no such separator in the window, or when the bytes do not decode: then
        the items are read one by one, which also gives any error its usual message (and
        batches stop for this body)."""
        joint = self._joint
        if joint is None:
            return None
        buf, pos = self._buf, self._pos
        end = buf.rfind(joint, pos, pos + BATCH_MAX)
        if end <= pos:
            return None
        data = b"".join((b"[", memoryview(buf)[pos:end], b"]"))
        if self._rows is not None:
            try:
                typed: list[Any] = self._rows.decode(data)
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # another shape,
                # not UTF-8 text, or not JSON: read as raw items (each then says which)
                pass
            else:
                self._pos = end
                self._typed, self._typed_raw = data, None
                return typed
        self._typed = None
        try:
            items = _LIST.decode(data)
        except (msgspec.DecodeError, RecursionError):
            self._joint, self._batching = None, False
            return None
        self._pos = end
        return items

    def item_bytes(self, index: int) -> msgspec.Raw:
        """The bytes of item ``index`` (counted from the body's first), an item of the batch
        being yielded that ``rows`` decoded."""
        assert self._typed is not None and self._first <= index < self._count
        if self._typed_raw is None:
            self._typed_raw = _LIST.decode(self._typed)  # valid JSON: the batch decoded
        return self._typed_raw[index - self._first]

    def _item(self) -> memoryview:
        """The item starting at the window's position; the position is left at the byte
        after it that is not whitespace."""
        while True:
            view = memoryview(self._buf)[self._pos :]
            try:
                _RAW.decode(view)
            except msgspec.DecodeError as exc:
                stop = _stop(exc)
                if stop is not None:
                    self._pos += stop
                    return view[:stop]
                at = _AT.search(str(exc))
                if self._eof or (at is not None and len(view) - int(at.group(1)) >= MARGIN):
                    raise BadJson from None
            except RecursionError:  # a hostile body: arrays in arrays, thousands deep
                raise BadJson(nested=True) from None
            else:  # a whole value up to the window's end: the array goes on (or never ends)
                if self._eof:
                    raise BadJson
            self._fill(max(2 * len(view), 1))

    def _end(self) -> None:
        """After the closing ``]``: only whitespace to the end of the body."""
        if self._skip(_WS) is not None:
            raise BadJson
