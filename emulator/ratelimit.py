"""Sliding-window rate limiting as pure logic (``now`` is always an argument).

A bucket counts its admitted requests per clock second: a hit at ``t`` falls in slot ``floor(t)`` and
counts while ``now < floor(t) + window``. A bucket is a short deque of ``[second, count]`` slots (at
most ``window`` of them, whatever the limit) and a running total, so admitting a request is O(1):
expired slots leave from the left, the new hit bumps the last slot. ``Retry-After`` is exact for this
rule: waiting that many seconds is enough, one second less is not. The Redis backend
(``emulator/backend/redis_backend.py``) runs the same rule in a Lua script.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The documented limits (guides.md §3): requests per minute.
DEFAULT_PER_USER = 60
DEFAULT_PER_ORG = 300
WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Limits:
    """Requests allowed per window for one user and for their whole organisation."""

    per_user: int = DEFAULT_PER_USER
    per_org: int = DEFAULT_PER_ORG


def limits_for(org: Mapping[str, Any], per_user: int | None = None, per_org: int | None = None) -> Limits:
    """The limits of an organisation: its fixture ``rateLimits`` first, then the overrides, then the docs."""
    return Limits(*limit_pair(org, per_user, per_org))


def limit_pair(org: Mapping[str, Any], per_user: int | None = None, per_org: int | None = None) -> tuple[int, int]:
    """:func:`limits_for` as a ``(per_user, per_org)`` pair (the request path's form: no object built)."""
    own = org.get("rateLimits") or {}
    return int(own.get("perUser") or per_user or DEFAULT_PER_USER), int(own.get("perOrg") or per_org or DEFAULT_PER_ORG)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one request against its buckets, reported for the most restrictive bucket.

    ``reset`` is whole seconds until that bucket frees its next slot (for a limited request it equals
    ``retry_after``: the exact wait, rounded up, after which the request is admitted).
    """

    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int = 0

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` (and ``Retry-After`` when limited) as response headers."""
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """:meth:`headers` pre-encoded for appending to a response's ``raw_headers`` (no lookups)."""
        out = [
            (b"x-ratelimit-limit", b"%d" % self.limit),
            (b"x-ratelimit-remaining", b"%d" % self.remaining),
            (b"x-ratelimit-reset", b"%d" % self.reset),
        ]
        if not self.allowed:
            out.append((b"retry-after", b"%d" % self.retry_after))
        return out


def ceil_seconds(seconds: float) -> int:
    """Whole seconds, never rounded down: a client that waits this long must be admitted."""
    return max(0, math.ceil(seconds))


class Bucket:
    """The admitted hits of one caller: ``[second, count]`` slots, oldest first, and their total."""

    __slots__ = ("slots", "total")

    def __init__(self) -> None:
        self.slots: deque[list[int]] = deque()
        self.total = 0

    def expire(self, now: float, window: float) -> None:
        slots = self.slots
        while slots and slots[0][0] + window <= now:
            self.total -= slots.popleft()[1]

    def wait(self, limit: int, now: float, window: float) -> float:
        """Seconds until one more hit fits under ``limit`` (the bucket is full: ``total >= limit``)."""
        if limit <= 0:
            return window
        must_leave = self.total - limit + 1
        for second, count in self.slots:
            must_leave -= count
            if must_leave <= 0:
                return second + window - now
        return window  # unreachable while total >= limit

    def add(self, second: int) -> None:
        """One more hit in clock second ``second`` (``floor(now)``)."""
        slots = self.slots
        if slots and slots[-1][0] >= second:
            slots[-1][1] += 1  # same second (or a clock that went back): the newest slot
        else:
            slots.append([second, 1])
        self.total += 1


class RateLimiter:
    """Sliding-window buckets keyed by anything hashable (e.g. ``("user", org, user)``, ``("org", org)``)."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._buckets: dict[Hashable, Bucket] = {}
        self._next_sweep = -math.inf

    def __len__(self) -> int:
        return len(self._buckets)

    def hit(self, buckets: Sequence[tuple[Hashable, int]], now: float) -> Verdict:
        """Admit a request against every ``(bucket, limit)`` or refuse it; a refusal consumes nothing.

        Admitted: recorded in every bucket; the verdict describes the bucket with the fewest remaining
        requests (the first on a tie). Refused: the verdict describes the bucket that frees up last.
        """
        if now >= self._next_sweep:
            self._sweep(now)
        window = self.window
        found = []
        worst: tuple[float, int] | None = None
        for key, limit in buckets:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = Bucket()
            bucket.expire(now, window)
            if bucket.total >= limit:
                wait = bucket.wait(limit, now, window)
                if worst is None or wait > worst[0]:
                    worst = (wait, limit)
            found.append((bucket, limit))
        if worst is not None:
            seconds = max(1, ceil_seconds(worst[0]))
            return Verdict(False, worst[1], 0, seconds, seconds)
        chosen: tuple[Bucket, int] | None = None
        second = math.floor(now)
        for bucket, limit in found:
            bucket.add(second)
            if chosen is None or limit - bucket.total < chosen[1] - chosen[0].total:
                chosen = (bucket, limit)
        if chosen is None:  # no buckets: nothing to limit
            return Verdict(True, 0, 0, 0)
        bucket, limit = chosen
        return Verdict(True, limit, max(0, limit - bucket.total), ceil_seconds(bucket.slots[0][0] + window - now))

    def hit_pair(self, user: Hashable, per_user: int, org: Hashable, per_org: int, now: float) -> Verdict:
        """``hit(((user, per_user), (org, per_org)), now)``, the same verdict, without the general loop.

        The request path's form (a user and their organisation): an admitted request touches two
        buckets and builds one verdict; a refusal (rare) takes :meth:`hit`, which describes it.
        """
        if now >= self._next_sweep:
            self._sweep(now)
        buckets = self._buckets
        mine = buckets.get(user)
        if mine is None:
            mine = buckets[user] = Bucket()
        theirs = buckets.get(org)
        if theirs is None:
            theirs = buckets[org] = Bucket()
        window = self.window
        if mine.slots and mine.slots[0][0] + window <= now:
            mine.expire(now, window)
        if theirs.slots and theirs.slots[0][0] + window <= now:
            theirs.expire(now, window)
        if mine.total >= per_user or theirs.total >= per_org:
            return self.hit(((user, per_user), (org, per_org)), now)
        second = math.floor(now)
        mine.add(second)
        theirs.add(second)
        if per_org - theirs.total < per_user - mine.total:
            mine, per_user = theirs, per_org
        return Verdict(True, per_user, max(0, per_user - mine.total), ceil_seconds(mine.slots[0][0] + window - now))

    def clear(self) -> None:
        """Forget every bucket (emulator reset)."""
        self._buckets.clear()
        self._next_sweep = -math.inf

    def forget(self, predicate: Callable[[Hashable], bool]) -> None:
        """Drop the buckets whose key passes ``predicate`` (one organisation's, on a per-tenant reset)."""
        for key in [key for key in self._buckets if predicate(key)]:
            del self._buckets[key]

    def _sweep(self, now: float) -> None:
        """Drop buckets that went quiet for a whole window, so memory follows the active callers."""
        self._next_sweep = now + self.window
        idle = [key for key, bucket in self._buckets.items() if not bucket.slots or bucket.slots[-1][0] + self.window <= now]
        for key in idle:
            del self._buckets[key]
