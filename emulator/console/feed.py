"""Pushing journal entries to open consoles, bounded.

While no console is connected the journal step pays one truthiness test (``if feed.subscribers``).
Each subscriber owns a fixed-size buffer: when a browser reads slower than requests arrive, the
oldest unsent entries are dropped and counted (the console shows "N not shown"), so memory never
grows with the backlog.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..clock import Clock
    from ..journal import JournalEntry

#: Entries one subscriber may have waiting; past this the oldest are dropped.
BUFFER = 512
#: Stream frames kept per journal entry (and their total bytes) for the console's event view.
MAX_EVENTS = 500
MAX_EVENT_BYTES = 256 * 1024


class Subscriber:
    """One open console: a bounded buffer and an event that wakes its sender."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int = BUFFER) -> None:
        self.loop = loop
        self.buffer: deque[JournalEntry] = deque(maxlen=size)
        self.wake = asyncio.Event()
        self.dropped = 0

    def push(self, entry: JournalEntry) -> None:
        if len(self.buffer) == self.buffer.maxlen:
            self.dropped += 1
        self.buffer.append(entry)
        self.wake.set()

    def take(self) -> tuple[list[JournalEntry], int]:
        """Everything waiting and how many were dropped since the last take."""
        batch, dropped = list(self.buffer), self.dropped
        self.buffer.clear()
        self.dropped = 0
        self.wake.clear()
        return batch, dropped


class JournalFeed:
    """The set of open consoles of one app."""

    def __init__(self) -> None:
        self.subscribers: list[Subscriber] = []

    def subscribe(self, size: int = BUFFER) -> Subscriber:
        subscriber = Subscriber(asyncio.get_running_loop(), size)
        self.subscribers = [*self.subscribers, subscriber]  # swap: publish may be iterating the old list
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers = [s for s in self.subscribers if s is not subscriber]

    def publish(self, entry: JournalEntry) -> None:
        """Hand ``entry`` to every open console (called only when there is one)."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        for subscriber in self.subscribers:
            if subscriber.loop is loop:
                subscriber.push(entry)
            else:  # an in-process client on another loop than the server's
                subscriber.loop.call_soon_threadsafe(subscriber.push, entry)


def record_stream(response: Response, entry: JournalEntry, clock: Clock) -> None:
    """Wrap a streamed body so ``entry.stream_events`` lists its frames with their clock times and
    ``entry.stream_end`` says whether it finished or was interrupted (a fault or a gone client)."""
    inner: AsyncIterator[Any] = response.body_iterator  # type: ignore[attr-defined]
    events: list[tuple[float, bytes]] = []
    entry.stream_events = events

    async def recording() -> AsyncIterator[Any]:
        kept = 0
        try:
            async for chunk in inner:
                data = chunk if isinstance(chunk, bytes) else str(chunk).encode()
                if len(events) < MAX_EVENTS and kept + len(data) <= MAX_EVENT_BYTES:
                    events.append((clock.now(), data))
                    kept += len(data)
                yield chunk
        except BaseException:
            entry.stream_end = "interrupted"
            raise
        entry.stream_end = "ended"

    response.body_iterator = recording()  # type: ignore[attr-defined]
