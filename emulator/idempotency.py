"""Idempotency-Key bookkeeping as pure logic: fingerprints, retention, in-flight marks, replays.

No HTTP here: :class:`IdempotencyCache` takes ``now`` as an argument and stores plain bytes, so the
pipeline step (``emulator/pipeline/idempotency.py``) is a thin adapter and this module is tested alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from dataclasses import dataclass

#: How long a key is remembered (clock seconds): 24 hours, counted from the first request.
RETENTION_SECONDS = 24 * 3600.0
#: Longest accepted ``Idempotency-Key`` (characters).
MAX_KEY_LENGTH = 255
#: Most keys remembered at once; past it the oldest finished keys are forgotten early.
DEFAULT_CAPACITY = 10_000
#: How often (clock seconds) a full sweep of expired keys runs; lookups also expire lazily.
SWEEP_INTERVAL = 60.0

Signature = tuple[str, str, str]
RawHeaders = tuple[tuple[bytes, bytes], ...]
#: Joins the parts of a key's scope (a client's key may contain any printable character, never this one).
SCOPE_SEPARATOR = "\x1f"


def scope_key(org_id: str, user_id: str, key: str) -> str:
    """Where a key lives: one user of one organisation (a colleague's key never replays your answer)."""
    return f"{org_id}{SCOPE_SEPARATOR}{user_id}{SCOPE_SEPARATOR}{key}"


def scope_org(scope: str) -> str:
    """The organisation of a :func:`scope_key` (the whole string for a scope without a separator)."""
    return scope.partition(SCOPE_SEPARATOR)[0]


def org_scope_prefix(org_id: str) -> str:
    """What every :func:`scope_key` of ``org_id`` starts with (a per-tenant reset forgets them)."""
    return f"{org_id}{SCOPE_SEPARATOR}"


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a usable Idempotency-Key (empty or too long), or None when it is fine."""
    if not key.strip():
        return "Idempotency-Key must not be empty."
    if len(key) > MAX_KEY_LENGTH:
        return f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters long (got {len(key)})."
    return None


def multipart_boundary(content_type: str) -> str | None:
    """The ``boundary`` parameter of a ``multipart/*`` content type, or None."""
    media, _, params = content_type.partition(";")
    if not media.strip().lower().startswith("multipart/"):
        return None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip().strip('"')
    return None


def request_signature(method: str, path: str, body: bytes, boundary: str | None = None) -> Signature:
    """What makes two requests "the same": method, path (trailing slash ignored) and sha256 of the body.

    For a multipart body pass its ``boundary``: clients draw a fresh random boundary for every attempt,
    so it is blanked out before hashing (the parts themselves still count byte for byte).
    """
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    if boundary:
        body = body.replace(b"--" + boundary.encode("latin-1"), b"--")
    return method.upper(), path, hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class StoredResponse:
    """A finished response, kept byte for byte for replays."""

    status: int
    headers: RawHeaders
    body: bytes


class Entry:
    """One remembered key: the request it belongs to and, once finished, its response."""

    __slots__ = ("signature", "created", "response")

    def __init__(self, signature: Signature, created: float) -> None:
        self.signature = signature
        self.created = created
        self.response: StoredResponse | None = None  # None while the first request is in flight


@dataclass(frozen=True)
class Proceed:
    """First use of the key: run the request, then :meth:`IdempotencyCache.complete` or ``abandon``.

    ``entry`` is the claim to hand back: an :class:`Entry` in memory, a fencing token in Redis.
    """

    entry: Entry | str


@dataclass(frozen=True)
class Replay:
    """The key's request already finished: answer with ``response``."""

    response: StoredResponse


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request (method, path or body)."""


@dataclass(frozen=True)
class InFlight:
    """The key's first request has not finished yet."""


Decision = Proceed | Replay | Mismatch | InFlight


class IdempotencyCache:
    """Keys per scope (e.g. ``(org_id, key)``), their requests and responses, bounded in time and size.

    :meth:`begin` looks a key up and, when it is new, marks it in flight in the same synchronous call,
    so concurrent requests on one event loop can never both proceed.
    """

    def __init__(
        self, retention: float = RETENTION_SECONDS, capacity: int = DEFAULT_CAPACITY, sweep_interval: float = SWEEP_INTERVAL
    ) -> None:
        self.retention = retention
        self.capacity = max(1, capacity)
        self.sweep_interval = sweep_interval
        self._entries: dict[Hashable, Entry] = {}  # insertion order = age order
        self._next_sweep: float | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def begin(self, scope_key: Hashable, signature: Signature, now: float) -> Decision:
        """Decide what to do with a request carrying a key; a new key is marked in flight at once."""
        self._maybe_sweep(now)
        entry = self._entries.get(scope_key)
        if entry is not None and self._expired(entry, now):
            del self._entries[scope_key]
            entry = None
        if entry is None:
            if len(self._entries) >= self.capacity:
                self._make_room(now)
            entry = Entry(signature, now)
            self._entries[scope_key] = entry
            return Proceed(entry)
        if entry.signature != signature:
            return Mismatch()
        if entry.response is None:
            return InFlight()
        return Replay(entry.response)

    def complete(self, scope_key: Hashable, entry: Entry, response: StoredResponse) -> bool:
        """Remember ``response`` for ``entry``; False (nothing stored) if it is gone (reset, expiry)."""
        if self._entries.get(scope_key) is not entry:
            return False
        entry.response = response
        return True

    def abandon(self, scope_key: Hashable, entry: Entry) -> None:
        """Forget an in-flight ``entry`` (5xx, crash, client gone) so a retry executes again."""
        if self._entries.get(scope_key) is entry:
            del self._entries[scope_key]

    def clear(self) -> None:
        """Forget everything (emulator reset); requests still in flight will not be stored."""
        self._entries.clear()
        self._next_sweep = None

    def _expired(self, entry: Entry, now: float) -> bool:
        return now - entry.created >= self.retention

    def _maybe_sweep(self, now: float) -> None:
        if self._next_sweep is not None and now < self._next_sweep:
            return
        self._next_sweep = now + self.sweep_interval
        expired = [key for key, entry in self._entries.items() if self._expired(entry, now)]
        for key in expired:
            del self._entries[key]

    def _make_room(self, now: float) -> None:
        """Drop expired keys, then the oldest finished ones (a tenth of capacity, so this stays rare)."""
        self._next_sweep = None
        self._maybe_sweep(now)
        if len(self._entries) < self.capacity:
            return
        target = self.capacity - max(1, self.capacity // 10)
        finished = [key for key, entry in self._entries.items() if entry.response is not None]
        for key in finished[: max(0, len(self._entries) - target)]:
            del self._entries[key]
