"""Pipeline step 6: scenario rules (seam; filled by the scenarios issue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from . import Next


async def scenario_step(ctx: RequestContext, call_next: Next) -> Response:
    return await call_next(ctx)
