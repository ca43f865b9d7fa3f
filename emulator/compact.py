"""Compact stored records: a record kept as one ``bytes`` value and decoded to an equal dict on read.

A kind that grows with traffic (chats: one record per conversation) would otherwise keep, per record,
a dict of ~20 keys, a list, a dict per message and one object per string: ~3.4 KB, and several objects
the cyclic garbage collector walks on every full collection. A :class:`Layout` names the keys its
records have, in order; a record whose keys start with them is kept as the marshalled tuple of its
values (plus a dict of any further keys), and lists of nested records under a key (a chat's
messages) get their own layout. Strings go in as UTF-8, the key names not at all, and a ``bytes``
object is one allocation the collector never tracks.

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


class Layout:
    """The usual keys of one kind of record, in order; ``nested`` gives the layout of lists of records
    under some of them (e.g. ``{"messages": MESSAGE}``). Immutable once built."""

    __slots__ = ("keys", "_at")

    def __init__(self, keys: tuple[str, ...], nested: Mapping[str, Layout] | None = None) -> None:
        self.keys = keys
        #: (position, key, layout) of each key holding a list of nested records.
        self._at = tuple((keys.index(key), key, sub) for key, sub in (nested or {}).items())

    def to_values(self, record: Record) -> tuple[Any, ...] | Record:
        """``record`` as the tuple of its layout values (+ a dict of the rest), or itself when it does not fit."""
        keys = self.keys
        if tuple(islice(record, len(keys))) != keys:
            return record
        values = list(record.values())
        for index, _, sub in self._at:
            items = values[index]
            if type(items) is list:
                values[index] = [sub.to_values(item) if type(item) is dict else item for item in items]
        if len(values) > len(keys):
            rest = dict(islice(record.items(), len(keys), None))
            del values[len(keys) :]
            values.append(rest)
        return tuple(values)

    def from_values(self, values: tuple[Any, ...] | Record) -> Record:
        """The record :meth:`to_values` was given (a dict passes through)."""
        if type(values) is not tuple:
            return values  # type: ignore[return-value]
        record = dict(zip(self.keys, values, strict=False))
        if len(values) > len(self.keys):
            record.update(values[-1])
        for _, key, sub in self._at:
            items = record[key]
            if type(items) is list:
                record[key] = [sub.from_values(item) if type(item) is tuple else item for item in items]
        return record

    def pack(self, record: Record) -> object:
        """What a store keeps for ``record``: bytes, or the record itself when marshal cannot encode it."""
        try:
            return marshal.dumps(self.to_values(record))
        except ValueError:
            return record

    def unpack(self, stored: object) -> Record:
        """The record :meth:`pack` was given, as a new dict (nested records new dicts too)."""
        if type(stored) is bytes:
            return self.from_values(marshal.loads(stored))
        return stored  # type: ignore[return-value]
