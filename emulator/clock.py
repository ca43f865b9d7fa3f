"""Clocks: every time read and every sleep in the emulator goes through one of these."""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """What the emulator needs from time."""

    def now(self) -> float:
        """Seconds since the epoch."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""


class SystemClock:
    """Real time."""

    #: ``time.time`` itself: a read is one C call, with no Python frame (several per request).
    now = staticmethod(time.time)

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)


class ManualClock:
    """Virtual time: starts at a fixed instant and moves only when told.

    A sleep advances virtual time at once instead of waiting, so scripted delays cost no wall time.
    """

    def __init__(self, start: float) -> None:
        self._start = start
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward; negative values are rejected."""
        if seconds < 0:
            raise ValueError("cannot advance the clock backwards")
        self._now += seconds

    def set(self, instant: float) -> None:
        self._now = instant

    def reset(self) -> None:
        self._now = self._start

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._now += seconds
        await asyncio.sleep(0)


#: How often (wall seconds) a held wait looks at the clock it waits on.
HOLD_POLL = 0.01


async def hold_until_moved(clock: Clock, seconds: float) -> None:
    """Wait, in wall time, until ``clock`` reads ``seconds`` later than now: on a manual clock that is
    when the test (or the server) moves it past the end, never by itself. Callers race it against the
    client hanging up; it is polled (``HOLD_POLL``) so that a move from any thread or loop is seen."""
    deadline = clock.now() + seconds
    while clock.now() < deadline:
        await asyncio.sleep(HOLD_POLL)


def isoformat(ts: float) -> str:
    """ISO 8601 UTC with a ``Z`` suffix and second precision, as the Cuadra API writes timestamps."""
    return _format_second(int(ts))


@functools.lru_cache(maxsize=64)
def _format_second(second: int) -> str:
    # A pure function of its argument, memoised: a busy server formats each clock second once.
    return datetime.fromtimestamp(second, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    """Parse an ISO 8601 timestamp (``Z`` or offset) into epoch seconds; raises ValueError."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
