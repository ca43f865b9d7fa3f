"""In-memory, per-organisation storage with keyset order.

Every record lives in a :class:`Collection` keyed by ``(org_id, kind)``. Records are plain JSON-ready
dicts and are replaced, never mutated in place, so a store can be cloned cheaply (a reset is a clone
of the fixture baseline). Each record gets a monotonically increasing sequence number: lists are in
creation order and cursors point at a sequence number, which stays valid when records are inserted
or deleted between pages.

Sequence numbers count per organisation once a store is live (a clone of the baseline): each
organisation continues from the baseline's last number on its own, so an organisation's numbers
depend only on its own writes, and every process that applies one tenant's writes in the same order
(the shared store's log, :mod:`emulator.backend.shared_store`) gives its records the same numbers, and
a cursor issued by one replica works on another. The baseline itself counts once for all, so lists
merging the system catalog with an organisation's records stay ascending.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from .compact import Codec, Layout, Record

__all__ = ["Collection", "Op", "Record", "Rendered", "Store", "WriteLog"]
#: One write: ``(verb, org, kind, id, record)``; verb ``i`` insert, ``r`` replace, ``d`` remove (no
#: record), ``m`` mint a tenant (org ``__system__``, id the tenant, the organisation record).
Op = tuple[str, str, str, str, "Record | None"]


class WriteLog(Protocol):
    """Receives every write of a store it is attached to (the shared store's pending writes)."""

    def wrote(self, op: Op) -> None: ...


#: Per collection of a packed kind, how many of the most recently written or read records stay unpacked.
HOT_RECORDS = 256


class Collection:
    """The records of one kind for one organisation, in creation order.

    With a ``codec`` (see :mod:`emulator.compact`), records are kept packed, except the
    :data:`HOT_RECORDS` most recently written or read ones: a chat is re-read and re-written while its
    reply streams, and a list page reads the same records again, so those cost no packing and no
    decoding. Reads return dicts that must not be mutated (as without a codec: records are replaced,
    never changed in place).
    """

    __slots__ = ("_records", "_seq_of", "_order", "_ids", "_codec", "_hot", "version")

    def __init__(self, codec: Codec | None = None) -> None:
        self.version = 0  # bumped by every write; cached renderings of this collection key on it
        self._codec = codec
        self._records: dict[str, Any] = {}  # id -> record (bytes when packed)
        #: id -> sequence number, for removals only: built by the first one (a collection that is only
        #: added to, the common case, never pays for it, nor frees it on a reset)
        self._seq_of: dict[str, int] | None = None
        self._order = array("q")  # ascending sequence numbers (8 bytes each, no int objects)
        self._ids: list[str] = []  # the id at the same position as its sequence number in _order
        #: With a codec: ids of the records held unpacked, least recently used first, each with its
        #: packed form when it was only read (None once written: packed again when it cools down).
        self._hot: dict[str, bytes | None] = {}

    def clone(self) -> Collection:
        other = Collection(self._codec)
        other._records = dict(self._records)
        other._order = self._order[:]
        other._ids = self._ids[:]
        other._hot = dict(self._hot)
        return other

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._records

    def _read(self, record_id: str) -> Record:
        stored = self._records[record_id]
        return self._decode(record_id, stored) if type(stored) is bytes else stored

    def _decode(self, record_id: str, packed: bytes) -> Record:
        assert self._codec is not None  # only a codec's collection holds bytes
        record = self._records[record_id] = self._codec.unpack(packed)
        self._warm(record_id, packed)
        return record

    def _warm(self, record_id: str, packed: bytes | None) -> None:
        """``record_id`` is held unpacked now; the least recently used beyond the bound is packed again."""
        hot = self._hot
        if record_id in hot:  # `in` and `del` are operators; a pop(record_id, None) is a method call
            del hot[record_id]
        elif len(hot) >= HOT_RECORDS:
            oldest = next(iter(hot))
            kept = hot.pop(oldest)
            assert self._codec is not None
            self._records[oldest] = kept if kept is not None else self._codec.pack(self._records[oldest])
        hot[record_id] = packed

    def get(self, record_id: str) -> Record | None:
        stored = self._records.get(record_id)
        return self._decode(record_id, stored) if type(stored) is bytes else stored

    def insert(self, record_id: str, record: Record, seq: int) -> None:
        self.version += 1
        self._records[record_id] = record
        if self._codec is not None:
            self._warm(record_id, None)
        if self._seq_of is not None:
            self._seq_of[record_id] = seq
        self._order.append(seq)  # seq is always the store's newest, so the order stays sorted
        self._ids.append(record_id)

    def replace(self, record_id: str, record: Record) -> None:
        """Raises ``KeyError`` when there is no record ``record_id``."""
        records = self._records
        if record_id not in records:
            raise KeyError(record_id)
        self.version += 1
        records[record_id] = record
        if self._codec is not None:
            self._warm(record_id, None)

    def remove(self, record_id: str) -> Record | None:
        if record_id not in self._records:
            return None
        record = self._read(record_id)
        del self._records[record_id]
        self._hot.pop(record_id, None)
        self.version += 1
        seq_of = self._seq_of
        if seq_of is None:
            seq_of = self._seq_of = dict(zip(self._ids, self._order, strict=True))
        seq = seq_of.pop(record_id)
        index = bisect_right(self._order, seq) - 1
        del self._order[index]
        del self._ids[index]
        return record

    def values(self) -> Iterator[Record]:
        for record_id in self._ids:
            yield self._read(record_id)

    def page_after(
        self, after_seq: int | None, limit: int, predicate: Callable[[Record], bool] | None = None
    ) -> tuple[list[Record], bool, int | None]:
        """Up to ``limit`` records created after ``after_seq`` (all when None) that pass ``predicate``.

        Returns ``(items, has_more, last_seq)``; ``last_seq`` is the key for the next page's cursor.
        """
        start = 0 if after_seq is None else bisect_right(self._order, after_seq)
        items: list[Record] = []
        last_seq: int | None = None
        order, ids, read = self._order, self._ids, self._read
        for position in range(start, len(order)):
            record = read(ids[position])
            if predicate is not None and not predicate(record):
                continue
            if len(items) == limit:
                return items, True, last_seq
            items.append(record)
            last_seq = order[position]
        return items, False, last_seq

    def window(self, offset: int, limit: int) -> list[Record]:
        """Records ``offset`` to ``offset + limit`` in creation order (offset paging, O(limit))."""
        return [self._read(record_id) for record_id in self._ids[offset : offset + limit]]

    def count(self, predicate: Callable[[Record], bool] | None = None) -> int:
        if predicate is None:
            return len(self._records)
        return sum(1 for record in self.values() if predicate(record))


class Rendered:
    """Encoded responses of pure reads, keyed by the request and the versions of the collections they
    were built from (see :func:`emulator.responses.cached_json`). Bounded in entries and in bytes: when
    either bound would be passed, everything is dropped (stale versions are never read again anyway)."""

    __slots__ = ("_bodies", "_bytes", "max_entries", "max_bytes")

    def __init__(self, max_entries: int = 512, max_bytes: int = 4 * 2**20) -> None:
        self._bodies: dict[tuple[object, ...], bytes] = {}
        self._bytes = 0
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    def __len__(self) -> int:
        return len(self._bodies)

    @property
    def size(self) -> int:
        """Bytes of the bodies held."""
        return self._bytes

    def get(self, key: tuple[object, ...]) -> bytes | None:
        return self._bodies.get(key)

    def put(self, key: tuple[object, ...], body: bytes) -> bytes:
        """Keep ``body`` under ``key`` (a body larger than ``max_bytes`` is not kept); returns ``body``."""
        if len(body) > self.max_bytes:
            return body
        if len(self._bodies) >= self.max_entries or self._bytes + len(body) > self.max_bytes:
            self.clear()
        self._bodies[key] = body
        self._bytes += len(body)
        return body

    def clear(self) -> None:
        self._bodies.clear()
        self._bytes = 0


class Store:
    """All collections of one emulator, plus the sequence counters that order them.

    ``codecs`` names the kinds whose records are kept packed (see :mod:`emulator.compact`); every
    method still takes and returns plain JSON-ready dicts.
    """

    __slots__ = ("_collections", "_kinds", "_seq", "_org_seq", "_live", "_codecs", "rendered", "log")

    def __init__(self, codecs: Mapping[str, Layout] | None = None) -> None:
        self._collections: dict[tuple[str, str], Collection] = {}
        self._kinds: dict[str, set[str]] = {}  # org -> kinds it has a collection of (drop_org without a scan)
        self._seq = 0  # the baseline's counter; in a live store, where every organisation's own count starts
        self._org_seq: dict[str, int] = {}  # live stores: each organisation's last sequence number
        self._live = False
        #: Where writes are reported (the shared store's pending log), or None: memory mode pays nothing.
        self.log: WriteLog | None = None
        #: Per packed kind, its layout and strings table (append-only: clones share them).
        self._codecs = {kind: Codec(layout) for kind, layout in (codecs or {}).items()}
        #: Cached encoded responses; a clone starts empty.
        self.rendered = Rendered()

    def clone(self) -> Store:
        """A live copy: its organisations number new records on their own, from this store's counter on."""
        other = Store()
        other._codecs = self._codecs
        other._collections = {key: col.clone() for key, col in self._collections.items()}
        other._kinds = {org: set(kinds) for org, kinds in self._kinds.items()}
        other._seq = self._seq
        other._org_seq = dict(self._org_seq)
        other._live = True
        return other

    def collection(self, org_id: str, kind: str) -> Collection:
        key = (org_id, kind)
        col = self._collections.get(key)
        if col is None:
            col = self._collections[key] = Collection(self._codecs.get(kind))
            self._kinds.setdefault(org_id, set()).add(kind)
        return col

    def copy_org(self, source: Store, source_org: str, org_id: str) -> None:
        """Give ``org_id`` a clone of every collection ``source_org`` has in ``source`` (same ids, same order).

        Sequence numbers are kept: they are at most ``source``'s counter, where ``org_id``'s own count
        continues (the baseline's, in a live store cloned from it).
        """
        for kind in source._kinds.get(source_org, ()):
            self._collections[(org_id, kind)] = source._collections[(source_org, kind)].clone()
            self._kinds.setdefault(org_id, set()).add(kind)
        self._org_seq[org_id] = max(self._org_seq.get(org_id, self._seq), source._seq)

    def drop_org(self, org_id: str) -> None:
        """Forget every collection of ``org_id`` (and the cached renderings, which may name them)."""
        for kind in self._kinds.pop(org_id, ()):
            del self._collections[(org_id, kind)]
        self._org_seq.pop(org_id, None)
        self.rendered.clear()

    def insert(self, org_id: str, kind: str, record_id: str, record: Record) -> Record:
        if self._live:
            seq = self._org_seq[org_id] = self._org_seq.get(org_id, self._seq) + 1
        else:
            seq = self._seq = self._seq + 1
        col = self._collections.get((org_id, kind))
        if col is None:
            col = self.collection(org_id, kind)
        col.insert(record_id, record, seq)
        if self.log is not None:
            self.log.wrote(("i", org_id, kind, record_id, record))
        return record

    def get(self, org_id: str, kind: str, record_id: str) -> Record | None:
        col = self._collections.get((org_id, kind))
        if col is None:
            return None
        # Collection.get inlined: the store's most frequent call (several per request)
        stored = col._records.get(record_id)
        return col._decode(record_id, stored) if type(stored) is bytes else stored

    def replace(self, org_id: str, kind: str, record_id: str, record: Record) -> Record:
        """Raises ``KeyError`` when ``org_id`` has no record ``record_id`` of ``kind``."""
        col = self._collections.get((org_id, kind))
        if col is None:
            raise KeyError(record_id)
        col.replace(record_id, record)
        if self.log is not None:
            self.log.wrote(("r", org_id, kind, record_id, record))
        return record

    def remove(self, org_id: str, kind: str, record_id: str) -> Record | None:
        col = self._collections.get((org_id, kind))
        removed = None if col is None else col.remove(record_id)
        if removed is not None and self.log is not None:
            self.log.wrote(("d", org_id, kind, record_id, None))
        return removed

    def orgs(self) -> list[str]:
        """Every organisation that has a collection (the system organisation included)."""
        return sorted(self._kinds)

    def kinds(self, org_id: str) -> list[str]:
        """The kinds of record ``org_id`` has a collection of."""
        return sorted(self._kinds.get(org_id, ()))
