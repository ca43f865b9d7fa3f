"""Pipeline step 4: per-user and per-organisation rate limits (sliding window on the emulator's clock).

In the chain only with ``rate_limit="on"`` (then ``state.ratelimiter`` is a
:class:`~emulator.ratelimit.RateLimiter`). Only authenticated API routes count; health and the control
plane do not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import TooManyRequests
from ..ratelimit import limits_for

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from . import Next


async def ratelimit_step(ctx: RequestContext, call_next: Next) -> Response:
    limiter = ctx.state.ratelimiter
    principal = ctx.principal
    route = ctx.route
    if limiter is None or principal is None or route is None or not route.auth:
        return await call_next(ctx)
    state = ctx.state
    config = state.config
    org_id = principal.org_id
    limits = limits_for(state.organization(org_id), config.rate_limit_per_user, config.rate_limit_per_org)
    buckets = ((("user", org_id, principal.user_id), limits.per_user), (("org", org_id), limits.per_org))
    verdict = limiter.hit(buckets, state.clock.now())
    if not verdict.allowed:
        raise TooManyRequests(f"Rate limit exceeded. Retry after {verdict.retry_after} seconds.", headers=verdict.headers())
    response = await call_next(ctx)
    if response.status_code != 429:  # a scripted 429 (scenarios) keeps the headers it chose
        response.headers.update(verdict.headers())
    return response
