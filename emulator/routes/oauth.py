"""M2M OAuth 2.0 client credentials (``POST /v1/oauth2/token``) and the public JWKS.

The real token endpoint lives on ``https://auth.cuadra.ai``; the emulator serves it on its own host.
Errors follow RFC 6749 §5.2 (``{"error", "error_description"}``) through :class:`OAuthError`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.responses import Response

from ..auth.scopes import known_scopes, refused_scopes
from ..auth.tokens import DEFAULT_TTL
from ..context import RequestContext
from ..errors import ApiError, OAuthError
from ..pipeline.body import is_json_type, parse_json
from ..responses import json_response
from ..routing import route
from ..tenants.routing import tenant_org

GRANT_TYPE = "client_credentials"
_CLIENT_CHALLENGE = {"WWW-Authenticate": 'Basic realm="cuadra-emulator", charset="UTF-8"'}
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_client() -> OAuthError:
    return OAuthError("invalid_client", "Client authentication failed.", status=401, headers=_CLIENT_CHALLENGE)


def parse_params(content_type: str, raw: bytes) -> dict[str, str]:
    """The request parameters of a JSON or form body; empty values count as omitted (RFC 6749 §3.1).

    Raises ``invalid_request`` for a malformed body, an unsupported media type, a repeated
    parameter or a non-string value.
    """
    if not raw.strip():
        return {}
    media = content_type.split(";", 1)[0].strip().lower()
    if is_json_type(content_type):
        try:
            data = parse_json(raw)
        except ApiError as error:
            raise invalid_request(error.detail) from None
        if not isinstance(data, dict):
            raise invalid_request("The JSON body must be an object.")
        params: dict[str, str] = {}
        for name, value in data.items():
            if value is None:
                continue
            if not isinstance(value, str):
                raise invalid_request(f"Parameter {name} must be a string.")
            params[name] = value
    elif media == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise invalid_request("The form body is not valid UTF-8.") from None
        params = {}
        for name, value in pairs:
            if name in params:
                raise invalid_request(f"Parameter {name} is repeated.")
            params[name] = value
    else:
        raise invalid_request("Content-Type must be application/json or application/x-www-form-urlencoded.")
    return {name: value for name, value in params.items() if value != ""}


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` of an HTTP Basic header (RFC 6749 §2.3.1), None without one.

    A Basic header that does not decode is an ``invalid_client`` error; other schemes are ignored.
    """
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise invalid_client() from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise invalid_client()
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate_client(
    clients: dict[str, dict[str, Any]], params: dict[str, str], basic: tuple[str, str] | None
) -> dict[str, Any]:
    """The fixture client the request authenticates as; ``invalid_request``/``invalid_client`` otherwise.

    With Basic authentication the body may repeat the same ``client_id`` (some libraries do) but not
    carry a secret or another id: that would be two authentication methods (RFC 6749 §2.3).
    """
    if basic is not None and ("client_secret" in params or params.get("client_id", basic[0]) != basic[0]):
        raise invalid_request("Use one client authentication method: the Authorization header or the body.")
    client_id, secret = basic if basic is not None else (params.get("client_id"), params.get("client_secret"))
    client = clients.get(client_id or "")
    if client is None or secret is None or not hmac.compare_digest(client["clientSecret"].encode(), secret.encode()):
        raise invalid_client()
    return client


async def issue_token(ctx: RequestContext) -> Response:
    """``POST /v1/oauth2/token``: exchange client credentials for an RS256 access token (1 hour)."""
    params = parse_params(ctx.headers.get("content-type", ""), await ctx.body())
    basic = basic_credentials(ctx.headers.get("authorization"))
    grant_type = params.get("grant_type")
    if grant_type is None:
        raise invalid_request("Missing grant_type.")
    if grant_type != GRANT_TYPE:
        raise OAuthError("unsupported_grant_type", f"Only grant_type={GRANT_TYPE} is supported.")
    state = ctx.state
    client = authenticate_client(state.fixtures.oauth_clients, params, basic)
    scopes = list(client["scopes"])
    if "scope" in params:
        from . import API_ROUTES  # the package's route table, complete once imported

        requested = list(dict.fromkeys(params["scope"].split()))
        refused = refused_scopes(scopes, requested, known_scopes(r.scope for r in API_ROUTES))
        if refused:
            raise OAuthError("invalid_scope", f"Scope not granted to this client: {' '.join(refused)}.")
        scopes = requested
    user = state.fixtures.users[client["user"]]
    runtime = state.auth
    org = tenant_org(state, user["organization"], ctx.tenant)
    token = runtime.mint(user["id"], org, scopes, DEFAULT_TTL)
    body = {"access_token": token, "token_type": "bearer", "expires_in": DEFAULT_TTL, "scope": " ".join(scopes)}
    return json_response(body, headers=_NO_STORE)


async def jwks(ctx: RequestContext) -> Response:
    """The public key the emulator signs JWTs with, as a JWK Set."""
    return json_response(ctx.state.auth.key.jwks(), headers={"Cache-Control": "public, max-age=300"})


ROUTES = [
    route(
        "POST",
        "/v1/oauth2/token",
        issue_token,
        auth=False,
        documented=False,
        response="oauth_token",
        summary="M2M OAuth 2.0 client-credentials token (real host: auth.cuadra.ai)",
    ),
    route("GET", "/.well-known/jwks.json", jwks, auth=False, documented=False, response="jwks", summary="JSON Web Key Set"),
]
