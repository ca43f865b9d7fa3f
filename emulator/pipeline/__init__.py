"""The request pipeline: ordered steps, each in its own module, composed around the route's handler.

A step is ``async (ctx, next) -> Response``; it may answer itself or call ``next``. An
:class:`~emulator.errors.ApiError` raised by a step (or anything after it) is rendered to a problem
response at that step's boundary, so outer steps (journal, idempotency) always see a response.
The order lives in one place: :func:`emulator.pipeline.plan.plan`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ApiError, problem_response

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from ..routing import Route, Router

Next = Callable[["RequestContext"], Awaitable["Response"]]
Step = Callable[["RequestContext", Next], Awaitable["Response"]]
RoutePredicate = Callable[["Route"], bool]


def every_route(route: Route) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Stage:
    """A named step and the routes it concerns (the chains of the other routes leave it out)."""

    name: str
    step: Step
    applies: RoutePredicate = every_route


@dataclass(frozen=True)
class Chain:
    """One pipeline: ``before`` runs for every request ahead of routing, ``after`` between the routing
    step and the handler, composed once per route with only the stages that apply to it."""

    before: tuple[Stage, ...]
    after: tuple[Stage, ...]

    def names(self) -> list[str]:
        """The step names, outermost first (the routing step is ``route``)."""
        return [*(s.name for s in self.before), "route", *(s.name for s in self.after)]

    def with_stage(self, stage: Stage, *, after: str | None = None) -> Chain:
        """A copy with ``stage`` inserted right after the ``after`` stage of the post-routing part
        (at its end when None); used by tests and embedders that need an extra step."""
        stages = list(self.after)
        index = len(stages) if after is None else [s.name for s in stages].index(after) + 1
        stages.insert(index, stage)
        return Chain(self.before, tuple(stages))


def _guard(step: Step, nxt: Next) -> Next:
    async def run(ctx: RequestContext) -> Response:
        try:
            return await step(ctx, nxt)
        except ApiError as error:
            return problem_response(error)

    return run


def compose(steps: Sequence[Step], endpoint: Next) -> Next:
    """Chain ``steps`` around ``endpoint``; the first step is the outermost."""

    async def final(ctx: RequestContext) -> Response:
        try:
            return await endpoint(ctx)
        except ApiError as error:
            return problem_response(error)

    chain: Next = final
    for step in reversed(steps):
        chain = _guard(step, chain)
    return chain


def build(chain: Chain, router: Router, endpoint: Next) -> Next:
    """Compose ``chain`` for ``router``: the routing step continues on the matched route's own chain."""
    from .route import make_route_step

    per_route = {id(r): compose([s.step for s in chain.after if s.applies(r)], endpoint) for r in router.routes}
    return compose([*(s.step for s in chain.before), make_route_step(router, per_route)], endpoint)
