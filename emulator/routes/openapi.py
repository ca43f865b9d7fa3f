"""``GET /openapi.json``: the emulator's OpenAPI 3.1 document (no auth, like the health checks)."""

from __future__ import annotations

from starlette.responses import Response

from .. import openapi
from ..context import RequestContext
from ..responses import dumps
from ..routing import route

_BYTES_KEY = "openapi.bytes"


async def openapi_json(ctx: RequestContext) -> Response:
    extensions = ctx.state.extensions
    body = extensions.get(_BYTES_KEY)
    if body is None:
        body = extensions[_BYTES_KEY] = dumps(openapi.document(ctx.state))
    return Response(body, media_type="application/json")


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
