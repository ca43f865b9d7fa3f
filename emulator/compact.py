"""Compact stored records: a record kept as one ``bytes`` value and decoded to an equal dict on read.

A kind that grows with traffic (chats: one record per conversation) would otherwise keep, per record,
a dict of ~20 keys, a list, a dict per message and one object per string: ~3.4 KB, and several objects
the cyclic garbage collector walks on every full collection. A :class:`Layout` names the keys its
records have, in order; a record whose keys start with them is kept as the marshalled tuple of its
values (plus a dict of any further keys), and lists of nested records under a key (a chat's
messages) get their own layout. Strings go in as UTF-8, the key names not at all, values many records
repeat (organisation, user, model, system prompt) as an index into a shared :class:`Strings` table,
and a ``bytes`` object is one allocation the collector never tracks.

Reading gives back a new dict with the same keys in the same order and equal values, so what is
rendered from it (and every byte on the wire) is unchanged. A record the layout does not fit is kept
as its marshalled dict; one marshal cannot encode (not JSON-ready) is kept as it is.
"""

from __future__ import annotations

import marshal
from collections.abc import Mapping
from itertools import islice
from typing import Any

Record = dict[str, Any]
_WRAPPED = (int, tuple)  # values of a shared key held as a 1-tuple, so an index is never ambiguous


class Strings:
    """Strings many records repeat (organisation, user and model ids, system prompts), each kept once: a
    packed record holds its index instead. Append-only, so a store and its clones share one table (an
    index never changes meaning); bounded: past ``limit`` entries, or for a string longer than
    ``max_length``, the value stays in the record itself."""

    __slots__ = ("known", "values", "limit", "max_length")

    def __init__(self, limit: int = 4096, max_length: int = 256) -> None:
        #: value -> index, and the values by index (read directly by :class:`Layout`: its hot path).
        self.known: dict[str, int] = {}
        self.values: list[str] = []
        self.limit = limit
        self.max_length = max_length

    def __len__(self) -> int:
        return len(self.values)

    def code(self, value: Any) -> Any:
        """What a packed record holds for ``value``: an index, the value, or (an int or a tuple) a 1-tuple."""
        if type(value) is str:
            index = self.known.get(value)
            if index is None and len(value) <= self.max_length and len(self.values) < self.limit:
                index = self.known[value] = len(self.values)
                self.values.append(value)
            return value if index is None else index
        return (value,) if isinstance(value, _WRAPPED) else value  # told apart from an index

    def value(self, code: Any) -> Any:
        """The value :meth:`code` was given."""
        if type(code) is int:
            return self.values[code]
        return code[0] if type(code) is tuple else code


class Layout:
    """The usual keys of one kind of record, in order; ``nested`` gives the layout of lists of records
    under some of them (e.g. ``{"messages": MESSAGE}``); the values of ``shared`` keys go through a
    :class:`Strings` table. Immutable once built."""

    __slots__ = ("keys", "shared", "_at", "_shared_at", "_flat")

    def __init__(self, keys: tuple[str, ...], nested: Mapping[str, Layout] | None = None, shared: tuple[str, ...] = ()) -> None:
        self.keys = keys
        self.shared = shared
        #: (position, key, layout) of each key holding a list of nested records.
        self._at = tuple((keys.index(key), key, sub) for key, sub in (nested or {}).items())
        self._shared_at = tuple(keys.index(key) for key in shared)
        self._flat = not shared and not nested  # its records are their values, in order

    def to_values(self, record: Record, strings: Strings) -> tuple[Any, ...] | Record:
        """``record`` as the tuple of its layout values (+ a dict of the rest), or itself when it does not fit."""
        keys = self.keys
        names = tuple(record)
        if names != keys and names[: len(keys)] != keys:
            return record
        values = list(record.values())
        known = strings.known
        for index in self._shared_at:
            value = values[index]
            if value is None:  # kept as it is (strings.code(None) is None)
                continue
            code = known.get(value) if type(value) is str else None
            values[index] = strings.code(value) if code is None else code
        # plain loops: a comprehension costs a frame of its own (3.11), and a chat is packed once per turn
        for index, _, sub in self._at:
            items = values[index]
            if type(items) is list:
                flat = sub.keys if sub._flat else None
                packed: list[Any] = []
                for item in items:
                    if type(item) is dict:
                        packed.append(tuple(item.values()) if tuple(item) == flat else sub.to_values(item, strings))
                    else:
                        packed.append(item)
                values[index] = packed
        if len(values) > len(keys):
            rest = dict(islice(record.items(), len(keys), None))
            del values[len(keys) :]
            values.append(rest)
        return tuple(values)

    def from_values(self, values: tuple[Any, ...] | Record, strings: Strings) -> Record:
        """The record :meth:`to_values` was given (a dict passes through)."""
        if type(values) is not tuple:
            return values  # type: ignore[return-value]
        keys = self.keys
        record = dict(zip(keys, values, strict=False))
        if len(values) > len(keys):
            record.update(values[-1])
        for key in self.shared:
            code = record[key]
            if type(code) is int:
                record[key] = strings.values[code]
            elif type(code) is tuple:
                record[key] = code[0]
        for _, key, sub in self._at:
            items = record[key]
            if type(items) is list:
                size = len(sub.keys) if sub._flat else -1
                record[key] = [
                    (dict(zip(sub.keys, item, strict=False)) if len(item) == size else sub.from_values(item, strings))
                    if type(item) is tuple
                    else item
                    for item in items
                ]
        return record

    def pack(self, record: Record, strings: Strings) -> object:
        """What a store keeps for ``record``: bytes, or the record itself when marshal cannot encode it."""
        try:
            if self._flat and tuple(record) == self.keys:  # the values to_values gives, sooner
                return marshal.dumps(tuple(record.values()))
            return marshal.dumps(self.to_values(record, strings))
        except ValueError:
            return record

    def unpack(self, stored: object, strings: Strings) -> Record:
        """The record :meth:`pack` was given (with the same ``strings``), as a new dict (nested records too)."""
        if type(stored) is bytes:
            values = marshal.loads(stored)
            if self._flat and type(values) is tuple and len(values) == len(self.keys):
                return dict(zip(self.keys, values, strict=True))  # what from_values gives, sooner
            return self.from_values(values, strings)
        return stored  # type: ignore[return-value]


class Codec:
    """A layout bound to the :class:`Strings` table of one store and its clones: what a collection packs with."""

    __slots__ = ("layout", "strings")

    def __init__(self, layout: Layout, strings: Strings | None = None) -> None:
        self.layout = layout
        self.strings = strings if strings is not None else Strings()

    def pack(self, record: Record) -> object:
        return self.layout.pack(record, self.strings)

    def unpack(self, stored: object) -> Record:
        return self.layout.unpack(stored, self.strings)
