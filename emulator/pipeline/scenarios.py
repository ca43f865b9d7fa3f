"""Pipeline step 6: scenario rules (after idempotency, before body parsing).

Without active scenarios the step costs one dict lookup and one list check. Otherwise the runtime
counts the call and may pick a rule, which answers, delays, or leaves directives for the handler.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest
from ..scenarios.actions import perform
from ..scenarios.match import NO_BODY, RequestView
from ..scenarios.runtime import ANONYMOUS
from ..scenarios.shared import decide_shared
from .body import is_json_type, parse_json

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from . import Next


async def _json_for_matching(ctx: RequestContext) -> Any:
    """The body as JSON for body patterns; anything unreadable as JSON is :data:`NO_BODY` (the body step
    reports it properly later)."""
    route = ctx.route
    raw = await ctx.body(route.max_body if route is not None else None)
    if not raw.strip() or not is_json_type(ctx.headers.get("content-type", "application/json")):
        return NO_BODY
    try:
        return parse_json(raw)
    except BadRequest:  # the body step reports it; here it just matches no body pattern
        return NO_BODY


def no_scenario(ctx: RequestContext) -> bool:
    """No scenario is active: the scenario step only passes the request on."""
    return not ctx.state.scenarios.active


async def scenario_step(ctx: RequestContext, call_next: Next) -> Response:
    runtime = ctx.state.scenarios
    if not runtime.active:
        return await call_next(ctx)
    org_key = ctx.principal.org_id if ctx.principal is not None else ANONYMOUS
    request = RequestView(ctx.method, ctx.path, ctx.headers, ctx.query)
    if runtime.needs_body(request, org_key):
        request = replace(request, json=await _json_for_matching(ctx))
    backend = ctx.state.backend
    if backend.shared:  # several processes: counters and states in the shared backend
        decision = await decide_shared(runtime, backend, request, org_key)
    else:
        decision = runtime.decide(request, org_key)
    if decision is None:
        return await call_next(ctx)
    ctx.rule = decision.rule.label
    return await perform(decision, ctx, call_next)
