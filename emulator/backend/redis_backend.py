"""The Redis backend (``--state redis://host:port/db``): state shared by every worker and replica.

Uses the ``redis`` package's asyncio client, so nothing blocks the event loop. Each decision is one
Lua script (``redis_scripts.py``) run atomically by the server: one round trip, no race between
processes. The run-time settings (clock, strict mode, tenant settings) and their change announcements
are in ``redis_settings.py``. Keys live under ``<namespace>:`` so several emulators can share one Redis; :meth:`reset`
deletes that namespace only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Any

import orjson

from ..idempotency import (
    RETENTION_SECONDS,
    Decision,
    InFlight,
    Mismatch,
    Proceed,
    Replay,
    Signature,
    StoredResponse,
    org_scope_prefix,
)
from ..ratelimit import WINDOW_SECONDS, Verdict
from . import LogRead, redis_scripts
from .redis_settings import RedisSettings

#: Real-time expiry of a rate-limit bucket (ms): long enough for a manual clock that stands still;
#: expired slots are dropped on every hit anyway.
BUCKET_TTL_MS = 3_600_000
#: Real-time expiry of an idempotency key (ms); the clock-based retention is checked by the script.
KEY_TTL_MS = int(RETENTION_SECONDS * 1000)


def encode_response(response: StoredResponse) -> bytes:
    """A stored response as bytes: a JSON head (status, headers) then a newline and the raw body."""
    head = [response.status, [[name.decode("latin-1"), value.decode("latin-1")] for name, value in response.headers]]
    return orjson.dumps(head) + b"\n" + response.body


def decode_response(data: bytes) -> StoredResponse:
    """Inverse of :func:`encode_response`."""
    head, _, body = data.partition(b"\n")
    status, headers = orjson.loads(head)
    return StoredResponse(int(status), tuple((n.encode("latin-1"), v.encode("latin-1")) for n, v in headers), body)


def _log_read(reply: Any) -> LogRead:
    epoch, number, start, ops = reply
    return LogRead(bytes(epoch).decode(), int(number), int(start), [bytes(op) for op in ops])


class RedisBackend(RedisSettings):
    """Shared state in Redis. The client is made lazily per event loop (a test client runs its own)."""

    kind = "redis"

    def __init__(self, url: str, namespace: str = "cuadra-emulator", window: float = WINDOW_SECONDS) -> None:
        self.url = url
        self.namespace = namespace
        self.window = window
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, Any] = {}
        #: Round trips made (EVALSHA, INCR, SCAN...): what bench/ reports per request.
        self.round_trips = 0
        #: Journal appends sent whose reply is still to come (:meth:`journal_send`).
        self._journal_pending: set[asyncio.Future[int]] = set()

    @property
    def shared(self) -> bool:
        return True

    def key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    def _redis(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            import redis.asyncio  # the dependency is only needed when a Redis URL is configured

            self._client = redis.asyncio.from_url(self.url)
            self._loop = loop
            self._scripts = {
                name: self._client.register_script(getattr(redis_scripts, name))
                for name in (
                    "RATE_HIT",
                    "IDEM_BEGIN",
                    "IDEM_COMPLETE",
                    "IDEM_ABANDON",
                    "HASH_INCR",
                    "LOG_READ",
                    "RATE_HIT_LOG_READ",
                    "LOG_APPEND",
                    "LOG_RESTART",
                    "JOURNAL_APPEND",
                    "JOURNAL_CLEAR_ORG",
                )
            }
        return self._client

    async def _run(self, script: str, keys: list[str], args: list[object]) -> Any:
        self._redis()
        self.round_trips += 1
        return await self._scripts[script](keys=keys, args=args)

    async def rate_hit(self, buckets: Sequence[tuple[str, int]], now: float) -> Verdict:
        keys = [self.key("rl", name) for name, _ in buckets]
        args: list[object] = [repr(now), repr(self.window), BUCKET_TTL_MS, *(limit for _, limit in buckets)]
        allowed, limit, remaining, reset, retry_after = await self._run("RATE_HIT", keys, args)
        return Verdict(bool(allowed), int(limit), int(remaining), int(reset), int(retry_after))

    def _log_keys(self, owner: str) -> list[str]:
        return [self.key("log", owner), self.key("epoch", owner), self.key("num", owner), self.key("births")]

    async def log_read(self, owner: str, epoch: str, applied: int, reserve: bool) -> LogRead:
        reply = await self._run("LOG_READ", self._log_keys(owner), [epoch, applied, int(reserve)])
        return _log_read(reply)

    async def rate_hit_log_read(
        self, buckets: Sequence[tuple[str, int]], now: float, owner: str, epoch: str, applied: int, reserve: bool
    ) -> tuple[Verdict, LogRead]:
        keys = [self.key("rl", name) for name, _ in buckets] + self._log_keys(owner)
        args: list[object] = [len(buckets), repr(now), repr(self.window), BUCKET_TTL_MS, *(limit for _, limit in buckets)]
        verdict, read = await self._run("RATE_HIT_LOG_READ", keys, [*args, epoch, applied, int(reserve)])
        allowed, limit, remaining, reset, retry_after = verdict
        return Verdict(bool(allowed), int(limit), int(remaining), int(reset), int(retry_after)), _log_read(read)

    async def log_append(self, owner: str, epoch: str, applied: int, ops: Sequence[bytes]) -> tuple[int, list[bytes]]:
        before, others = await self._run("LOG_APPEND", self._log_keys(owner)[:2], [epoch, applied, *ops])
        return int(before), [bytes(op) for op in others]

    async def log_restart(self, owner: str, ops: Sequence[bytes]) -> str:
        return bytes(await self._run("LOG_RESTART", self._log_keys(owner), list(ops))).decode()

    def _journal_keys(self) -> list[str]:
        return [self.key("journal"), self.key("journal-seq"), self.key("journal-cleared")]

    async def journal_append(self, org: str | None, fields: Sequence[bytes], bound: int) -> int:
        stream, counter, _ = self._journal_keys()
        return int(await self._run("JOURNAL_APPEND", [stream, counter], [bound, org or "", *fields]))

    async def journal_send(self, org: str | None, fields: Sequence[bytes], bound: int) -> Awaitable[int]:
        """Write the append on a connection of its own and return once it is written, not answered:
        the reply is read in the background (no round trip on the request's path)."""
        stream, counter, _ = self._journal_keys()
        pool = self._redis().connection_pool
        connection = await pool.get_connection()
        try:
            args = ("EVAL", redis_scripts.JOURNAL_APPEND, 2, stream, counter, bound, org or "", *fields)
            await connection.send_command(*args)
        except BaseException:
            await pool.release(connection)
            raise
        reply = asyncio.ensure_future(self._journal_reply(pool, connection))
        self._journal_pending.add(reply)
        reply.add_done_callback(self._journal_done)
        return reply

    @staticmethod
    async def _journal_reply(pool: Any, connection: Any) -> int:
        try:
            return int(await connection.read_response())
        finally:
            await pool.release(connection)

    def _journal_done(self, reply: asyncio.Future[int]) -> None:
        self._journal_pending.discard(reply)
        if not reply.cancelled() and reply.exception() is not None:
            logging.getLogger("emulator").warning("journal append failed: %r", reply.exception())

    async def _journal_flush(self) -> None:
        """Wait for the replies of this process's appends (a read here then sees them all)."""
        loop = asyncio.get_running_loop()
        mine = [reply for reply in self._journal_pending if reply.get_loop() is loop]  # a test client runs its own loop
        if mine:
            await asyncio.gather(*mine, return_exceptions=True)

    async def journal_read(self) -> list[tuple[int, list[bytes]]]:
        await self._journal_flush()
        stream, _, cleared = self._journal_keys()
        client = self._redis()
        self.round_trips += 1
        async with client.pipeline(transaction=True) as pipe:  # one round trip, one consistent view
            entries, marks = await pipe.xrange(stream).hgetall(cleared).execute()
        upto = {bytes(org).decode(): int(seq) for org, seq in marks.items()}
        found = []
        for entry_id, data in entries:
            seq = int(bytes(entry_id).split(b"-")[0])
            org = bytes(data[b"o"]).decode()
            if org in upto and seq <= upto[org]:
                continue
            found.append((seq, [bytes(data[b"h"]), bytes(data[b"q"]), bytes(data[b"r"])]))
        return found

    async def journal_clear(self, org: str | None) -> None:
        await self._journal_flush()
        stream, counter, cleared = self._journal_keys()
        if org is None:
            client = self._redis()
            self.round_trips += 1
            await client.unlink(stream, counter, cleared)
            return
        await self._run("JOURNAL_CLEAR_ORG", [counter, cleared], [org])

    async def idem_begin(self, scope: str, signature: Signature, now: float) -> Decision:
        keys = [self.key("idem", scope), self.key("claims")]
        reply = await self._run("IDEM_BEGIN", keys, ["\x1f".join(signature), repr(now), repr(RETENTION_SECONDS), KEY_TTL_MS])
        verb = bytes(reply[0]).decode()
        if verb == "proceed":
            return Proceed(bytes(reply[1]).decode())
        if verb == "mismatch":
            return Mismatch()
        if verb == "inflight":
            return InFlight()
        return Replay(decode_response(bytes(reply[1])))

    async def idem_complete(self, scope: str, claim: object, response: StoredResponse) -> bool:
        stored = await self._run("IDEM_COMPLETE", [self.key("idem", scope)], [str(claim), encode_response(response)])
        return bool(stored)

    async def idem_abandon(self, scope: str, claim: object) -> None:
        await self._run("IDEM_ABANDON", [self.key("idem", scope)], [str(claim)])

    async def incr(self, counter: str) -> int:
        client = self._redis()
        self.round_trips += 1
        return int(await client.incr(self.key("ctr", counter)))

    async def hash_incr(self, key: str, fields: Sequence[str], read: str) -> tuple[list[int], str | None]:
        reply = await self._run("HASH_INCR", [self.key("h", key)], [read, *fields])
        head = reply[0]
        return [int(value) for value in reply[1:]], (None if head is None else bytes(head).decode())

    async def hash_set(self, key: str, field: str, value: str) -> None:
        client = self._redis()
        self.round_trips += 1
        await client.hset(self.key("h", key), field, value)

    async def delete(self, key: str) -> None:
        client = self._redis()
        self.round_trips += 1
        await client.unlink(self.key("h", key), self.key("ctr", key))

    async def reset(self) -> None:
        await self._unlink_matching(self.key("*"))

    async def forget_org(self, org: str) -> None:
        client = self._redis()
        await client.unlink(self.key("rl", f"o:{org}"))
        await self._unlink_matching(self.key("rl", f"u:{org}:*"))
        await self._unlink_matching(self.key("idem", f"{org_scope_prefix(org)}*"))
        async for name in client.scan_iter(match=self.key("h", "*"), count=1000):  # scenario calls and states
            fields = [field async for field, _ in client.hscan_iter(name, match=f"{org}:*", count=1000)]
            if fields:
                await client.hdel(name, *fields)
        await self.journal_clear(org)

    async def _unlink_matching(self, pattern: str) -> None:
        client = self._redis()
        batch: list[Any] = []
        async for name in client.scan_iter(match=pattern, count=1000):
            batch.append(name)
            if len(batch) >= 1000:
                await client.unlink(*batch)
                batch.clear()
        if batch:
            await client.unlink(*batch)

    async def aclose(self) -> None:
        await self._journal_flush()
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            await client.aclose()
