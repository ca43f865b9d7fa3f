"""The query step: parse and validate the route's declared query parameters into ``ctx.params``.

Last before the handler, so a bad query is reported where it was before declarations existed (after
auth, limits, scenario rules and the body). A bad value is a 422 naming ``#/query/<name>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..params import Params

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from . import Next


async def query_step(ctx: RequestContext, call_next: Next) -> Response:
    assert ctx.route is not None
    ctx.params = Params.parse(ctx.route.query, ctx.query)
    return await call_next(ctx)
