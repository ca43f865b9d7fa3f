"""Identifiers: derived from (seed, tenant, kind, per-tenant request number), never from ``uuid4``.

A request that creates records gets an :class:`Ids`: the organisation it acts in and a number that
organisation's requests count up (per tenant, see :class:`RequestNumbers` and, with a shared backend,
one ``INCR`` in Redis). Every id is a keyed hash (BLAKE2b, key derived from the seed) of
``(organisation, number, kind, position within the request)``, so the same per-tenant sequence of
requests gives the same ids whichever worker or replica serves it, and two replicas never mint the same
id for different records. The fixture loader keeps drawing from a seeded ``random.Random``.
"""

from __future__ import annotations

import random
import uuid
from hashlib import blake2b
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import EmulatorState


def prefixed_id(rng: random.Random, prefix: str) -> str:
    """An id like ``chat_3f9a…`` (24 hex digits) drawn from ``rng`` (fixtures, control plane)."""
    return f"{prefix}_{rng.getrandbits(96):024x}"


def uuid_id(rng: random.Random) -> str:
    """A version-4 UUID string drawn from ``rng`` (models use UUIDs in the reference)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class IdKey:
    """The key ids are hashed with, held as BLAKE2b states that have already absorbed it (one per
    digest size): copying one and hashing a name costs about half of hashing it with ``key=``, which
    compresses the key's block again for every id. Made once per emulator (``EmulatorState.id_key``)."""

    __slots__ = ("key", "keyed")

    def __init__(self, key: bytes) -> None:
        self.key = key
        #: digest size -> a BLAKE2b state keyed with ``key`` that has hashed nothing else (copy before use)
        self.keyed = {size: blake2b(key=key, digest_size=size) for size in (12, 16)}

    def digest(self, data: bytes, size: int) -> bytes:
        """``blake2b(data, key=key, digest_size=size).digest()`` (``size`` 12 or 16)."""
        state = self.keyed[size].copy()
        state.update(data)
        return state.digest()


class Ids:
    """The ids one request mints: ``(key, org, number)`` fixed, a position counting each id drawn."""

    __slots__ = ("_key", "_short", "_head", "_position")

    def __init__(self, key: IdKey, org_id: str, number: int) -> None:
        self._key = key
        self._short = self._key.keyed[12]  # the prefixed ids' (a chat turn mints three)
        self._head = f"{org_id}\x1f{number}\x1f"
        self._position = 0

    def _digest(self, kind: str, size: int) -> bytes:
        self._position += 1
        return self._key.digest(f"{self._head}{kind}\x1f{self._position}".encode(), size)

    def prefixed(self, prefix: str) -> str:
        """An id like ``chat_3f9a…`` (24 hex digits), as the Cuadra docs' examples look."""
        # _digest(prefix, 12) written out: a chat turn mints three of these
        position = self._position = self._position + 1
        state = self._short.copy()
        state.update(f"{self._head}{prefix}\x1f{position}".encode())
        return f"{prefix}_{state.hexdigest()}"

    def uuid(self) -> str:
        """A version-4-shaped UUID string (models use UUIDs in the reference)."""
        return str(uuid.UUID(bytes=self._digest("uuid", 16), version=4))

    def rng(self, salt: str) -> random.Random:
        """A generator seeded by this request's identity (generated details such as a person's name)."""
        return random.Random(int.from_bytes(self._digest(salt, 16), "big"))


class RequestNumbers:
    """Per-organisation request numbers of one process (memory mode): 1, 2, 3... for each organisation,
    counted by the requests that mint ids. A shared backend hands them out instead (one per request)."""

    __slots__ = ("_numbers",)

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def next(self, org_id: str) -> int:
        number = self._numbers.get(org_id, 0) + 1
        self._numbers[org_id] = number
        return number

    def forget(self, org_id: str) -> None:
        """Start ``org_id`` over (a per-tenant reset: the same requests mint the same ids again)."""
        self._numbers.pop(org_id, None)

    def clear(self) -> None:
        self._numbers.clear()


async def control_ids(state: EmulatorState) -> Ids:
    """The ids a control-plane call mints (unnamed tenants and callers): numbered by a counter in the
    state backend, so replicas sharing one never hand out the same name, and a reset starts it over."""
    return Ids(state.id_key, "", await state.backend.incr("control-ids"))
