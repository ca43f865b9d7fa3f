"""``GET``/``POST /_emulator/strict-requests``: read or switch strict mode, server-wide or per tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..params import ORG
from ..responses import json_response
from ..routing import route

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext


def _out(ctx: RequestContext, org_id: str | None) -> dict[str, Any]:
    strictness = ctx.state.strictness
    if org_id is None:
        return strictness.to_json()
    return {"org": org_id, "strict": strictness.strict_for(org_id)}


async def get_strictness(ctx: RequestContext) -> Response:
    """``{"strict", "default", "orgs"}``; with ``?org=`` the setting in force for that organisation."""
    return json_response(_out(ctx, ctx.params.text("org")))


async def set_strictness(ctx: RequestContext) -> Response:
    """``{"strict": true|false|null, "org"?}``: null drops the override (the tenant follows the server again)."""
    body = ctx.json
    org_id, strict = body.get("org"), body["strict"]
    strictness = ctx.state.strictness
    if strict is None:
        if org_id is None:
            strictness.server = strictness.default
        else:
            strictness.reset(org_id)
    else:
        strictness.set(strict, org_id)
    sync = ctx.state.settings_sync
    await (sync.publish_server() if org_id is None else sync.publish_org(org_id))
    return json_response(_out(ctx, org_id))


ROUTES = [
    route("GET", "/_emulator/strict-requests", get_strictness, auth=False, summary="Strict mode in force", query=(ORG,)),
    route(
        "POST",
        "/_emulator/strict-requests",
        set_strictness,
        auth=False,
        body="emulator_strict_requests",
        summary="Reject (strict) or ignore with a warning (default) unknown body fields",
    ),
]
