"""Per-tenant virtual time: each organisation sees the server's clock plus its own offset.

``advance``/``set`` for one organisation move only its offset, so a test that jumps a day ahead
expires its own tokens, windows and idempotency keys and nobody else's. This works on either server
clock: on the system clock an organisation's time is real time plus its offset (it keeps flowing),
on a manual clock it is the virtual time plus its offset (it moves when the server's or its own
clock is moved). A server-wide move shifts every organisation alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..clock import Clock, ManualClock


class TenantClock:
    """One organisation's view of the server clock: ``now() = server.now() + offset``."""

    __slots__ = ("base", "offset", "private_sleeps")

    def __init__(self, base: Clock, private_sleeps: bool = False) -> None:
        self.base = base
        self.offset = 0.0
        self.private_sleeps = private_sleeps

    def now(self) -> float:
        return self.base.now() + self.offset

    async def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of this organisation's time pass. On a manual server clock, a sleep that jumps
        virtual time (stream pacing, a skipped scripted wait) moves only a tenant's own offset, so it
        never moves the time of the tenants beside it; a fixture organisation's sleep moves the server
        clock, as on an emulator of its own."""
        if self.private_sleeps and isinstance(self.base, ManualClock):
            if seconds > 0:
                self.offset += seconds
            await asyncio.sleep(0)
            return
        await self.base.sleep(seconds)

    def advance(self, seconds: float) -> None:
        """Move this organisation's time forward; negative values are rejected."""
        if seconds < 0:
            raise ValueError("cannot advance the clock backwards")
        self.offset += seconds

    def set(self, instant: float) -> None:
        """Make this organisation's ``now()`` read ``instant`` (the offset may become negative)."""
        self.offset = instant - self.base.now()

    def rebase(self, base: Clock) -> None:
        """Follow ``base`` from now on, continuing from the current instant (a per-tenant clock mode)."""
        now = self.now()
        self.base = base
        self.offset = now - base.now()


class TenantClocks:
    """The clocks of the organisations seen so far (offset 0 until moved)."""

    def __init__(self, base: Clock, private: Callable[[str], bool] | None = None) -> None:
        self.base = base
        #: Whether an organisation's sleeps move its own time only (a tenant) rather than the server's.
        self._private = private or (lambda org_id: False)
        self._clocks: dict[str, TenantClock] = {}

    def of(self, org_id: str | None) -> Clock:
        """``org_id``'s clock: a live view (a wait that started before the organisation's clock moved
        sees the move); the server clock itself for no organisation."""
        if org_id is None:
            return self.base
        clock = self._clocks.get(org_id)  # the request path: one lookup, no call to own()
        return clock if clock is not None else self.own(org_id)

    def now_of(self, org_id: str) -> float:
        """``of(org_id).now()`` in one call (the rate limiter's, once per request)."""
        clock = self._clocks.get(org_id)
        return self.base.now() if clock is None else clock.base.now() + clock.offset

    def own(self, org_id: str) -> TenantClock:
        """``org_id``'s own clock, made (at offset 0) when it is first moved."""
        clock = self._clocks.get(org_id)
        if clock is None:
            clock = self._clocks[org_id] = TenantClock(self.base, self._private(org_id))
        return clock

    def org_of(self, clock: object) -> str | None:
        """The organisation whose own clock ``clock`` is (None for the server clock or an unknown one)."""
        return next((org for org, own in self._clocks.items() if own is clock), None)

    def get(self, org_id: str) -> TenantClock | None:
        """``org_id``'s own clock if it has one (without making it)."""
        return self._clocks.get(org_id)

    def offset(self, org_id: str) -> float:
        clock = self._clocks.get(org_id)
        return 0.0 if clock is None else clock.offset

    def use_system_time(self, org_id: str) -> None:
        """``org_id``'s time flows in real time from where it is (the marker's ``clock="system"``)."""
        from ..clock import SystemClock

        self.own(org_id).rebase(SystemClock())

    def forget(self, org_id: str) -> None:
        """Back to the server clock (a per-tenant reset)."""
        self._clocks.pop(org_id, None)

    def clear(self) -> None:
        """Every organisation back to the server clock (a full reset)."""
        self._clocks.clear()
