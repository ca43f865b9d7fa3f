"""The run-time settings part of the Redis backend: one hash, a change channel and acknowledgements.

A control call that changes the clock, strict mode or a tenant's settings writes the fields it changed
(:meth:`RedisSettings.settings_write`, one MULTI round trip), then announces the change: a PUBLISH on
``<namespace>:settings-changed`` carrying the name of a fresh acknowledgement list. Every process
listens on that channel from its start-up (:meth:`RedisSettings.settings_listen`); on a message it
re-reads the whole hash, applies it and pushes one item onto the list. The announcer waits (BLPOP)
until as many items arrived as PUBLISH counted receivers, or ``ACK_TIMEOUT`` passed. So when the
control call answers, every listening process already applies the change: no staleness a client can
observe, and no cost on API requests, which read the process's own copy.

Re-reading the hash (instead of trusting the message) makes the order of messages irrelevant: the
last read of a listener is always the newest state.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
from collections.abc import Callable, Mapping
from typing import Any

logger = logging.getLogger("cuadra_emulator")

#: Longest wait (seconds) of a control call for the other processes' acknowledgements: a process that
#: is alive but stuck longer than this sees the change late rather than blocking the caller.
ACK_TIMEOUT = 5.0
#: Real-time expiry (ms) of an acknowledgement list nobody waits on any more.
ACK_TTL_MS = 60_000
#: Wall-time pause before a listener whose connection broke subscribes again.
RECONNECT_PAUSE = 0.2


class RedisSettings:
    """Mixed into :class:`~emulator.backend.redis_backend.RedisBackend` (which provides the client)."""

    namespace: str
    round_trips: int
    #: Serial numbers of this backend's announcements (made on first use).
    _acks: itertools.count[int] | None = None

    def key(self, *parts: str) -> str:
        raise NotImplementedError

    def _redis(self) -> Any:
        raise NotImplementedError

    def _ack_names(self) -> itertools.count[int]:
        if self._acks is None:
            self._acks = itertools.count(1)
        return self._acks

    async def settings_write(self, fields: Mapping[str, str | None]) -> None:
        sets = {name: value for name, value in fields.items() if value is not None}
        drops = [name for name, value in fields.items() if value is None]
        if not sets and not drops:
            return
        self.round_trips += 1
        async with self._redis().pipeline(transaction=True) as pipe:
            if sets:
                pipe.hset(self.key("settings"), mapping=sets)
            if drops:
                pipe.hdel(self.key("settings"), *drops)
            await pipe.execute()

    async def settings_read(self) -> dict[str, str]:
        self.round_trips += 1
        found = await self._redis().hgetall(self.key("settings"))
        return {bytes(name).decode(): bytes(value).decode() for name, value in found.items()}

    async def settings_announce(self) -> int:
        client = self._redis()
        # unique across processes and hosts, and not drawn from the seeded generator (nothing a client sees)
        ack = self.key("ack", f"{socket.gethostname()}-{os.getpid()}-{id(self)}-{next(self._ack_names())}")
        self.round_trips += 1
        receivers = int(await client.publish(self.key("settings-changed"), ack))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ACK_TIMEOUT
        acknowledged = 0
        while acknowledged < receivers:
            remaining = deadline - loop.time()
            if remaining <= 0 or await client.blpop([ack], timeout=remaining) is None:
                late = receivers - acknowledged
                logger.warning("%d of %d processes did not apply a settings change within %ss", late, receivers, ACK_TIMEOUT)
                break
            acknowledged += 1
        return acknowledged

    async def settings_listen(self, apply: Callable[[dict[str, str]], None]) -> None:
        while True:
            try:
                await self._listen_once(apply)
            except Exception as exc:  # lost connection, Redis restarted...: keep listening (cancelling still stops it)
                logger.warning("settings listener lost Redis (%s); subscribing again", exc)
                await asyncio.sleep(RECONNECT_PAUSE)  # transport back-off in wall time, not emulated time

    async def _listen_once(self, apply: Callable[[dict[str, str]], None]) -> None:
        client = self._redis()
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(self.key("settings-changed"))
            # read only once subscribed: an announcement after this read is never missed
            while (message := await pubsub.get_message(timeout=None)) is None or message["type"] != "subscribe":
                pass
            apply(await self.settings_read())
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                if message is None or message["type"] != "message":
                    continue
                apply(await self.settings_read())
                ack = bytes(message["data"]).decode()
                async with client.pipeline(transaction=False) as pipe:
                    pipe.rpush(ack, 1)
                    pipe.pexpire(ack, ACK_TTL_MS)
                    await pipe.execute()
        finally:
            await pubsub.aclose()
