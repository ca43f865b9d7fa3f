"""The query step: check the route's typed path parameters, then parse and validate its declared
query parameters into ``ctx.params``.

Last before the handler, so a bad query is reported where it was before declarations existed (after
auth, limits, scenario rules and the body), as FastAPI validates parameters after its auth
dependencies. A bad value is a 422 naming ``#/path/<name>`` or ``#/query/<name>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..params import Params, check_path
from . import Inline

if TYPE_CHECKING:
    from ..context import RequestContext


def parse_params(ctx: RequestContext) -> None:
    """Check the typed path parameters and set ``ctx.params`` (a 422 problem names the bad one)."""
    assert ctx.route is not None
    route = ctx.route
    check_path(route.path_params, ctx.path_params)
    empty = route.no_query
    if empty is not None and not ctx.raw_query:  # the common case: the per-route parse of an empty query
        ctx.params = Params(empty.declared, dict(empty.values))
    else:
        ctx.params = Params.parse(route.query, ctx.query)


QUERY = Inline(enter=parse_params)
