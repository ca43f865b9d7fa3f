"""Chats: create/continue (JSON or SSE), list, get, update, delete."""

from __future__ import annotations

from starlette.responses import Response, StreamingResponse

from ..chat.events import ai_sdk_events, native_events
from ..chat.stream import StreamPlan, deliver
from ..chat.turn import run_turn, set_status
from ..context import RequestContext
from ..domain import chats as chats_domain
from ..domain import models as models_domain
from ..pagination import paginate
from ..responses import json_response, no_content
from ..routing import route
from .common import expand, now_iso

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def create_chat(ctx: RequestContext) -> Response:
    principal = ctx.principal
    assert principal is not None
    turn = run_turn(ctx.state, principal, ctx.json)
    headers = {"X-Chat-Id": turn.chat_id}
    if not ctx.json.get("stream"):
        return json_response({"id": turn.chat_id, "message": turn.message, "usage": turn.usage}, headers=headers)
    ai_sdk = ctx.headers.get("x-stream-format", "").lower() == "ai-sdk"
    events = ai_sdk_events(turn) if ai_sdk else native_events(turn)
    if ai_sdk:
        headers["x-vercel-ai-ui-message-stream"] = "v1"
    interval = ctx.state.config.stream_token_interval
    plan = ctx.directives.get("stream_plan") or StreamPlan(token_interval=interval, first_token_delay=interval)
    state, org_id = ctx.state, principal.org_id
    set_status(state, org_id, turn.chat_id, "generating")
    body = deliver(events, state.clock, plan, on_close=lambda: set_status(state, org_id, turn.chat_id, None))
    return StreamingResponse(body, media_type="text/event-stream", headers={**STREAM_HEADERS, **headers})


async def list_chats(ctx: RequestContext) -> Response:
    principal = ctx.principal
    assert principal is not None
    store, org_id, user_id = ctx.state.store, principal.org_id, principal.user_id
    with_model = "model" in expand(ctx)

    def render(chat: dict[str, object]) -> dict[str, object]:
        model = models_domain.find_model(store, org_id, str(chat["modelId"])) if with_model else None
        return chats_domain.render_summary(chat, model)

    page = paginate(
        store.collection(org_id, chats_domain.KIND), ctx.query, ctx.state.secret,
        identity=(org_id, "chats", user_id), render=render,
        predicate=lambda chat: chat["createdBy"] == user_id and not chat["ephemeral"],
        total_count=True,
    )
    return json_response(page)


async def get_chat(ctx: RequestContext) -> Response:
    principal = ctx.principal
    assert principal is not None
    store = ctx.state.store
    chat = chats_domain.require_chat(store, principal.org_id, principal.user_id, ctx.path_params["chat_id"])
    model = models_domain.find_model(store, principal.org_id, chat["modelId"]) if "model" in expand(ctx) else None
    return json_response(chats_domain.render_chat(chat, model))


async def update_chat(ctx: RequestContext) -> Response:
    principal = ctx.principal
    assert principal is not None
    store = ctx.state.store
    chat = chats_domain.require_chat(store, principal.org_id, principal.user_id, ctx.path_params["chat_id"])
    changes = {key: ctx.json[key] for key in ("title", "systemPrompt", "metadata") if key in ctx.json}
    updated = {**chat, **changes, "updatedAt": now_iso(ctx)}
    store.replace(principal.org_id, chats_domain.KIND, chat["id"], updated)
    out = chats_domain.render_chat(updated)
    out["messages"] = []  # the documented update response carries no history
    return json_response(out)


async def delete_chat(ctx: RequestContext) -> Response:
    principal = ctx.principal
    assert principal is not None
    store = ctx.state.store
    chat = chats_domain.require_chat(store, principal.org_id, principal.user_id, ctx.path_params["chat_id"])
    store.remove(principal.org_id, chats_domain.KIND, chat["id"])
    return no_content()


ROUTES = [
    route("POST", "/v1/chats", create_chat, scope="chat:invoke", body="chat_create", idempotent=True,
          summary="Create or Continue Chat"),
    route("GET", "/v1/chats", list_chats, scope="chat:read", summary="List Chats"),
    route("GET", "/v1/chats/{chat_id}", get_chat, scope="chat:read", summary="Get Chat"),
    route("PATCH", "/v1/chats/{chat_id}", update_chat, scope="chat:write", body="chat_update", idempotent=True,
          summary="Update Chat"),
    route("DELETE", "/v1/chats/{chat_id}", delete_chat, scope="chat:write", idempotent=True, summary="Delete Chat"),
]
