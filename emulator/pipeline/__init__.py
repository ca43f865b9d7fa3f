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

Next = Callable[["RequestContext"], Awaitable["Response"]]
Step = Callable[["RequestContext", Next], Awaitable["Response"]]


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
