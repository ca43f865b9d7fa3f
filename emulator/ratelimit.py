"""Sliding-window rate limiting as pure logic (``now`` is always an argument).

A bucket is a deque of the instants of the requests it admitted; a hit at ``t`` counts while
``now < t + window``. Checking and recording is O(1) amortised: expired hits are popped from the left.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Mapping, Sequence
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
    own = org.get("rateLimits") or {}
    return Limits(
        per_user=int(own.get("perUser") or per_user or DEFAULT_PER_USER),
        per_org=int(own.get("perOrg") or per_org or DEFAULT_PER_ORG),
    )


@dataclass(frozen=True)
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


def _ceil(seconds: float) -> int:
    # never round down: a client that waits this long must be admitted
    return max(0, math.ceil(seconds))


class RateLimiter:
    """Sliding-window buckets keyed by anything hashable (e.g. ``("user", org, user)``, ``("org", org)``)."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._buckets: dict[Hashable, deque[float]] = {}
        self._next_sweep: float | None = None

    def __len__(self) -> int:
        return len(self._buckets)

    def hit(self, buckets: Sequence[tuple[Hashable, int]], now: float) -> Verdict:
        """Admit a request against every ``(bucket, limit)`` or refuse it; a refusal consumes nothing.

        Admitted: recorded in every bucket; the verdict describes the bucket with the fewest remaining
        requests (the first on a tie). Refused: the verdict describes the bucket that frees up last.
        """
        self._maybe_sweep(now)
        horizon = now - self.window
        hits = []
        for key, limit in buckets:
            queue = self._buckets.get(key)
            if queue is None:
                queue = self._buckets[key] = deque()
            while queue and queue[0] <= horizon:
                queue.popleft()
            hits.append((queue, limit))
        worst: tuple[float, int] | None = None
        for queue, limit in hits:
            if len(queue) >= limit:
                # the slot frees when the hit `limit` places from the end leaves the window
                wait = queue[len(queue) - limit] + self.window - now if limit > 0 else self.window
                if worst is None or wait > worst[0]:
                    worst = (wait, limit)
        if worst is not None:
            seconds = max(1, _ceil(worst[0]))
            return Verdict(False, worst[1], 0, seconds, seconds)
        chosen: tuple[deque[float], int] | None = None
        for queue, limit in hits:
            queue.append(now)
            if chosen is None or limit - len(queue) < chosen[1] - len(chosen[0]):
                chosen = (queue, limit)
        if chosen is None:  # no buckets: nothing to limit
            return Verdict(True, 0, 0, 0)
        queue, limit = chosen
        return Verdict(True, limit, max(0, limit - len(queue)), _ceil(queue[0] + self.window - now))

    def clear(self) -> None:
        """Forget every bucket (emulator reset)."""
        self._buckets.clear()
        self._next_sweep = None

    def _maybe_sweep(self, now: float) -> None:
        """Drop buckets that went quiet for a whole window, so memory follows the active callers."""
        if self._next_sweep is not None and now < self._next_sweep:
            return
        self._next_sweep = now + self.window
        horizon = now - self.window
        idle = [key for key, queue in self._buckets.items() if not queue or queue[-1] <= horizon]
        for key in idle:
            del self._buckets[key]
