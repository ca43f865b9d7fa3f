"""Pipeline step 0: CORS, so browser apps on another origin can call the API with a bearer token.

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered here,
before routing and auth. Every other request from an allowed origin gets ``Access-Control-Allow-Origin``
and ``Access-Control-Expose-Headers`` on its response, problem responses included. Requests without an
``Origin`` header (servers, curl, tests) pass straight through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from starlette.responses import Response

from ..errors import Forbidden

if TYPE_CHECKING:
    from ..context import RequestContext
    from ..routing import Router
    from . import Next, Step

#: Response headers a browser script may read (rate limits, idempotency, chat streaming).
EXPOSED_HEADERS = (
    "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "
    "Idempotent-Replayed, X-Chat-Id, x-vercel-ai-ui-message-stream"
)
MAX_AGE = "600"
_LOCALHOST = re.compile(r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$", re.IGNORECASE)
_HEADER_LIST = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$")

OriginCheck = Callable[[str], bool]


def origin_matcher(origins: Iterable[str]) -> OriginCheck:
    """A predicate for allowed origins: ``*`` = any; none configured = any localhost origin, any port."""
    allowed = {origin.rstrip("/").lower() for origin in origins}
    if "*" in allowed:
        return lambda origin: True
    if not allowed:
        return lambda origin: _LOCALHOST.match(origin) is not None
    return lambda origin: origin.rstrip("/").lower() in allowed


def _vary(response: Response, *names: str) -> None:
    present = [v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()]
    lowered = {v.lower() for v in present}
    present += [name for name in names if name.lower() not in lowered]
    response.headers["Vary"] = ", ".join(present)


def preflight(router: Router, path: str, origin: str, method: str, requested_headers: str | None) -> Response:
    """The 204 answer to an allowed preflight: the path's methods (or the asked one), the asked headers."""
    methods = router.allowed_methods(path) or [method.upper()]
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ", ".join(methods),
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Max-Age": MAX_AGE,
        "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    }
    if requested_headers and _HEADER_LIST.match(requested_headers.strip()):
        headers["Access-Control-Allow-Headers"] = requested_headers.strip()
    return Response(status_code=204, headers=headers)


def no_origin(ctx: RequestContext) -> bool:
    """A request without ``Origin`` (servers, curl, tests): the CORS step only passes it on."""
    return ctx.headers.get("origin") is None


def make_cors_step(allowed: OriginCheck, router: Router) -> Step:
    """The CORS step for one router (API or control plane); ``allowed`` is compiled once per app."""

    async def cors_step(ctx: RequestContext, call_next: Next) -> Response:
        origin = ctx.headers.get("origin")
        if origin is None:
            return await call_next(ctx)
        request_method = ctx.headers.get("access-control-request-method")
        if ctx.method == "OPTIONS" and request_method:
            if not allowed(origin):
                raise Forbidden(f"Origin {origin} is not allowed (see --cors-origins).")
            return preflight(router, ctx.path, origin, request_method, ctx.headers.get("access-control-request-headers"))
        response = await call_next(ctx)
        if allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        _vary(response, "Origin")
        return response

    return cors_step
