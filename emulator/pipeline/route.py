"""Pipeline step 2: find the operation; unknown paths are 404 and wrong methods 405 (before auth)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from ..routing import Router
    from . import Next, Step


def make_route_step(router: Router) -> Step:
    async def route_step(ctx: RequestContext, call_next: Next) -> Response:
        ctx.route, ctx.path_params = router.match(ctx.method, ctx.path)
        return await call_next(ctx)

    return route_step
