"""``POST /_emulator/tenants`` (mint a tenant) and ``POST /_emulator/reset`` (everything, or one tenant)."""

from __future__ import annotations

from starlette.responses import Response

from ..auth.tokens import DEFAULT_TTL
from ..clock import ManualClock, isoformat
from ..context import RequestContext
from ..ids import control_ids
from ..responses import json_response, no_content
from ..routing import route
from ..state import EmulatorState
from ..tenants.settings import TenantSettings, parse_settings, settings_json


async def reset(ctx: RequestContext) -> Response:
    """Back to the fixtures: everything, or with ``{"org": id}`` that organisation only (404 if unknown)."""
    org = (ctx.json or {}).get("org")
    state = ctx.state
    if org is None:
        state.reset()
        await state.backend.reset()  # a shared backend: every worker and replica sees the reset
        await state.settings_sync.announce_reset()
    else:
        shared = state.shared_store
        if shared is not None:  # the tenant may have been minted through another replica
            await shared.sync(org, reserve=False)
        state.tenants.reset(org, state.clock_for(org).now())
        await state.backend.forget_org(org)
        if shared is not None:
            await shared.restart(org)  # a new log: every replica rebuilds the tenant on its next request
        await state.settings_sync.publish_org(org, reset=True)
    return no_content()


async def create_tenant(ctx: RequestContext) -> Response:
    """Answer 201 (new) or 200 (already there) ``{"org", "created", "user", "token", "expiresAt"}``.

    The token is for the template organisation's first fixture user, now a member of the tenant, with
    every scope, so a test that names fixture ids and users passes against the tenant unchanged.
    """
    body = ctx.json or {}
    state = ctx.state
    org = body.get("org") or (await control_ids(state)).prefixed("org")
    created = state.tenants.create(org, state.clock_for(org).now())
    if body.get("settings") is not None:
        apply_settings(state, org, parse_settings(body["settings"], state.config.rate_limit))
        await state.settings_sync.publish_org(org)
    runtime = state.auth
    user = state.default_principal().user_id
    expires_in = body.get("expiresIn") or DEFAULT_TTL
    token = runtime.mint(user, org, ["*"], expires_in)
    own = state.tenant_settings.get(org)
    out = {
        "org": org,
        "settings": settings_json(own) if own is not None else {},
        "created": created,
        "template": state.tenants.template,
        "user": user,
        "token": token,
        "expiresAt": isoformat(int(state.clock_for(org).now()) + expires_in),
    }
    return json_response(out, status=201 if created else 200)


def apply_settings(state: EmulatorState, org: str, settings: TenantSettings) -> None:
    """Make ``settings`` the tenant's overrides (replacing earlier ones) and switch its clock mode."""
    state.tenant_settings[org] = settings
    if settings.clock == "system":
        state.clocks.use_system_time(org)
    elif settings.clock == "manual":
        own = state.clocks.own(org)
        own.rebase(ManualClock(own.now()) if not isinstance(state.clock, ManualClock) else state.clock)


ROUTES = [
    route(
        "POST",
        "/_emulator/reset",
        reset,
        auth=False,
        body="emulator_reset",
        body_optional=True,
        status=204,
        summary="Reset everything, or one organisation",
    ),
    route(
        "POST",
        "/_emulator/tenants",
        create_tenant,
        auth=False,
        body="emulator_tenant_create",
        body_optional=True,
        status=201,
        summary="Mint a tenant: a copy of the fixture baseline",
    ),
]
