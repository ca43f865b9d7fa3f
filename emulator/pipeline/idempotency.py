"""Pipeline step 5: ``Idempotency-Key`` replay (seam; filled by the idempotency issue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from . import Next


async def idempotency_step(ctx: RequestContext, call_next: Next) -> Response:
    return await call_next(ctx)
