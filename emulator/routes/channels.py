"""Channels: multi-channel messaging endpoints (create, list, get, update, delete, pause, resume).

No scope is documented for channels; every operation requires ``org:admin`` (see docs/fidelity.md).
"""

from __future__ import annotations

from starlette.responses import Response

from ..context import RequestContext
from ..domain import channels as channels_domain
from ..pagination import whole_list
from ..params import Param
from ..responses import json_response, no_content
from ..routing import route
from .common import now_iso

SCOPE = "org:admin"


async def create_channel(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    channels_domain.check_references(store, org_id, ctx.json)
    channel_id = ctx.ids.prefixed("ch")
    record = channels_domain.channel_record(channel_id, org_id, ctx.json, now_iso(ctx))
    channels_domain.check_credentials(record)
    store.insert(org_id, channels_domain.KIND, channel_id, record)
    return json_response(channels_domain.render(record), status=201)


async def list_channels(ctx: RequestContext) -> Response:
    status = ctx.params.text("status")
    channel_type = ctx.params.text("channelType")
    collection = ctx.state.store.collection(ctx.org_id, channels_domain.KIND)
    items = [channels_domain.render(c) for c in collection.values() if channels_domain.matches(c, status, channel_type)]
    return json_response(whole_list(items))


async def get_channel(ctx: RequestContext) -> Response:
    channel = channels_domain.require_channel(ctx.state.store, ctx.org_id, ctx.path_params["channel_id"])
    return json_response(channels_domain.render(channel))


async def update_channel(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    channel = channels_domain.require_channel(store, org_id, ctx.path_params["channel_id"])
    channels_domain.check_references(store, org_id, ctx.json)
    updated = channels_domain.updated_record(channel, ctx.json, now_iso(ctx))
    channels_domain.check_credentials(updated)
    store.replace(org_id, channels_domain.KIND, channel["id"], updated)
    return json_response(channels_domain.render(updated))


async def delete_channel(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    channel = channels_domain.require_channel(store, org_id, ctx.path_params["channel_id"])
    store.remove(org_id, channels_domain.KIND, channel["id"])
    return no_content()


async def _transition(ctx: RequestContext, action: str) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    channel = channels_domain.require_channel(store, org_id, ctx.path_params["channel_id"])
    updated = channels_domain.transition(channel, action, now_iso(ctx))
    store.replace(org_id, channels_domain.KIND, channel["id"], updated)
    return json_response(channels_domain.render(updated))


async def pause_channel(ctx: RequestContext) -> Response:
    return await _transition(ctx, "pause")


async def resume_channel(ctx: RequestContext) -> Response:
    return await _transition(ctx, "resume")


ROUTES = [
    route(
        "POST",
        "/v1/channels",
        create_channel,
        scope=SCOPE,
        body="channel_create",
        status=201,
        response="channel",
        summary="Create a channel",
    ),
    route(
        "GET",
        "/v1/channels",
        list_channels,
        scope=SCOPE,
        response="channel_list",
        summary="List channels",
        query=(Param("status", enum=channels_domain.STATUSES), Param("channelType", enum=channels_domain.CHANNEL_TYPES)),
    ),
    route(
        "GET",
        "/v1/channels/{channel_id}",
        get_channel,
        scope=SCOPE,
        response="channel",
        documented=False,
        summary="Get a channel",
    ),
    route(
        "PATCH",
        "/v1/channels/{channel_id}",
        update_channel,
        scope=SCOPE,
        body="channel_update",
        response="channel",
        documented=False,
        summary="Update a channel",
    ),
    route(
        "DELETE",
        "/v1/channels/{channel_id}",
        delete_channel,
        scope=SCOPE,
        status=204,
        documented=False,
        summary="Delete a channel",
    ),
    route("POST", "/v1/channels/{channel_id}/pause", pause_channel, scope=SCOPE, response="channel", summary="Pause a channel"),
    route(
        "POST",
        "/v1/channels/{channel_id}/resume",
        resume_channel,
        scope=SCOPE,
        response="channel",
        documented=False,
        summary="Resume a channel",
    ),
]
