"""The in-process backend: the pure limiter and idempotency cache, behind :class:`StateBackend`."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence

from ..idempotency import Decision, Entry, IdempotencyCache, Signature, StoredResponse, scope_org
from ..ratelimit import Counted, RateLimiter, Verdict
from . import LogRead


class MemoryBackend:
    """State of one process (the default). Nothing here awaits: each decision is one synchronous call,
    so concurrent requests on the event loop cannot interleave inside it."""

    kind = "memory"

    def __init__(self) -> None:
        self.limiter = RateLimiter()
        self.org_limiters: dict[str, RateLimiter] = {}
        self.org_idempotency: dict[str, IdempotencyCache] = {}
        self.counters: dict[str, int] = {}
        self.hashes: dict[str, dict[str, str]] = {}
        #: Write logs per owner: ``(epoch, writes)`` (the contract suite's; the app keeps its store in memory).
        self.logs: dict[str, tuple[str, list[bytes]]] = {}
        self.numbers: dict[str, int] = {}
        self._births = 0  # never reset: every new log gets an epoch no earlier log had
        self.settings: dict[str, str] = {}
        #: The journal as the contract describes it (the app's memory mode keeps its own ring, emulator/journal.py).
        self.journal: deque[tuple[int, str | None, list[bytes]]] = deque()
        self.journal_seq = 0

    @property
    def shared(self) -> bool:
        return False

    async def rate_hit(self, buckets: Sequence[tuple[str, int]], now: float) -> Verdict:
        return self._limiter(buckets).hit(buckets, now)

    def rate_hit_now(self, org_id: str, user_id: str, per_user: int, per_org: int, now: float) -> Counted:
        """``await rate_hit([(f"u:{org_id}:{user_id}", per_user), (f"o:{org_id}", per_org)], now)``, the
        same verdict and windows, as a plain call (the state is in memory). The rate step counts a caller
        seen before through its lane itself and calls this for the others: the lane is opened here."""
        limiter = self._org_limiter(org_id)
        verdict = limiter.hit_lane(user_id, per_user, per_org, now)
        if verdict is None:  # a new caller, or one whose lane the idle sweep dropped
            limiter.open_lane(user_id, f"u:{org_id}:{user_id}", f"o:{org_id}")
            verdict = limiter.hit_lane(user_id, per_user, per_org, now)
            assert verdict is not None  # the lane was just opened and the sweep is not due again
        return verdict

    def _limiter(self, buckets: Sequence[tuple[str, int]]) -> RateLimiter:
        """The limiter of the organisation whose ``o:{org}`` bucket is in ``buckets``: each organisation's
        idle-bucket sweeps then run on its own clock, so a tenant that jumps ahead cannot drop the
        windows of another tenant (see :mod:`emulator.tenants.clock`)."""
        org = next((name[2:] for name, _ in buckets if name.startswith("o:")), None)
        return self.limiter if org is None else self._org_limiter(org)

    def _org_limiter(self, org: str) -> RateLimiter:
        """The limiter of organisation ``org`` (made on its first request)."""
        limiter = self.org_limiters.get(org)
        if limiter is None:
            limiter = self.org_limiters[org] = RateLimiter()
        return limiter

    def _keys(self, scope: str) -> IdempotencyCache:
        """The Idempotency-Keys of the scope's organisation: their expiry sweeps read that organisation's
        clock, so a tenant that jumps a day ahead cannot expire the keys of another tenant; a per-tenant
        reset drops its cache whole."""
        org = scope_org(scope)
        cache = self.org_idempotency.get(org)
        if cache is None:
            cache = self.org_idempotency[org] = IdempotencyCache()
        return cache

    async def idem_begin(self, scope: str, signature: Signature, now: float) -> Decision:
        return self._keys(scope).begin(scope, signature, now)

    async def idem_complete(self, scope: str, claim: object, response: StoredResponse) -> bool:
        return isinstance(claim, Entry) and self._keys(scope).complete(scope, claim, response)

    async def idem_abandon(self, scope: str, claim: object) -> None:
        if isinstance(claim, Entry):
            self._keys(scope).abandon(scope, claim)

    def _log(self, owner: str) -> tuple[str, list[bytes]]:
        found = self.logs.get(owner)
        if found is None:
            self._births += 1
            found = self.logs[owner] = (f"m{self._births}", [])
        return found

    async def log_read(self, owner: str, epoch: str, applied: int, reserve: bool) -> LogRead:
        current, ops = self._log(owner)
        number = 0
        if reserve:
            number = self.numbers[owner] = self.numbers.get(owner, 0) + 1
        start = applied if current == epoch else 0
        return LogRead(current, number, start, ops[start:])

    async def rate_hit_log_read(
        self, buckets: Sequence[tuple[str, int]], now: float, owner: str, epoch: str, applied: int, reserve: bool
    ) -> tuple[Verdict, LogRead]:
        return await self.rate_hit(buckets, now), await self.log_read(owner, epoch, applied, reserve)

    async def log_append(self, owner: str, epoch: str, applied: int, ops: Sequence[bytes]) -> tuple[int, list[bytes]]:
        found = self.logs.get(owner)
        if found is None or found[0] != epoch:
            return -1, []
        log = found[1]
        before = len(log)
        others = log[applied:before] if before != applied else []
        log.extend(ops)
        return before, others

    async def log_restart(self, owner: str, ops: Sequence[bytes]) -> str:
        self.logs.pop(owner, None)
        self.numbers.pop(owner, None)
        epoch, log = self._log(owner)
        log.extend(ops)
        return epoch

    async def incr(self, counter: str) -> int:
        value = self.counters.get(counter, 0) + 1
        self.counters[counter] = value
        return value

    async def hash_incr(self, key: str, fields: Sequence[str], read: str) -> tuple[list[int], str | None]:
        found = self.hashes.setdefault(key, {})
        values = []
        for name in fields:
            value = int(found.get(name, "0")) + 1
            found[name] = str(value)
            values.append(value)
        return values, found.get(read)

    async def hash_set(self, key: str, field: str, value: str) -> None:
        self.hashes.setdefault(key, {})[field] = value

    async def delete(self, key: str) -> None:
        self.hashes.pop(key, None)
        self.counters.pop(key, None)

    async def journal_append(self, org: str | None, fields: Sequence[bytes], bound: int) -> int:
        self.journal_seq += 1
        self.journal.append((self.journal_seq, org, list(fields)))
        while len(self.journal) > bound:
            self.journal.popleft()
        return self.journal_seq

    async def journal_send(self, org: str | None, fields: Sequence[bytes], bound: int) -> Awaitable[int]:
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        done.set_result(await self.journal_append(org, fields, bound))
        return done

    async def journal_read(self) -> list[tuple[int, list[bytes]]]:
        return [(seq, fields) for seq, _, fields in self.journal]

    async def journal_clear(self, org: str | None) -> None:
        if org is None:
            self.journal.clear()
            self.journal_seq = 0
            return
        kept = [item for item in self.journal if item[1] != org]
        self.journal.clear()
        self.journal.extend(kept)

    async def settings_write(self, fields: Mapping[str, str | None]) -> None:
        for name, value in fields.items():
            if value is None:
                self.settings.pop(name, None)
            else:
                self.settings[name] = value

    async def settings_read(self) -> dict[str, str]:
        return dict(self.settings)

    async def settings_announce(self) -> int:
        return 0

    async def settings_listen(self, apply: Callable[[dict[str, str]], None]) -> None:
        return None

    def clear(self) -> None:
        """Synchronous :meth:`reset` (registered as the state's reset hook)."""
        self.limiter.clear()
        self.org_limiters.clear()
        self.org_idempotency.clear()
        self.counters.clear()
        self.hashes.clear()
        self.logs.clear()
        self.numbers.clear()
        self.settings.clear()
        self.journal.clear()
        self.journal_seq = 0

    async def reset(self) -> None:
        self.clear()

    async def forget_org(self, org: str) -> None:
        user_prefix, field_prefix, own = f"u:{org}:", f"{org}:", f"o:{org}"
        self.org_limiters.pop(org, None)
        self.limiter.forget(lambda key: key == own or str(key).startswith(user_prefix))
        self.org_idempotency.pop(org, None)
        for fields in self.hashes.values():  # scenario calls and states are fields "<org>:..."
            for name in [name for name in fields if name.startswith(field_prefix)]:
                del fields[name]
        await self.journal_clear(org)

    async def aclose(self) -> None:
        return None
