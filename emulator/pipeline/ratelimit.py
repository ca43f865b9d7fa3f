"""Pipeline step 4: per-user and per-organisation rate limits (seam; filled by the rate-limit issue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from . import Next


async def ratelimit_step(ctx: RequestContext, call_next: Next) -> Response:
    return await call_next(ctx)
