"""Health endpoints (no auth: load balancers and sidecar health checks call them)."""

from __future__ import annotations

from starlette.responses import Response

from ..context import RequestContext
from ..responses import json_response
from ..routing import route


async def liveness(ctx: RequestContext) -> Response:
    return json_response({"status": "ok"})


async def readiness(ctx: RequestContext) -> Response:
    return json_response({"status": "ready", "checks": {"store": "ok"}})


ROUTES = [
    route("GET", "/v1/health/liveness", liveness, auth=False, response="health_liveness", summary="Liveness Check"),
    route(
        "GET",
        "/v1/health/readiness",
        readiness,
        auth=False,
        documented=False,
        response="health_readiness",
        summary="Readiness check",
    ),
]
