"""The routing step: find the operation; unknown paths are 404 and wrong methods 405 (before auth).

The request then continues on its route's own chain (one composed chain per route, holding only the
steps that concern that route): steps that do not apply to a route cost it nothing. A route's chain is
composed when the route first serves a request (:class:`RouteChains`): an app composes only the routes
it serves, and building one (a test suite builds thousands) costs no composition at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from ..routing import Route, Router
    from . import Leave, Next, Step
    from .fuse import Link


class RouteChain(NamedTuple):
    """One route's part of the pipeline, after the routing step."""

    handler: Next
    #: its stages as the fused chain calls them
    links: tuple[Link, ...]
    #: the same stages as the nested chain, ending in the handler
    nested: Next
    #: the fused chain's leave calls once every stage passed (the whole chain's, innermost first)
    leaves: tuple[Leave, ...]


class RouteChains(dict[int, RouteChain]):
    """``id(route)`` -> the route's :class:`RouteChain`, composed by ``compose`` on first use (per app)."""

    def __init__(self, router: Router, compose: Callable[[Route], RouteChain]) -> None:
        super().__init__()
        self._routes = {id(route): route for route in router.routes}
        self._compose = compose

    def __missing__(self, key: int) -> RouteChain:
        chain = self[key] = self._compose(self._routes[key])
        return chain


def make_route_step(router: Router, chains: RouteChains) -> Step:
    """The routing step; ``chains`` holds the rest of each route's pipeline."""

    async def route_step(ctx: RequestContext, call_next: Next) -> Response:
        ctx.route, ctx.path_params = router.match(ctx.method, ctx.path)
        return await chains[id(ctx.route)].nested(ctx)

    return route_step
