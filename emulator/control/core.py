"""Control-plane basics: health and reset (the journal lives in ``journal.py``)."""

from __future__ import annotations

from starlette.responses import Response

from ..context import RequestContext
from ..responses import json_response, no_content
from ..routing import route


async def health(ctx: RequestContext) -> Response:
    state = ctx.state
    return json_response({"status": "ok", "seed": state.config.seed, "clock": state.config.clock, "auth": state.config.auth})


async def reset(ctx: RequestContext) -> Response:
    ctx.state.reset()
    await ctx.state.backend.reset()  # a shared backend: every worker and replica sees the reset
    return no_content()


ROUTES = [
    route("GET", "/_emulator/health", health, auth=False),
    route("POST", "/_emulator/reset", reset, auth=False),
]
