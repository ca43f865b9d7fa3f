"""Pipeline step 3: resolve the bearer token to a :class:`~emulator.principal.Principal`, check scopes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Forbidden, Unauthorized
from ..principal import ALL_SCOPES, Principal
from ..tenants.routing import in_tenant
from . import Inline

if TYPE_CHECKING:
    from ..context import RequestContext
    from ..state import EmulatorState


ALL = frozenset({ALL_SCOPES})


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def resolve_token(state: EmulatorState, token: str) -> Principal | None:
    """A static fixture token's principal, else what the installed resolver (JWTs) makes of it."""
    principal = state.tokens.get(token)
    if principal is None:
        principal = state.auth.resolve(token)
    return principal


def authenticate(state: EmulatorState, authorization: str | None) -> Principal:
    """The caller behind ``authorization``; raises :class:`Unauthorized` (401) when unknown.

    With ``--auth off`` nothing is refused: a token that resolves still selects its user and
    organisation (with every scope); anything else (no token, a wrong or expired one) is the default user.
    """
    token = bearer_token(authorization)
    if state.config.auth == "off":
        known = resolve_token(state, token) if token else None
        if known is None:
            return state.default_principal()
        return Principal(known.user_id, known.org_id, ALL)
    if token is None:
        raise Unauthorized()
    principal = resolve_token(state, token)
    if principal is None:
        raise Unauthorized()
    return principal


def check_caller(ctx: RequestContext) -> None:
    """Set ``ctx.principal`` from the bearer token (401 problem) and check the route's scope (403)."""
    route = ctx.route
    assert route is not None
    if route.auth:
        state = ctx.state
        authorization = ctx.headers.get("authorization")
        principal = None
        if authorization is not None and authorization[:7] == "Bearer " and state.config.auth != "off":
            # The common case first: the exact "Bearer <static token>" is one lookup, no parsing, no call.
            static = authorization[7:]
            principal = state.tokens.get(static)
            if principal is not None and static != static.strip():
                principal = None
        if principal is None:
            principal = authenticate(state, authorization)
        if ctx.tenant is not None:
            principal = in_tenant(ctx.state, principal, ctx.tenant)
        ctx.principal = principal
        if route.scope and not principal.has_scope(route.scope):
            raise Forbidden(
                f"Missing required scope: {route.scope}",
                headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{route.scope}"'},
            )


AUTH = Inline(enter=check_caller)
