"""``POST /_emulator/tokens``: mint a JWT for any user and organisation; ``GET /_emulator/jwks.json``."""

from __future__ import annotations

from starlette.responses import Response

from ..auth.tokens import DEFAULT_TTL
from ..clock import isoformat
from ..context import RequestContext
from ..errors import invalid
from ..ids import control_ids
from ..responses import json_response
from ..routing import route

ALL_SCOPES = ["*"]
LAST_INSTANT = 253402300799.0  # 9999-12-31T23:59:59Z, the last instant isoformat can write


async def mint_token(ctx: RequestContext) -> Response:
    """Answer 201 ``{"token", "expiresAt", "user", "org", "scopes"}``.

    Omitted ``user``/``org`` are fresh ids (:func:`emulator.ids.control_ids`); an organisation that does not
    exist yet is created with an empty store. Defaults: every scope (``*``), 3600 seconds.
    """
    body = ctx.json or {}
    runtime = ctx.state.auth
    user, org = runtime.caller(body.get("user"), body.get("org"), await control_ids(ctx.state))
    requested = body.get("scopes")
    scopes = list(ALL_SCOPES) if requested is None else list(dict.fromkeys(requested))  # [] = no scope at all
    expires_in = body.get("expiresIn") or DEFAULT_TTL
    if ctx.state.clock_for(org).now() + expires_in >= LAST_INSTANT:
        raise invalid("/expiresIn", "too far in the future", message="the token would expire after 9999-12-31T23:59:59Z")
    token = runtime.mint(user, org, scopes, expires_in)
    expires_at = isoformat(int(ctx.state.clock_for(org).now()) + expires_in)
    return json_response({"token": token, "expiresAt": expires_at, "user": user, "org": org, "scopes": scopes}, status=201)


async def list_tokens(ctx: RequestContext) -> Response:
    """The fixture tokens (usable as ``Authorization: Bearer <token>``) with their user, organisation and scopes."""
    items = [
        {"token": token, "user": principal.user_id, "org": principal.org_id, "scopes": sorted(principal.scopes)}
        for token, principal in ctx.state.tokens.items()
    ]
    return json_response({"items": items})


async def jwks(ctx: RequestContext) -> Response:
    """The public signing key as a JWK Set (verify emulator tokens with any JOSE library)."""
    return json_response(ctx.state.auth.key.jwks())


ROUTES = [
    route(
        "POST",
        "/_emulator/tokens",
        mint_token,
        auth=False,
        body="emulator_token_create",
        body_optional=True,
        status=201,
        summary="Mint a JWT for a (new) user and organisation",
    ),
    route("GET", "/_emulator/tokens", list_tokens, auth=False, summary="The fixture tokens and their scopes"),
    route("GET", "/_emulator/jwks.json", jwks, auth=False, summary="JWK Set of the token signing key"),
]
