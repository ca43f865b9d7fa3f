"""Chats: create/continue (JSON or SSE), list, get, update, delete."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response, StreamingResponse

from ..chat.events import ai_sdk_events, native_events, native_stream
from ..chat.generate import count_tokens, title_text
from ..chat.sse import frames
from ..chat.stream import UNPACED, StreamPlan, deliver
from ..chat.turn import run_turn, set_status
from ..context import RequestContext
from ..domain import artifacts as artifacts_domain
from ..domain import chats as chats_domain
from ..domain import feedback as feedback_domain
from ..domain import models as models_domain
from ..domain import usage as usage_domain
from ..errors import BadRequest
from ..faults import connection_from_scope
from ..pagination import paginate
from ..params import PAGE, expansions
from ..responses import EventStream, json_response, no_content
from ..routing import route
from .common import now_iso

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def create_chat(ctx: RequestContext) -> Response:
    principal = ctx.principal
    assert principal is not None
    turn = run_turn(ctx.state, principal, ctx.json, ctx.ids, scripted=ctx.directives.reply)
    if not ctx.json.get("stream"):
        reply = {"id": turn.chat_id, "message": turn.message, "usage": turn.usage}
        chat_id = turn.chat_id  # an id is printable (a fixture's could hold anything: then it is searched)
        return json_response(reply, raw=((b"x-chat-id", chat_id.encode()),), vetted=chat_id.isprintable())
    headers = {"X-Chat-Id": turn.chat_id}
    ai_sdk = ctx.headers.get("x-stream-format", "").lower() == "ai-sdk"
    if ai_sdk:
        headers["x-vercel-ai-ui-message-stream"] = "v1"
    interval = ctx.state.config.stream_token_interval
    plan = ctx.directives.stream_plan
    if plan is None:
        plan = StreamPlan(token_interval=interval, first_token_delay=interval) if interval else UNPACED
    state, org_id = ctx.state, principal.org_id
    set_status(state, org_id, turn.chat_id, "generating")
    headers = {**STREAM_HEADERS, **headers}

    def on_close() -> None:
        set_status(state, org_id, turn.chat_id, None)

    if plan.immediate:  # nothing to wait for between events: all of them in one body message
        events = b"".join(frames(ai_sdk_events(turn))) if ai_sdk else native_stream(turn)
        return EventStream(events, headers, on_close)
    clock = ctx.clock
    body = deliver(
        ai_sdk_events(turn) if ai_sdk else native_events(turn),
        clock,
        plan,
        on_close=on_close,
        # a scenario's first-token delay is a scripted wait (held on a manual clock); config pacing is not
        wait=(lambda seconds: state.wait(clock, seconds)) if ctx.directives.stream_plan is not None else None,
        connection=connection_from_scope(ctx.scope),
    )
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


async def list_chats(ctx: RequestContext) -> Response:
    principal = ctx.principal
    assert principal is not None
    store, org_id, user_id = ctx.state.store, principal.org_id, principal.user_id

    def render(chat: dict[str, object]) -> dict[str, object]:
        # the List Chats sample shows every summary with its `model`: embedded with or without expand[]=model
        return chats_domain.render_summary(chat, models_domain.find_model(store, org_id, str(chat["modelId"])))

    page = paginate(
        store.collection(org_id, chats_domain.KIND),
        ctx.params,
        ctx.state.secret,
        identity=(org_id, "chats", user_id),
        render=render,
        predicate=lambda chat: chat["createdBy"] == user_id and chats_domain.is_listed(chat),
        total=chats_domain.listed_count(store, org_id, user_id),
    )
    return json_response(page)


async def get_chat(ctx: RequestContext) -> Response:
    principal = ctx.principal
    assert principal is not None
    store = ctx.state.store
    chat = chats_domain.require_chat(store, principal.org_id, principal.user_id, ctx.path_params["chat_id"])
    model = models_domain.find_model(store, principal.org_id, chat["modelId"])  # the Get Chat sample shows it
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
    if chats_domain.is_listed(chat):
        chats_domain.adjust_listed(store, principal.org_id, principal.user_id, -1)
    artifacts_domain.drop_chat(store, principal.org_id, chat["id"])
    return no_content()


def _own_chat(ctx: RequestContext) -> dict[str, Any]:
    principal = ctx.principal
    assert principal is not None
    return chats_domain.require_chat(ctx.state.store, principal.org_id, principal.user_id, ctx.path_params["chat_id"])


_TITLE_CONTEXT = {
    "auto": lambda msgs: [m for m in msgs if m["role"] == "user"][:1],
    "last_exchange": lambda msgs: (
        [m for m in msgs if m["role"] == "user"][-1:] + [m for m in msgs if m["role"] == "assistant"][-1:]
    ),
    # user turns first: they name the topic; assistant turns only fill up the six words
    "full_conversation": lambda msgs: [m for m in msgs if m["role"] == "user"] + [m for m in msgs if m["role"] == "assistant"],
}


async def generate_title(ctx: RequestContext) -> Response:
    """Title the chat from its messages (deterministic), save it and bill the tokens to the chat's model."""
    state, org_id = ctx.state, ctx.org_id
    chat = _own_chat(ctx)
    used = _TITLE_CONTEXT[(ctx.json or {}).get("context") or "auto"](chat["messages"])
    contents = [m["content"] for m in used if m["content"]]
    title = title_text(contents)
    model = models_domain.find_model(state.store, org_id, chat["modelId"])
    multiplier = (models_domain.effective(state.store, model).get("creditMultiplier") if model else None) or 1
    usage = usage_domain.token_usage(sum(count_tokens(c) for c in contents), count_tokens(title), multiplier)
    credits = usage_domain.credits_for(usage["totalTokens"], multiplier)
    org, now = state.organization(org_id), ctx.clock.now()
    balance = usage_domain.require_credits(state.store, org, credits, now)
    state.store.replace(org_id, chats_domain.KIND, chat["id"], {**chat, "title": title, "updatedAt": now_iso(ctx)})
    usage_domain.record(state.store, org, chat["modelId"], usage, credits, balance)
    return json_response({"title": title, "usage": usage})


async def message_feedback(ctx: RequestContext) -> Response:
    principal = ctx.principal
    assert principal is not None
    chat = _own_chat(ctx)
    message = feedback_domain.require_message(chat, ctx.path_params["message_id"])
    record = feedback_domain.message_feedback(
        ctx.state.store, principal.org_id, chat["id"], message["id"], principal.user_id, ctx.json, now_iso(ctx)
    )
    return json_response(record)


async def source_feedback(ctx: RequestContext) -> Response:
    principal = ctx.principal
    assert principal is not None
    chat = _own_chat(ctx)
    message = feedback_domain.require_message(chat, ctx.path_params["message_id"], BadRequest)
    record = feedback_domain.source_feedback(
        ctx.state.store, principal.org_id, chat["id"], message, principal.user_id, ctx.json, now_iso(ctx)
    )
    return json_response(record)


async def list_artifacts(ctx: RequestContext) -> Response:
    chat = _own_chat(ctx)
    latest = artifacts_domain.latest_per_identifier(ctx.state.store, ctx.org_id, chat["id"])
    return json_response({"items": [artifacts_domain.render_item(a) for a in latest], "totalCount": len(latest)})


async def get_artifact(ctx: RequestContext) -> Response:
    chat = _own_chat(ctx)
    return json_response(
        artifacts_domain.require_artifact(ctx.state.store, ctx.org_id, chat["id"], ctx.path_params["artifact_id"])
    )


async def artifact_content(ctx: RequestContext) -> Response:
    chat = _own_chat(ctx)
    artifact = artifacts_domain.require_artifact(ctx.state.store, ctx.org_id, chat["id"], ctx.path_params["artifact_id"])
    disposition = f'attachment; filename="{artifacts_domain.filename_for(artifact)}"'
    return Response(
        artifact["content"].encode(),
        media_type=f"{artifact['type']}; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


ROUTES = [
    route(
        "POST",
        "/v1/chats",
        create_chat,
        scope="chat:invoke",
        body="chat_create",
        idempotent=True,
        response="chat_completion",
        summary="Create or Continue Chat",
    ),
    route(
        "GET",
        "/v1/chats",
        list_chats,
        scope="chat:read",
        response="chat_list",
        summary="List Chats",
        query=(*PAGE, expansions("model")),
    ),
    route(
        "GET",
        "/v1/chats/{chat_id}",
        get_chat,
        scope="chat:read",
        response="chat",
        summary="Get Chat",
        query=(expansions("model"),),
    ),
    route(
        "PATCH",
        "/v1/chats/{chat_id}",
        update_chat,
        scope="chat:write",
        body="chat_update",
        idempotent=True,
        response="chat",
        summary="Update Chat",
    ),
    route("DELETE", "/v1/chats/{chat_id}", delete_chat, scope="chat:write", idempotent=True, status=204, summary="Delete Chat"),
    route(
        "POST",
        "/v1/chats/{chat_id}/title",
        generate_title,
        scope="chat:write",
        body="chat_title",
        body_optional=True,
        idempotent=True,
        response="chat_title",
        documented=False,
        summary="Generate Chat Title",
    ),
    route(
        "POST",
        "/v1/chats/{chat_id}/messages/{message_id}/feedback",
        message_feedback,
        scope="chat:write",
        body="message_feedback",
        response="message_feedback",
        documented=False,
        summary="Message Feedback",
    ),
    route(
        "POST",
        "/v1/chats/{chat_id}/messages/{message_id}/source-feedback",
        source_feedback,
        scope="chat:write",
        body="source_feedback",
        invalid_body_status=400,  # the reference: "400 or 404 on bad input"
        response="source_feedback",
        documented=False,
        summary="Source Feedback",
    ),
    route(
        "GET",
        "/v1/chats/{chat_id}/artifacts",
        list_artifacts,
        scope="chat:read",
        response="artifact_list",
        documented=False,
        summary="List Chat Artifacts",
    ),
    route(
        "GET",
        "/v1/chats/{chat_id}/artifacts/{artifact_id}",
        get_artifact,
        scope="chat:read",
        response="artifact",
        documented=False,
        summary="Get Artifact",
    ),
    route(
        "GET",
        "/v1/chats/{chat_id}/artifacts/{artifact_id}/content",
        artifact_content,
        scope="chat:read",
        documented=False,
        summary="Artifact Content",
    ),
]
