"""Pipeline step 4: per-user and per-organisation rate limits (sliding window on the emulator's clock).

In the chain only with ``rate_limit="on"`` (``pipeline/plan.py``); the windows live in ``state.backend``
(this process, or Redis shared by every worker and replica). Only authenticated API routes count;
health and the control plane do not.
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
    principal = ctx.principal
    route = ctx.route
    if principal is None or route is None or not route.auth:
        return await call_next(ctx)
    state = ctx.state
    config = state.config
    org_id = principal.org_id
    own = state.tenant_settings.get(org_id)
    if own is not None and own.rate_limit == "off":
        return await call_next(ctx)
    per_user = own.rate_limit_per_user if own is not None and own.rate_limit_per_user is not None else config.rate_limit_per_user
    per_org = own.rate_limit_per_org if own is not None and own.rate_limit_per_org is not None else config.rate_limit_per_org
    limits = limits_for(state.organization(org_id), per_user, per_org)
    buckets = ((f"u:{org_id}:{principal.user_id}", limits.per_user), (f"o:{org_id}", limits.per_org))
    shared = state.shared_store
    if shared is None:
        verdict = await state.backend.rate_hit(buckets, ctx.clock.now())
    else:  # the tenant's log is read in the same round trip (the store step then skips its own)
        verdict, ctx.number = await shared.rate_hit(org_id, buckets, ctx.clock.now())
    if not verdict.allowed:
        raise TooManyRequests(f"Rate limit exceeded. Retry after {verdict.retry_after} seconds.", headers=verdict.headers())
    response = await call_next(ctx)
    if response.status_code != 429:  # a scripted 429 (scenarios) keeps the headers it chose
        response.raw_headers.extend(verdict.raw_headers())
    return response
