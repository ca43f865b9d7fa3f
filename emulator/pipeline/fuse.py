"""The fused chain: the pipeline's stages run as plain calls in one coroutine when they can.

Derived from the same :class:`~emulator.pipeline.Stage` list as the nested chain, never written by
hand. Stage by stage, in the chain's order: an ``idle`` stage is skipped (its step would only have
passed the request on), an ``inline`` stage has its ``enter`` called now and its ``leave`` queued for
the response, and the first stage that has work but no inline form hands the request to the nested
chain from that stage on (``Link.rest``), whose answer then goes back through the queued ``leave``
calls. An :class:`~emulator.errors.ApiError` is answered where the nested chain answers it: a stage
that raises gets no ``leave`` call, the stages around it do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ApiError, problem_response

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.responses import Response

    from ..context import RequestContext
    from ..routing import Router
    from . import AsyncEnter, Enter, Idle, Leave, Next, Stage
    from .route import RouteChain


@dataclass(frozen=True, slots=True)
class Link:
    """One stage as the fused chain calls it; ``rest`` is the nested chain from this stage on."""

    idle: Idle | None
    enter: Enter | None
    wait: AsyncEnter | None
    leave: Leave | None
    rest: Next

    @classmethod
    def of(cls, stage: Stage, rest: Next) -> Link:
        inline = stage.inline
        if inline is None:
            return cls(stage.idle, None, None, None, rest)
        return cls(stage.idle, inline.enter, inline.wait, inline.leave, rest)


#: Where the routing step sits between the stages before it and the matched route's own stages.
_ROUTING = None


def fused(before: tuple[Link, ...], after: Mapping[int, RouteChain], router: Router) -> Next:
    """The fused chain: ``before`` for every request, routing, then the matched route's links and handler
    (``after[id(route)]``, whose links end with None: the handler)."""
    head: tuple[Link | None, ...] = (*before, _ROUTING)

    async def run(ctx: RequestContext) -> Response:
        leaves: list[Leave] = []
        links = head
        handler: Next | None = None
        i = 0
        try:
            while True:
                link = links[i]
                i += 1
                if link is None:
                    if handler is None:  # routing: 404 and 405 are raised here, answered below
                        route, ctx.path_params = router.match(ctx.method, ctx.path)
                        ctx.route = route
                        handler, links, _ = after[id(route)]
                        i = 0
                        continue
                    response = await handler(ctx)
                    break
                if link.idle is not None and link.idle(ctx):
                    continue
                if link.enter is not None:
                    link.enter(ctx)
                elif link.wait is not None:
                    await link.wait(ctx)
                elif link.leave is None:  # work and no inline form: the nested chain from here
                    response = await link.rest(ctx)
                    break
                if link.leave is not None:
                    leaves.append(link.leave)
        except ApiError as error:
            response = problem_response(error)
        while leaves:
            leave = leaves.pop()
            try:
                response = leave(ctx, response)
            except ApiError as error:
                response = problem_response(error)
        return response

    return run
