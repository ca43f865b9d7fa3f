"""The shared-state backend: what several workers or replicas must agree on, behind one interface.

:class:`StateBackend` covers the state that decides what a client sees when its requests are spread
over processes: rate-limit windows, Idempotency-Key claims and replays, named counters and hashes of
counters (scenario calls and states per tenant), per-tenant logs of store writes (the resources,
see :mod:`emulator.backend.shared_store`), and the run-time settings a control call changes (the
manual clock, per-tenant clocks, strict mode, tenant settings: :mod:`emulator.settings_sync`). Two
implementations keep the same contract (``tests/test_backend_contract.py`` runs one suite on both):

- :class:`~emulator.backend.memory.MemoryBackend` (the default): plain objects in this process;
- :class:`~emulator.backend.redis_backend.RedisBackend` (``--state redis://host:port/db``): the
  ``redis`` package's asyncio client, one atomic Lua script per decision, nothing blocking the loop.

Every method takes ``now`` from the emulator's clock, so windows and retention follow a manual clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..config import Config
    from ..idempotency import Decision, Signature, StoredResponse
    from ..ratelimit import Verdict

MEMORY = "memory"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


@dataclass(frozen=True, slots=True)
class LogRead:
    """What a read of one tenant's write log returns (see :mod:`emulator.backend.shared_store`)."""

    #: The log's identity: a new one after every reset of the tenant (or of everything).
    epoch: str
    #: The request number reserved for the caller (0 when none was asked for).
    number: int
    #: Position of ``ops[0]`` in the log: the caller's ``applied``, or 0 when the epoch changed.
    start: int
    #: Encoded writes from ``start`` to the end of the log.
    ops: list[bytes]


class StateBackend(Protocol):
    """Shared state for rate limits, idempotency and counters (see the module docstring)."""

    #: ``"memory"`` or ``"redis"``; a shared backend lets several processes serve one emulator.
    kind: str

    @property
    def shared(self) -> bool:
        """Whether other processes see this state (required by ``--workers N`` with N > 1)."""

    async def rate_hit(self, buckets: Sequence[tuple[str, int]], now: float) -> Verdict:
        """Admit a request against every ``(bucket, limit)`` or refuse it (a refusal consumes nothing);
        same rule and verdict as :meth:`emulator.ratelimit.RateLimiter.hit`."""

    async def idem_begin(self, scope: str, signature: Signature, now: float) -> Decision:
        """Look ``scope`` (caller + key) up and, when it is new or expired, claim it in flight atomically:
        of concurrent requests with one key, in any process, exactly one gets ``Proceed``."""

    async def idem_complete(self, scope: str, claim: object, response: StoredResponse) -> bool:
        """Store the finished response for the claim ``idem_begin`` handed out; False when the claim
        is gone (reset, expiry) and nothing was stored."""

    async def idem_abandon(self, scope: str, claim: object) -> None:
        """Release an in-flight claim (5xx, fault, client gone) so a retry executes again."""

    async def incr(self, counter: str) -> int:
        """Add one to a named counter and return the new value (1 on first use)."""

    async def hash_incr(self, key: str, fields: Sequence[str], read: str) -> tuple[list[int], str | None]:
        """Add one to each of ``fields`` of the hash ``key`` and read the field ``read``, atomically:
        ``(new values in order, value of read or None)`` (scenario counters and state per tenant)."""

    async def hash_set(self, key: str, field: str, value: str) -> None:
        """Set one field of the hash ``key``."""

    async def delete(self, key: str) -> None:
        """Forget the hash or counter ``key``."""

    async def log_read(self, owner: str, epoch: str, applied: int, reserve: bool) -> LogRead:
        """The writes of ``owner``'s log after the first ``applied`` ones (all of them when ``epoch`` is
        not the log's, e.g. after a reset), and, when ``reserve``, the next request number of ``owner``."""

    async def rate_hit_log_read(
        self, buckets: Sequence[tuple[str, int]], now: float, owner: str, epoch: str, applied: int, reserve: bool
    ) -> tuple[Verdict, LogRead]:
        """:meth:`rate_hit` and :meth:`log_read` in one round trip."""

    async def log_append(self, owner: str, epoch: str, applied: int, ops: Sequence[bytes]) -> tuple[int, list[bytes]]:
        """Append ``ops`` to ``owner``'s log when its epoch is still ``epoch``: ``(length before, the writes
        between applied and it)`` (others' writes the caller has not seen); ``(-1, [])`` and nothing
        appended when the epoch changed."""

    async def log_restart(self, owner: str, ops: Sequence[bytes]) -> str:
        """Give ``owner`` a new log holding ``ops`` (a new epoch) and restart its request numbers; the
        new epoch (a per-tenant reset)."""

    async def journal_append(self, org: str | None, fields: Sequence[bytes], bound: int) -> int:
        """Append one finished request (``fields`` from :func:`emulator.journal.encode_record`) to the
        shared journal, keeping at most ``bound`` entries (the oldest drop off); its number (1, 2, ...
        since the last full clear, in the order the appends reached the backend)."""

    async def journal_send(self, org: str | None, fields: Sequence[bytes], bound: int) -> Awaitable[int]:
        """:meth:`journal_append` without waiting for its reply: returns once the append is written to
        the backend's connection (not answered), with an awaitable of its number.
        Reads and clears through this backend object wait for its appends still unanswered."""

    async def journal_read(self) -> list[tuple[int, list[bytes]]]:
        """The journal, oldest first: ``(number, fields)``, without the entries a per-organisation
        :meth:`journal_clear` (or :meth:`forget_org`) dropped."""

    async def journal_clear(self, org: str | None) -> None:
        """Forget the journal (``None``: all of it, numbers start over) or one organisation's entries."""

    async def settings_write(self, fields: Mapping[str, str | None]) -> None:
        """Set (a string) or delete (``None``) fields of the shared run-time settings, atomically."""

    async def settings_read(self) -> dict[str, str]:
        """Every field of the run-time settings (empty after :meth:`reset`)."""

    async def settings_announce(self) -> int:
        """Tell every process listening (:meth:`settings_listen`) that the settings changed and wait, at
        most ``ACK_TIMEOUT`` seconds, until each has applied them; returns how many acknowledged
        (0 in memory: no other process exists)."""

    async def settings_listen(self, apply: Callable[[dict[str, str]], None]) -> None:
        """Until cancelled: ``apply`` the current settings at once, then again after every announcement,
        acknowledging each. Returns at once in memory (no other process can change them)."""

    async def reset(self) -> None:
        """Forget everything this backend holds for this emulator (its namespace only)."""

    async def forget_org(self, org: str) -> None:
        """Forget one organisation's rate-limit windows, idempotency keys, hash fields ``<org>:...``
        (its scenario calls and states) and journal entries: a per-tenant reset."""

    async def aclose(self) -> None:
        """Release connections (server shutdown)."""


def check_state_option(value: str) -> str:
    """Validate ``--state``: ``memory`` or a Redis URL; raises ValueError naming what is accepted."""
    text = value.strip()
    if text == MEMORY or text.startswith(REDIS_SCHEMES):
        return text
    raise ValueError(f"--state must be 'memory' or a Redis URL (redis://host:port/db), got {value!r}")


def open_backend(config: Config) -> StateBackend:
    """The backend ``config.state`` names (no connection is made before the first request)."""
    if config.state == MEMORY:
        from .memory import MemoryBackend

        return MemoryBackend()
    from .redis_backend import RedisBackend

    return RedisBackend(config.state, namespace=config.state_namespace)
