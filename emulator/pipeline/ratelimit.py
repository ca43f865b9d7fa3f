"""Pipeline step 4: per-user and per-organisation rate limits (sliding window on the emulator's clock).

In the chain only with ``rate_limit="on"`` (``pipeline/plan.py``); the windows live in ``state.backend``
(this process, or Redis shared by every worker and replica). Only authenticated API routes count;
health and the control plane do not. In memory the count is one plain call (:func:`admit`); a shared
backend is awaited (:func:`admit_shared`); both leave the verdict on the context for :func:`report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..backend.memory import MemoryBackend
from ..errors import TooManyRequests
from ..ratelimit import Verdict, limit_pair
from . import Inline

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from ..principal import Principal


def _limits(ctx: RequestContext) -> tuple[Principal, int, int] | None:
    """The caller and their ``(per_user, per_org)`` limits, or None when nothing is counted."""
    principal = ctx.principal
    route = ctx.route
    if principal is None or route is None or not route.auth:
        return None
    state = ctx.state
    config = state.config
    org_id = principal.org_id
    own = state.tenant_settings.get(org_id)
    if own is None:
        return principal, *limit_pair(state.organization(org_id), config.rate_limit_per_user, config.rate_limit_per_org)
    if own.rate_limit == "off":
        return None
    per_user = own.rate_limit_per_user if own.rate_limit_per_user is not None else config.rate_limit_per_user
    per_org = own.rate_limit_per_org if own.rate_limit_per_org is not None else config.rate_limit_per_org
    return principal, *limit_pair(state.organization(org_id), per_user, per_org)


def _judge(ctx: RequestContext, verdict: Verdict) -> None:
    if not verdict.allowed:
        raise TooManyRequests(f"Rate limit exceeded. Retry after {verdict.retry_after} seconds.", headers=verdict.headers())
    ctx.rate = verdict


def admit(ctx: RequestContext) -> None:
    """Count the request in the in-memory windows (a 429 problem when over a limit); no await."""
    found = _limits(ctx)
    if found is None:
        return
    principal, per_user, per_org = found
    backend = ctx.state.backend
    assert isinstance(backend, MemoryBackend)
    _judge(ctx, backend.rate_hit_now(principal.org_id, principal.user_id, per_user, per_org, ctx.clock.now()))


async def admit_shared(ctx: RequestContext) -> None:
    """:func:`admit` against a shared backend (one round trip)."""
    found = _limits(ctx)
    if found is None:
        return
    principal, per_user, per_org = found
    org_id = principal.org_id
    buckets = ((f"u:{org_id}:{principal.user_id}", per_user), (f"o:{org_id}", per_org))
    state = ctx.state
    shared = state.shared_store
    if shared is None:
        verdict = await state.backend.rate_hit(buckets, ctx.clock.now())
    else:  # the tenant's log is read in the same round trip (the store step then skips its own)
        verdict, ctx.number = await shared.rate_hit(org_id, buckets, ctx.clock.now())
    _judge(ctx, verdict)


def report(ctx: RequestContext, response: Response) -> Response:
    """The ``X-RateLimit-*`` headers of an admitted request on its response (a scripted 429 from a
    scenario keeps the headers it chose)."""
    verdict = ctx.rate
    if verdict is not None and response.status_code != 429:
        response.raw_headers.extend(verdict.raw_headers())
    return response


def limiter(shared: bool) -> Inline:
    """The rate-limit stage for a state kept in memory (``shared=False``: no await) or in a shared backend."""
    return Inline(wait=admit_shared, leave=report) if shared else Inline(enter=admit, leave=report)
