"""Usage: the organisation's storage, credits and plan, computed from what was served."""

from __future__ import annotations

from starlette.responses import Response

from ..auth.scopes import is_org_admin
from ..context import RequestContext
from ..domain import plans as plans_domain
from ..domain import usage as usage_domain
from ..responses import json_response
from ..routing import route


async def get_usage(ctx: RequestContext) -> Response:
    org = plans_domain.organization(ctx.state, ctx.org_id)
    assert ctx.principal is not None
    admin = is_org_admin(ctx.principal, ctx.state.fixtures.users)
    return json_response(usage_domain.usage_out(ctx.state.store, org, ctx.clock.now(), admin=admin))


ROUTES = [route("GET", "/v1/usage", get_usage, scope="usage:read", response="usage", summary="Get Organization Usage")]
