"""One chat turn: resolve chat and model, store the new messages, generate and bill the reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..clock import isoformat
from ..domain import chats as chats_domain
from ..domain import models as models_domain
from ..domain import usage as usage_domain
from ..errors import UnprocessableEntity
from ..ids import prefixed_id
from .generate import count_tokens, reply_text, split_pieces

if TYPE_CHECKING:
    from ..principal import Principal
    from ..state import EmulatorState


@dataclass(frozen=True)
class Turn:
    """The outcome of a chat turn, ready to be rendered as JSON or streamed."""

    chat_id: str
    message_id: str
    message: dict[str, Any]
    pieces: list[str]
    usage: dict[str, Any]
    model: dict[str, Any]


def run_turn(state: EmulatorState, principal: Principal, body: dict[str, Any]) -> Turn:
    """Create or continue a chat and produce the assistant's reply (stored before it is streamed).

    Raises NotFound for an unknown chat or model, UnprocessableEntity when no model can be chosen and
    InsufficientCredits (402) when the organisation cannot pay for the reply.
    """
    store, org_id, user_id = state.store, principal.org_id, principal.user_id
    chat = None
    if body.get("chatId"):
        chat = chats_domain.require_chat(store, org_id, user_id, body["chatId"])
    model_id = body.get("modelId") or (chat["modelId"] if chat else None)
    if not model_id:
        raise UnprocessableEntity(
            "modelId: required when chatId is not given.",
            extensions={"errors": [{"pointer": "/modelId", "detail": "field required"}]},
        )
    model = models_domain.require_model(store, org_id, model_id)
    billing = models_domain.effective(store, model)
    now = isoformat(state.clock.now())
    system_prompt = body.get("systemPrompt", body.get("system_prompt"))
    if chat is None:
        chat = chats_domain.chat_record(prefixed_id(state.rng, "chat"), org_id, user_id, model_id, now,
                                        system_prompt=system_prompt if system_prompt is not None else model.get("systemPrompt"),
                                        ephemeral=bool(body.get("ephemeral")))
        is_new = True
    else:
        is_new = False
        if system_prompt is not None:
            chat = {**chat, "systemPrompt": system_prompt}
    messages = list(chat["messages"])
    for item in body["messages"]:
        messages.append(chats_domain.message_record(
            prefixed_id(state.rng, "msg"), chat["id"], item["role"], item.get("content"), now,
            tokenCount=count_tokens(item.get("content")), toolCallId=item.get("toolCallId"),
            toolCalls=item.get("toolCalls"),
        ))
    history = [("system", chat["systemPrompt"])] if chat["systemPrompt"] else []
    history += [(m["role"], m["content"]) for m in messages]
    text = reply_text(state.config.seed, model_id, history, body.get("maxTokens"))
    pieces = split_pieces(text)
    input_tokens = sum(count_tokens(content) for _, content in history)
    multiplier = billing.get("creditMultiplier") or 1
    usage = usage_domain.token_usage(input_tokens, len(pieces), multiplier)
    credits = usage_domain.credits_for(usage["totalTokens"], multiplier)
    usage_domain.require_credits(store, state.organization(org_id), credits)

    message_id = prefixed_id(state.rng, "msg")
    assistant = chats_domain.message_record(message_id, chat["id"], "assistant", text, now,
                                            tokenCount=len(pieces), cost=usage["cost"], responseTimeMs=0)
    messages.append(assistant)
    chat = {**chat, "messages": messages, "updatedAt": now, "modelId": model_id}
    if is_new:
        store.insert(org_id, chats_domain.KIND, chat["id"], chat)
    else:
        store.replace(org_id, chats_domain.KIND, chat["id"], chat)
    usage_domain.record(store, org_id, model_id, usage, credits)
    return Turn(chat["id"], message_id, assistant, pieces, usage, model)


def set_status(state: EmulatorState, org_id: str, chat_id: str, status: str | None) -> None:
    """Mark a chat ``generating`` while its stream runs (``None`` when done); gone chats are ignored."""
    chat = state.store.get(org_id, chats_domain.KIND, chat_id)
    if chat is not None and chat["status"] != status:
        state.store.replace(org_id, chats_domain.KIND, chat_id, {**chat, "status": status})
