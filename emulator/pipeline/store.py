"""Pipeline step (shared backend only): the caller's tenant brought up to date before the handler, its
writes appended to the tenant's log after it (see :mod:`emulator.backend.shared_store`).

In the chain only with ``--state redis://...`` (``pipeline/plan.py``): memory mode has no such step.
When the rate-limit step ran, it already read the log in its own round trip (``ctx.number`` is set);
otherwise this step reads it. Either read reserves the request's number, from which its ids derive.
The control plane gets :func:`control_store_step`: a read naming a tenant (``GET ...?org=``) syncs it
first, and its writes (minted tenants) are appended too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from . import Next


async def store_step(ctx: RequestContext, call_next: Next) -> Response:
    shared = ctx.state.shared_store
    if shared is None or ctx.principal is None:
        return await call_next(ctx)
    if ctx.number is None:
        ctx.number = await shared.sync(ctx.principal.org_id)
    try:
        return await call_next(ctx)
    finally:
        await shared.flush()  # before the response leaves: a client that reads back finds its writes


async def control_store_step(ctx: RequestContext, call_next: Next) -> Response:
    shared = ctx.state.shared_store
    org = ctx.query.get("org") if ctx.method == "GET" else None
    if shared is not None and org:  # a control read of one tenant (the console's tables) sees its latest writes
        await shared.sync(org, reserve=False)
    try:
        return await call_next(ctx)
    finally:
        if shared is not None:
            await shared.flush()
