"""Control-plane basics: health (reset lives in ``tenants.py``, the journal in ``journal.py``)."""

from __future__ import annotations

from starlette.responses import Response

from ..context import RequestContext
from ..responses import json_response
from ..routing import route


async def health(ctx: RequestContext) -> Response:
    state = ctx.state
    return json_response({"status": "ok", "seed": state.config.seed, "clock": state.config.clock, "auth": state.config.auth})


ROUTES = [
    route("GET", "/_emulator/health", health, auth=False),
]
