"""The request pipeline: ordered steps, each in its own module, composed around the route's handler.

A step is ``async (ctx, next) -> Response``; it may answer itself or call ``next``. An
:class:`~emulator.errors.ApiError` raised by a step (or anything after it) is rendered to a problem
response at that step's boundary, so outer steps (journal, idempotency) always see a response.
The order lives in one place: :func:`emulator.pipeline.plan.plan`.

A stage may also say how to run it without a coroutine of its own: an :class:`Inline` form (what it
does before the rest of the chain, what it does to the response; its step is derived from that form)
or an ``idle`` predicate (for this request the step would only pass it on). :func:`build` composes the
nested chain and, from the same stages, a fused one (:mod:`emulator.pipeline.fuse`) that runs the
inline forms in one coroutine and falls back to the nested chain at the first stage that has work
and no inline form.
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
#: The part of a step before the rest of the chain (may raise an ApiError: the step answers with it).
Enter = Callable[["RequestContext"], None]
AsyncEnter = Callable[["RequestContext"], Awaitable[None]]
#: The part after it: the response the step returns, given the one the rest of the chain returned.
Leave = Callable[["RequestContext", "Response"], "Response"]
#: For this request the step would only call ``next`` (no effect at all): the fused chain skips it.
Idle = Callable[["RequestContext"], bool]


def every_route(route: Route) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Inline:
    """A step as plain calls: ``enter`` (or the awaitable ``wait``) before the rest of the chain, then
    ``leave`` on its response. :meth:`step` is the step they make; the fused chain calls them directly."""

    enter: Enter | None = None
    wait: AsyncEnter | None = None
    leave: Leave | None = None

    def step(self) -> Step:
        enter, wait, leave = self.enter, self.wait, self.leave

        async def inline_step(ctx: RequestContext, call_next: Next) -> Response:
            if enter is not None:
                enter(ctx)
            elif wait is not None:
                await wait(ctx)
            response = await call_next(ctx)
            return response if leave is None else leave(ctx, response)

        return inline_step


@dataclass(frozen=True, slots=True)
class Stage:
    """A named step and the routes it concerns (the chains of the other routes leave it out).

    ``idle`` and ``inline`` are optional shortcuts for the fused chain (see the module docstring);
    a stage with neither always runs as its step.
    """

    name: str
    step: Step
    applies: RoutePredicate = every_route
    idle: Idle | None = None
    inline: Inline | None = None

    @classmethod
    def of(cls, name: str, inline: Inline, applies: RoutePredicate = every_route) -> Stage:
        """A stage whose step is made from its inline form (one definition of what it does)."""
        return cls(name, inline.step(), applies, inline=inline)


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


def suffixes(steps: Sequence[Step], endpoint: Next) -> list[Next]:
    """``compose(steps[i:], endpoint)`` for every ``i`` (the last item is ``endpoint`` guarded alone)."""

    async def final(ctx: RequestContext) -> Response:
        try:
            return await endpoint(ctx)
        except ApiError as error:
            return problem_response(error)

    chains: list[Next] = [final]
    for step in reversed(steps):
        chains.append(_guard(step, chains[-1]))
    chains.reverse()
    return chains


def compose(steps: Sequence[Step], endpoint: Next) -> Next:
    """Chain ``steps`` around ``endpoint``; the first step is the outermost."""
    return suffixes(steps, endpoint)[0]


def build(chain: Chain, router: Router, *, fuse: bool = True) -> Next:
    """Compose ``chain`` for ``router``: the routing step continues on the matched route's own chain,
    which ends in the route's handler.

    ``fuse``: the fused form of the same chain (:mod:`emulator.pipeline.fuse`); ``False`` gives the
    plain nested one (the two answer alike: tests compare them).
    """
    from .fuse import fused, links
    from .route import RouteChain, RouteChains, make_route_step

    def compose(route: Route) -> RouteChain:
        stages = [s for s in chain.after if s.applies(route)]
        rest = suffixes([s.step for s in stages], route.handler)
        fused_links, leaves = links(stages, rest, outer)
        return RouteChain(route.handler, fused_links, rest[0], leaves)

    chains = RouteChains(router, compose)  # each route's chain is composed when it first serves a request
    heads = suffixes([*(s.step for s in chain.before), make_route_step(router, chains)], _unreachable)
    head, outer = links(chain.before, heads, ())
    if not fuse:
        return heads[0]
    return fused(head, outer, chains, router)


async def _unreachable(ctx: RequestContext) -> Response:
    raise AssertionError("the routing step always continues on the route's own chain")
