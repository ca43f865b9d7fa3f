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

from typing import TYPE_CHECKING

from ..errors import ApiError, problem_response

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from starlette.responses import Response

    from ..context import RequestContext
    from ..routing import Router
    from . import AsyncEnter, Enter, Idle, Leave, Next, Stage
    from .route import RouteChain


#: One stage as the fused chain calls it: ``(idle, enter, wait, rest, undo)``. ``rest`` (the nested chain
#: from this stage on) is set only for a stage without an inline form; ``undo`` holds the ``leave`` calls
#: of the inline stages before it (of the whole chain, innermost first): what answers a request the stage
#: refuses or hands to ``rest``.
Link = tuple["Idle | None", "Enter | None", "AsyncEnter | None", "Next | None", "tuple[Leave, ...]"]


def links(stages: Sequence[Stage], rests: Sequence[Next], outer: tuple[Leave, ...]) -> tuple[tuple[Link, ...], tuple[Leave, ...]]:
    """The links of ``stages`` (``rests[i]``: the nested chain from ``stages[i]`` on) inside stages whose
    leaves are ``outer``; and the leaves of all of them, innermost first (what answers once every stage
    passed). A stage with both an ``idle`` predicate and a ``leave`` runs as its step when it has work
    (its leave must not run when it was skipped)."""
    found: list[Link] = []
    undo = outer
    for stage, rest in zip(stages, rests, strict=False):  # rests may end with the handler's own
        inline = stage.inline
        if inline is None or (stage.idle is not None and inline.leave is not None):
            found.append((stage.idle, None, None, rest, undo))
            continue
        found.append((stage.idle, inline.enter, inline.wait, None, undo))
        if inline.leave is not None:
            undo = (inline.leave, *undo)
    return tuple(found), undo


def fused(head: tuple[Link, ...], outer: tuple[Leave, ...], after: Mapping[int, RouteChain], router: Router) -> Next:
    """The fused chain: ``head`` (whose leaves are ``outer``) for every request, routing, then the matched
    route's links and handler (``after[id(route)]``)."""

    async def run(ctx: RequestContext) -> Response:
        links = head
        undo: tuple[Leave, ...] = ()
        try:
            while True:
                # undo stays the current stage's after the loop: what answers when that stage raises
                for idle, enter, wait, rest, undo in links:  # noqa: B007
                    if idle is not None and idle(ctx):
                        continue
                    if enter is not None:
                        enter(ctx)
                    elif wait is not None:
                        await wait(ctx)
                    elif rest is not None:  # work and no inline form: the nested chain from here
                        response = await rest(ctx)
                        break
                else:
                    if links is head:  # routing: 404 and 405 are raised here, answered below
                        undo = outer
                        route, ctx.path_params = router.match(ctx.method, ctx.path)
                        ctx.route = route
                        handler, links, _, leaves = after[id(route)]
                        continue
                    undo = leaves
                    response = await handler(ctx)
                break
        except ApiError as error:
            response = problem_response(error)
        for leave in undo:
            try:
                response = leave(ctx, response)
            except ApiError as error:
                response = problem_response(error)
        return response

    return run
