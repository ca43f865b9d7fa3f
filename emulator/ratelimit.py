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
from math import ceil, floor
from typing import Any, NamedTuple

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


#: ``X-RateLimit-Reset`` for every whole second of a window (an admitted request's reset is one of them).
_RESET_HEADERS = tuple((b"x-ratelimit-reset", b"%d" % seconds) for seconds in range(int(WINDOW_SECONDS) + 1))


class Verdict(NamedTuple):
    """The outcome of one request against its buckets, reported for the most restrictive bucket.

    ``reset`` is whole seconds until that bucket frees its next slot (for a limited request it equals
    ``retry_after``: the exact wait, rounded up, after which the request is admitted). A named tuple:
    one is made per request, and a frozen dataclass costs five ``object.__setattr__`` calls to build.
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
        return raw_lines(self)


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


#: What :meth:`RateLimiter.hit_lane` gives: a :class:`Verdict`'s fields (the short way builds a plain
#: tuple, equal to the Verdict :meth:`RateLimiter.hit` gives, without a named tuple's construction).
Counted = tuple[bool, int, int, int, int]


def raw_lines(counted: Counted, limit_line: tuple[bytes, bytes] | None = None) -> list[tuple[bytes, bytes]]:
    """The ``X-RateLimit-*`` header lines (and ``Retry-After`` when refused) of a verdict, pre-encoded;
    ``limit_line``: its ``X-RateLimit-Limit`` line when the caller keeps it encoded."""
    allowed, limit, remaining, reset, retry_after = counted
    out = [
        (b"x-ratelimit-limit", b"%d" % limit) if limit_line is None else limit_line,
        (b"x-ratelimit-remaining", b"%d" % remaining),
        _RESET_HEADERS[reset] if 0 <= reset < len(_RESET_HEADERS) else (b"x-ratelimit-reset", b"%d" % reset),
    ]
    if not allowed:
        out.append((b"retry-after", b"%d" % retry_after))
    return out


class Lane:
    """A caller's two buckets (their own and their organisation's), and the instants between which a count
    may take the short way: from ``since`` to ``until`` no slot of either bucket expires, both newest slots
    (``mine_slot``, ``theirs_slot``) are the ones to bump, and each bucket's ``X-RateLimit-Reset`` seconds
    (``mine_reset``, ``theirs_reset``: the ceiling of its oldest slot's end minus now) stay the same.
    """

    __slots__ = ("mine", "theirs", "since", "until", "mine_slot", "theirs_slot", "mine_reset", "theirs_reset")

    def __init__(self, mine: Bucket, theirs: Bucket) -> None:
        self.mine = mine
        self.theirs = theirs
        self.since = math.inf  # the first count takes the long way, which sets both bounds
        self.until = -math.inf
        self.mine_slot: list[int] = []
        self.theirs_slot: list[int] = []
        self.mine_reset = self.theirs_reset = 0


class RateLimiter:
    """Sliding-window buckets keyed by anything hashable (e.g. ``("user", org, user)``, ``("org", org)``).

    A *lane* is a caller's pair of buckets (their own and their organisation's) remembered under a
    short name (:meth:`open_lane`), so that the next request of that caller counts without
    building the bucket keys or looking them up (:meth:`hit_lane`). Lanes only point at buckets held
    here: whatever drops buckets (the idle sweep, :meth:`forget`, :meth:`clear`) drops every lane.
    """

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._buckets: dict[Hashable, Bucket] = {}
        self._lanes: dict[Hashable, Lane] = {}
        self._next_sweep = -math.inf

    def __len__(self) -> int:
        return len(self._buckets)

    def _bucket(self, key: Hashable) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket()
        return bucket

    def hit(self, buckets: Sequence[tuple[Hashable, int]], now: float) -> Verdict:
        """Admit a request against every ``(bucket, limit)`` or refuse it; a refusal consumes nothing.

        Admitted: recorded in every bucket; the verdict describes the bucket with the fewest remaining
        requests (the first on a tie). Refused: the verdict describes the bucket that frees up last.
        """
        if now >= self._next_sweep:
            self._sweep(now)
        self._lanes.clear()  # a lane's ``until`` assumes only its own counts touched its buckets
        return self._count([(self._bucket(key), limit) for key, limit in buckets], now)

    def _count(self, found: Sequence[tuple[Bucket, int]], now: float) -> Verdict:
        window = self.window
        worst: tuple[float, int] | None = None
        for bucket, limit in found:
            bucket.expire(now, window)
            if bucket.total >= limit:
                wait = bucket.wait(limit, now, window)
                if worst is None or wait > worst[0]:
                    worst = (wait, limit)
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

    def open_lane(self, lane: Hashable, user: Hashable, org: Hashable) -> None:
        """Remember the buckets ``user`` and ``org`` (made when new) as ``lane``, for :meth:`hit_lane`."""
        self._lanes[lane] = Lane(self._bucket(user), self._bucket(org))

    def hit_lane(self, lane: Hashable, per_user: int, per_org: int, now: float) -> Counted | None:
        """``hit(((user, per_user), (org, per_org)), now)`` for the buckets :meth:`open_lane` remembered as
        ``lane``: the same verdict (as a plain tuple: :data:`Counted`) and windows; None (nothing counted)
        when there is no such lane (a new caller, or a sweep just dropped it: open it and call again).

        The request path's form. Between :attr:`Lane.since` and :attr:`Lane.until` (set by the lane's last
        long count: at most the rest of its clock second, less when a slot of either bucket expires, a
        reset figure changes or the sweep is due first) an admitted request is two counts and one tuple;
        otherwise, or near a limit, :meth:`_hit_lane` does the whole work.
        ``tests/test_ratelimit_window.py`` compares lanes with :meth:`hit`.
        """
        found = self._lanes.get(lane)
        if found is None:
            if now >= self._next_sweep:  # before the caller opens the lane, so that it survives
                self._sweep(now)
            return None
        if found.since <= now < found.until:
            mine, theirs = found.mine, found.theirs
            used, spent = mine.total + 1, theirs.total + 1
            if used <= per_user and spent <= per_org:
                mine.total, theirs.total = used, spent
                found.mine_slot[1] += 1
                found.theirs_slot[1] += 1
                if per_org - spent < per_user - used:
                    return (True, per_org, per_org - spent, found.theirs_reset, 0)
                return (True, per_user, per_user - used, found.mine_reset, 0)
        return self._hit_lane(found, per_user, per_org, now)

    def _hit_lane(self, found: Lane, per_user: int, per_org: int, now: float) -> Verdict | None:
        """:meth:`hit_lane` in full: sweep, expire, count (or refuse), and the lane's next bounds."""
        if now >= self._next_sweep:
            self._sweep(now)  # drops every lane: the caller opens it again
            return None
        mine, theirs = found.mine, found.theirs
        window = self.window
        own = mine.slots
        if own and own[0][0] + window <= now:
            mine.expire(now, window)
        shared = theirs.slots
        if shared and shared[0][0] + window <= now:
            theirs.expire(now, window)
        if mine.total >= per_user or theirs.total >= per_org:
            return self._count(((mine, per_user), (theirs, per_org)), now)
        second = floor(now)
        mine.add(second)
        theirs.add(second)
        # both newest slots are this second's (or the newest, for a clock set back) and bump until one of
        # these instants; each reset figure ceil(end - now) = c holds for end - c <= now < end - c + 1
        mine_end, theirs_end = own[0][0] + window, shared[0][0] + window
        found.mine_reset = mine_reset = ceil(mine_end - now)
        found.theirs_reset = theirs_reset = ceil(theirs_end - now)
        found.mine_slot, found.theirs_slot = own[-1], shared[-1]
        found.since = max(mine_end - mine_reset, theirs_end - theirs_reset)
        found.until = min(
            second + 1, mine_end, theirs_end, mine_end - mine_reset + 1, theirs_end - theirs_reset + 1, self._next_sweep
        )
        used, spent = mine.total, theirs.total
        # admitted below both limits: neither remaining count is negative and both oldest slots are live
        if per_org - spent < per_user - used:
            return Verdict(True, per_org, per_org - spent, theirs_reset)
        return Verdict(True, per_user, per_user - used, mine_reset)

    def clear(self) -> None:
        """Forget every bucket (emulator reset)."""
        self._buckets.clear()
        self._lanes.clear()
        self._next_sweep = -math.inf

    def forget(self, predicate: Callable[[Hashable], bool]) -> None:
        """Drop the buckets whose key passes ``predicate`` (one organisation's, on a per-tenant reset)."""
        for key in [key for key in self._buckets if predicate(key)]:
            del self._buckets[key]
        self._lanes.clear()

    def _sweep(self, now: float) -> None:
        """Drop buckets that went quiet for a whole window, so memory follows the active callers."""
        self._next_sweep = now + self.window
        idle = [key for key, bucket in self._buckets.items() if not bucket.slots or bucket.slots[-1][0] + self.window <= now]
        for key in idle:
            del self._buckets[key]
        self._lanes.clear()
