"""The limits feature: Idempotency-Key replay and rate limits, installed into one app.

The pipeline steps (``pipeline/idempotency.py``, ``pipeline/ratelimit.py``) are already in place; this
installer gives them their per-app state and clears it on every reset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .idempotency import IdempotencyCache
from .pipeline.idempotency import EXTENSION as IDEMPOTENCY
from .pipeline.ratelimit import EXTENSION as RATELIMIT
from .ratelimit import RateLimiter

if TYPE_CHECKING:
    from .app import EmulatorApp


def install(app: EmulatorApp) -> None:
    """Put the idempotency cache (always) and the rate limiter (unless ``rate_limit="off"``) on ``app``."""
    state = app.state
    cache = IdempotencyCache()
    state.extensions[IDEMPOTENCY] = cache
    state.on_reset(cache.clear)
    if app.config.rate_limit == "on":
        limiter = RateLimiter()
        state.extensions[RATELIMIT] = limiter
        state.on_reset(limiter.clear)
