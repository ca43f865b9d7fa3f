"""The routing step: find the operation; unknown paths are 404 and wrong methods 405 (before auth).

The request then continues on its route's own chain (one composed chain per route, holding only the
steps that concern that route): steps that do not apply to a route cost it nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from ..routing import Router
    from . import Next, Step


def make_route_step(router: Router, chains: Mapping[int, Next]) -> Step:
    """The routing step; ``chains`` maps ``id(route)`` to the rest of that route's pipeline."""

    async def route_step(ctx: RequestContext, call_next: Next) -> Response:
        ctx.route, ctx.path_params = router.match(ctx.method, ctx.path)
        return await chains[id(ctx.route)](ctx)

    return route_step
