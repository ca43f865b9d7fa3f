"""One chat turn: resolve chat and model, store the new messages, generate and bill the reply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ..clock import isoformat
from ..domain import artifacts as artifacts_domain
from ..domain import chats as chats_domain
from ..domain import models as models_domain
from ..domain import plans as plans_domain
from ..domain import usage as usage_domain
from ..errors import invalid
from ..ids import Ids
from .generate import artifact_text, conversation_rng, count_tokens, prompt_tokens, title_text
from .reply import FinishReason, ScriptedReply, compose_reply
from .sources import candidate_files, pick_sources

if TYPE_CHECKING:
    from ..principal import Principal
    from ..state import EmulatorState


class Turn(NamedTuple):
    """The outcome of a chat turn, ready to be rendered as JSON or streamed.

    Immutable like a frozen dataclass, built in a quarter of the time (one per chat turn)."""

    chat_id: str
    message_id: str
    message: dict[str, Any]
    pieces: list[str]
    usage: dict[str, Any]
    model: dict[str, Any]
    reasoning: Sequence[str] = ()
    tool_calls: Sequence[dict[str, Any]] = ()
    sources: Sequence[dict[str, Any]] = ()
    artifact: dict[str, Any] | None = None
    finish_reason: FinishReason = "stop"


def check_tool_results(stored: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    """Every ``tool`` message must answer a tool call of this chat (stored or earlier in ``new``); 422 otherwise."""
    for item in new:
        if item["role"] == "tool":
            break
    else:  # no tool message: nothing to check (the usual turn)
        return
    known = {call.get("id") for m in stored for call in (m.get("toolCalls") or ()) if isinstance(call, dict)}
    for index, item in enumerate(new):
        if item["role"] == "assistant":
            known |= {call.get("id") for call in (item.get("toolCalls") or ()) if isinstance(call, dict)}
        elif item["role"] == "tool":
            call_id = item.get("toolCallId")
            if not call_id:
                raise invalid(f"/messages/{index}/toolCallId", "required when role is 'tool'")
            if call_id not in known:
                raise invalid(f"/messages/{index}/toolCallId", f"{call_id!r} does not reference a tool call of this chat")


def run_turn(
    state: EmulatorState, principal: Principal, body: dict[str, Any], ids: Ids, scripted: ScriptedReply | None = None
) -> Turn:
    """Create or continue a chat and produce the assistant's reply (stored before it is streamed).

    ``scripted`` (a :class:`~emulator.chat.reply.ScriptedReply` from a scenario) replaces
    the generated reply; it is stored, billed and streamed like any other.

    Raises NotFound for an unknown chat or model, UnprocessableEntity for a disabled model, a missing
    model, unusable tools/responseFormat or a tool result answering no known call, Forbidden (403,
    ``code: premium_model_requires_upgrade``) for a premium model on a plan without premium access, and
    InsufficientCredits (402) when the organisation cannot pay for the reply.
    """
    store, org_id, user_id = state.store, principal.org_id, principal.user_id
    chat = None
    if body.get("chatId"):
        chat = chats_domain.require_chat(store, org_id, user_id, body["chatId"])
    model_id = body.get("modelId") or (chat["modelId"] if chat else None)
    if not model_id:
        raise invalid("/modelId", "field required", message="required when chatId is not given.")
    model = models_domain.require_model(store, org_id, model_id)
    if not model.get("enabled", True):
        raise invalid("/modelId", f"model {model_id} is disabled")
    org = plans_domain.organization(state, org_id)
    billing = models_domain.effective(store, model)
    plans_domain.require_tier(org, model, billing)
    instant = state.clock_for(org_id).now()
    now = isoformat(instant)
    system_prompt = body.get("systemPrompt", body.get("system_prompt"))
    if chat is None:
        chat = chats_domain.chat_record(
            ids.prefixed("chat"),
            org_id,
            user_id,
            model_id,
            now,
            system_prompt=system_prompt if system_prompt is not None else model.get("systemPrompt"),
            ephemeral=bool(body.get("ephemeral")),
        )
        is_new = True
    else:
        is_new = False
        if system_prompt is not None:
            chat = {**chat, "systemPrompt": system_prompt}
    check_tool_results(chat["messages"], body["messages"])
    messages = list(chat["messages"])
    prompt = chat["systemPrompt"]
    history = [("system", prompt)] if prompt else []
    # the tokens of what came before; the new messages' are counted once, for their tokenCount
    input_tokens = prompt_tokens(prompt) if prompt else 0
    for m in messages:  # loops, not comprehensions: each of those costs a frame of its own (3.11)
        history.append((m["role"], m["content"]))
        input_tokens += count_tokens(m["content"])
    for item in body["messages"]:
        content = item.get("content")
        tokens = count_tokens(content)
        input_tokens += tokens
        messages.append(
            chats_domain.message_record(
                ids.prefixed("msg"),
                chat["id"],
                item["role"],
                content,
                now,
                tokenCount=tokens,
                toolCallId=item.get("toolCallId"),
                toolCalls=item.get("toolCalls"),
            )
        )
        history.append((item["role"], content))
    reply = compose_reply(state.config.seed, model, history, body, lambda: ids.prefixed("call"), scripted)
    candidates = candidate_files(state, org_id, model_id)
    sources = (
        pick_sources(candidates, conversation_rng(state.config.seed, model_id, history, salt="sources")) if candidates else []
    )

    message_id = ids.prefixed("msg")
    artifact = None
    if body.get("enableArtifacts") and reply.content is not None and not reply.tool_calls:
        artifact = _artifact(state, ids, org_id, chat["id"], message_id, model_id, history, now)

    reasoning_tokens = len(reply.reasoning)
    output_tokens = (
        len(reply.pieces)
        + reasoning_tokens
        + (sum(count_tokens(c["function"]["arguments"]) for c in reply.tool_calls) if reply.tool_calls else 0)
        + (count_tokens(artifact["content"]) if artifact else 0)
    )
    multiplier = billing.get("creditMultiplier") or 1
    usage = usage_domain.token_usage(input_tokens, output_tokens, multiplier)
    if reasoning_tokens:
        usage["reasoningTokens"] = reasoning_tokens
    credits = usage_domain.credits_for(usage["totalTokens"], multiplier)
    balance = usage_domain.require_credits(store, org, credits, instant)

    assistant = chats_domain.message_record(
        message_id,
        chat["id"],
        "assistant",
        reply.content,
        now,
        tokenCount=output_tokens,
        cost=usage["cost"],
        responseTimeMs=0,
        toolCalls=reply.tool_calls or None,
    )
    if sources:
        assistant["sources"] = sources
    if reply.reasoning:
        assistant["reasoning"] = "".join(reply.reasoning)
    messages.append(assistant)
    if is_new:  # not stored yet: its messages are filled in (updatedAt and modelId are already these)
        chat["messages"] = messages
        store.insert(org_id, chats_domain.KIND, chat["id"], chat)
        if chats_domain.is_listed(chat):
            chats_domain.adjust_listed(store, org_id, user_id, +1)
    else:
        chat = {**chat, "messages": messages, "updatedAt": now, "modelId": model_id}
        store.replace(org_id, chats_domain.KIND, chat["id"], chat)
    if artifact is not None:
        store.insert(org_id, artifacts_domain.KIND, artifact["id"], artifact)
    usage_domain.record(store, org, model_id, usage, credits, balance)
    return Turn(
        chat["id"],
        message_id,
        assistant,
        reply.pieces,
        usage,
        model,
        reply.reasoning,
        reply.tool_calls,
        sources,
        artifact,
        reply.finish_reason,
    )


def _artifact(
    state: EmulatorState,
    ids: Ids,
    org_id: str,
    chat_id: str,
    message_id: str,
    model_id: str,
    history: list[tuple[str, str | None]],
    now: str,
) -> dict[str, Any]:
    """The markdown artifact of this turn: titled after the conversation, versioned per identifier."""
    title = title_text([content for role, content in history if role == "user" and content][:1])
    identifier = artifacts_domain.identifier_for(title)
    version = artifacts_domain.next_version(state.store, org_id, chat_id, identifier)
    content = artifact_text(state.config.seed, model_id, history, title)
    return artifacts_domain.artifact_record(
        ids.prefixed("art"),
        chat_id,
        message_id,
        identifier=identifier,
        title=title,
        content=content,
        version=version,
        now=now,
    )


def set_status(state: EmulatorState, org_id: str, chat_id: str, status: str | None) -> None:
    """Mark a chat ``generating`` while its stream runs (``None`` when done); gone chats are ignored."""
    chat = state.store.get(org_id, chats_domain.KIND, chat_id)
    if chat is not None and chat["status"] != status:
        state.store.replace(org_id, chats_domain.KIND, chat_id, {**chat, "status": status})
