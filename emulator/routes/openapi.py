"""``GET /openapi.json``: the emulator's OpenAPI 3.1 document (no auth, like the health checks)."""

from __future__ import annotations

from starlette.responses import Response

from ..context import RequestContext
from ..routing import route


async def openapi_json(ctx: RequestContext) -> Response:
    return Response(ctx.state.openapi.json_bytes(), media_type="application/json")


ROUTES = [
    route(
        "GET",
        "/openapi.json",
        openapi_json,
        auth=False,
        documented=False,
        response="openapi_document",
        summary="OpenAPI document of this emulator",
    ),
]
