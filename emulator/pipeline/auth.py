"""Pipeline step 3: resolve the bearer token to a :class:`~emulator.principal.Principal`, check scopes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from ..principal import Principal
    from ..state import EmulatorState
    from . import Next


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def authenticate(state: EmulatorState, authorization: str | None) -> Principal:
    """The caller behind ``authorization``; raises :class:`Unauthorized` (401) when unknown."""
    if state.config.auth == "off":
        token = bearer_token(authorization)
        return state.tokens.get(token or "") or state.default_principal()
    token = bearer_token(authorization)
    if token is None:
        raise Unauthorized()
    principal = state.tokens.get(token)
    if principal is None:
        resolver = state.extensions.get("token_resolver")
        principal = resolver(token) if resolver is not None else None
    if principal is None:
        raise Unauthorized()
    return principal


async def auth_step(ctx: RequestContext, call_next: Next) -> Response:
    route = ctx.route
    assert route is not None
    if route.auth:
        principal = authenticate(ctx.state, ctx.headers.get("authorization"))
        ctx.principal = principal
        if route.scope and not principal.has_scope(route.scope):
            raise Forbidden(f"Missing required scope: {route.scope}")
    return await call_next(ctx)
