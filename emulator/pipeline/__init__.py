"""The request pipeline: an ordered list of steps, each in its own module.

Order (see :func:`default_steps`): journal -> route -> auth -> rate limit -> idempotency -> scenario
rules -> body parsing/validation -> handler. A step is ``async (ctx, next) -> Response``; it may answer
itself or call ``next``. An :class:`~emulator.errors.ApiError` raised by a step (or anything after it)
is rendered to a problem response at that step's boundary, so outer steps (journal, idempotency) always
see a response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from ..errors import ApiError, problem_response

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from ..routing import Route

Next = Callable[["RequestContext"], Awaitable["Response"]]
Step = Callable[["RequestContext", Next], Awaitable["Response"]]


def applies_to(predicate: Callable[[Route], bool]) -> Callable[[Step], Step]:
    """Declare which routes a step concerns; the app leaves it out of every other route's chain."""

    def mark(step: Step) -> Step:
        step.applies = predicate  # type: ignore[attr-defined]
        return step

    return mark


def step_applies(step: Step, route: Route) -> bool:
    predicate = getattr(step, "applies", None)
    return predicate is None or bool(predicate(route))


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
