"""Resources shared by every worker and replica: a per-tenant write log in the backend, a view in each process.

With a shared backend (``--state redis://...``) the truth about a tenant's resources is its **log**:
the writes (insert, replace, remove, mint) every process made to that tenant, in the order the backend
received them. Each process keeps its in-memory :class:`~emulator.store.Store` as a materialised view
of the logs it has read, so reads and keyset pages stay local, synchronous and O(limit).

- **Before a request** of tenant T (the store step, or folded into the rate-limit round trip), the
  process reads the writes of T's log after the ones it applied and applies them; the same round trip
  reserves the request's number among T's requests (the ids derive from it, :mod:`emulator.ids`).
- **During the request** the store reports each write here (:meth:`SharedStore.wrote`); the writes are
  applied locally at once and kept pending.
- **After the handler**, before the response leaves, the pending writes are appended in one round
  trip, which also returns the writes other processes appended since this one's last read. If there
  were any (two processes wrote T at once), or a read brings writes while this process has pending
  ones, the process re-materialises T: fixture baseline, then the log, then its pending writes, so
  every process converges on the log's order (two concurrent writes of one record: the later in the
  log wins) and gives T's records the same sequence numbers (cursors work on every replica).
- **Resets** give the log a new epoch: a process that reads a log with another epoch than its own
  rebuilds T from the baseline and the new log (a reset through one replica is seen by all).

The memory backend never uses this (one process, nothing to share, no cost on the hot path).
"""

from __future__ import annotations

import asyncio
import base64
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import orjson

from ..domain.models import SYSTEM_ORG
from ..tenants import ORG_KIND

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from ..ratelimit import Verdict
    from ..state import EmulatorState
    from ..store import Op, Record, Store
    from . import LogRead, StateBackend

_BYTES = "$bytes"


def _default(value: object) -> Any:
    if isinstance(value, bytes):  # uploaded file contents
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    raise TypeError(f"not storable: {type(value).__name__}")


def encode_op(op: Op) -> bytes:
    """One write as JSON (``bytes`` values of a record as ``{"$bytes": base64}``)."""
    return orjson.dumps(op, default=_default)


def decode_op(data: bytes) -> Op:
    """Inverse of :func:`encode_op` (tuples in records come back as lists, as a client sees them)."""
    verb, org, kind, record_id, record = orjson.loads(data)
    if record is not None:
        for name, value in record.items():
            if isinstance(value, dict) and len(value) == 1 and _BYTES in value:
                record[name] = base64.b64decode(value[_BYTES])
    return verb, org, kind, record_id, record


def owner_of(op: Op) -> str:
    """The tenant whose log holds ``op``: an organisation record belongs to its organisation."""
    _, org, kind, record_id, _ = op
    return record_id if org == SYSTEM_ORG and kind == ORG_KIND else org


class SharedStore:
    """This process's side of the shared logs (see the module docstring).

    Only counts are kept per log (how many of its writes this view applied): a rebuild reads the whole
    log again, so a shared store holds no second copy of the records."""

    def __init__(self, state: EmulatorState, backend: StateBackend) -> None:
        self.state = state
        self.backend = backend
        self._epochs: dict[str, str] = {}  # owner -> epoch of the log this process applied
        self._applied: dict[str, int] = {}  # owner -> how many of the log's writes are applied here
        self._pending: dict[str, list[Op]] = {}  # owner -> writes made here, not yet in the log
        self._gates: dict[str, Gate] = {}
        #: Re-materialisations (concurrent writers or resets seen); bench/ and tests read it.
        self.rebuilds = 0

    # -- the store's side ---------------------------------------------------------------------------

    def attach(self, store: Store) -> None:
        """Watch ``store``'s writes (a fresh store: nothing of any log is applied to it yet)."""
        store.log = self
        self._epochs.clear()
        self._applied.clear()
        self._pending.clear()

    def wrote(self, op: Op) -> None:
        owner = owner_of(op)
        if owner != SYSTEM_ORG:  # the system catalog is fixture data, the same in every process
            self._pending.setdefault(owner, []).append(op)

    # -- round trips --------------------------------------------------------------------------------

    def _gate(self, owner: str) -> Gate:
        gate = self._gates.get(owner)
        if gate is None:
            gate = self._gates[owner] = Gate()
        return gate

    async def sync(self, owner: str, reserve: bool = True) -> int:
        """Apply the writes of ``owner``'s log this process has not seen; the reserved request number
        (0 unless ``reserve``). One round trip (two when the tenant must be re-materialised); reads of
        one tenant run concurrently, not with its appends."""
        async with self._gate(owner).reading():
            read = await self.backend.log_read(owner, self._epochs.get(owner, ""), self._applied.get(owner, 0), reserve)
            if self._absorb(owner, read):
                await self._refetch(owner)
            return read.number

    async def rate_hit(self, owner: str, buckets: Sequence[tuple[str, int]], now: float) -> tuple[Verdict, int]:
        """The rate-limit verdict and :meth:`sync` in one round trip: ``(verdict, request number)``."""
        async with self._gate(owner).reading():
            epoch, applied = self._epochs.get(owner, ""), self._applied.get(owner, 0)
            verdict, read = await self.backend.rate_hit_log_read(buckets, now, owner, epoch, applied, True)
            if self._absorb(owner, read):
                await self._refetch(owner)
            return verdict, read.number

    async def flush(self) -> None:
        """Append every pending write to its log (one round trip per tenant written, normally one)."""
        for owner in list(self._pending):
            async with self._gate(owner).writing():
                ops = self._pending.pop(owner, None)
                if ops:
                    await self._append(owner, ops)

    async def _append(self, owner: str, ops: list[Op]) -> None:
        stale = False
        if owner not in self._epochs:  # never read here (a control-plane write): learn the log first
            read = await self.backend.log_read(owner, "", 0, False)
            self._epochs[owner], self._applied[owner], stale = read.epoch, len(read.ops), bool(read.ops)
        encoded = [encode_op(op) for op in ops]
        before, others = await self.backend.log_append(owner, self._epochs[owner], self._applied[owner], encoded)
        if before < 0:  # the log was reset meanwhile: the reset wins, these writes are dropped
            await self._refetch(owner)
            return
        self._applied[owner] = before + len(ops)
        if others or stale:  # others' writes come first in the log: re-materialise in its order
            await self._refetch(owner)
        # else: already applied here, in this order

    async def restart(self, owner: str) -> None:
        """After a local reset of ``owner``: give it a new log holding what a rebuild needs beyond the
        baseline (the mint of a tenant that is not a fixture organisation). One round trip."""
        async with self._gate(owner).writing():
            self._pending.pop(owner, None)
            store = self.state.store
            ops: list[Op] = []
            record = store.get(SYSTEM_ORG, ORG_KIND, owner)
            if record is not None and not self.state.tenants.is_fixture(owner):
                ops.append(("m", SYSTEM_ORG, ORG_KIND, owner, record))
            self._epochs[owner] = await self.backend.log_restart(owner, [encode_op(op) for op in ops])
            self._applied[owner] = len(ops)

    async def _refetch(self, owner: str) -> None:
        """Re-materialise ``owner`` from its whole log (one round trip)."""
        self._rebuild(owner, await self.backend.log_read(owner, "", 0, False))

    # -- applying -----------------------------------------------------------------------------------

    def _absorb(self, owner: str, read: LogRead) -> bool:
        """Apply what ``read`` brings; True when the caller must re-materialise from the whole log."""
        if read.epoch != self._epochs.get(owner):  # first sight of this log, or a reset
            if read.start != 0:
                return True
            self._rebuild(owner, read)
            return False
        applied = self._applied[owner]
        fresh = read.ops[max(0, applied - read.start) :]  # concurrent reads overlap: skip what is applied
        if not fresh:
            return False
        if self._pending.get(owner):  # local writes must come after these in every process
            return True
        self._applied[owner] = applied + len(fresh)
        self._apply([decode_op(op) for op in fresh])
        return False

    def _rebuild(self, owner: str, whole: LogRead) -> None:
        """``owner`` from the baseline, then its whole log, then this process's pending writes."""
        self.rebuilds += 1
        self._epochs[owner], self._applied[owner] = whole.epoch, len(whole.ops)
        state, store = self.state, self.state.store
        log, store.log = store.log, None
        try:
            store.drop_org(owner)
            fixture = state.baseline.get(SYSTEM_ORG, ORG_KIND, owner)
            if fixture is not None:
                store.copy_org(state.baseline, owner, owner)
                _put(store, SYSTEM_ORG, ORG_KIND, owner, fixture)
            else:
                store.remove(SYSTEM_ORG, ORG_KIND, owner)
            self._apply([decode_op(op) for op in whole.ops])
            self._apply(self._pending.get(owner, ()))
        finally:
            store.log = log

    def _apply(self, ops: Sequence[Op]) -> None:
        store = self.state.store
        log, store.log = store.log, None
        try:
            for verb, org, kind, record_id, record in ops:
                if verb == "d":
                    store.remove(org, kind, record_id)
                elif verb == "m":
                    assert record is not None
                    self.state.tenants.apply_mint(store, record_id, record)
                else:
                    assert record is not None
                    _put(store, org, kind, record_id, record)
        finally:
            store.log = log


def _put(store: Store, org: str, kind: str, record_id: str, record: Record) -> None:
    """Insert or replace (a write replayed onto a view that may already hold the record)."""
    if store.get(org, kind, record_id) is None:
        store.insert(org, kind, record_id, record)
    else:
        store.replace(org, kind, record_id, record)


class Gate:
    """Per tenant: reads of its log run concurrently, an append (or restart) runs alone, and a waiting
    append goes before reads that arrive after it (an answer must never bring back writes this process
    is appending, nor an append race a read)."""

    __slots__ = ("_cond", "_readers", "_writing", "_waiting")

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._readers = 0
        self._writing = False
        self._waiting = 0

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        cond = self._cond
        async with cond:
            await cond.wait_for(lambda: not self._writing and not self._waiting)
            self._readers += 1
        try:
            yield
        finally:
            async with cond:
                self._readers -= 1
                if not self._readers:
                    cond.notify_all()

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        cond = self._cond
        async with cond:
            self._waiting += 1
            try:
                await cond.wait_for(lambda: not self._writing and not self._readers)
            finally:
                self._waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            async with cond:
                self._writing = False
                cond.notify_all()
