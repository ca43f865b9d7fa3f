"""Chat and message records."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ..compact import Layout
from ..errors import NotFound
from ..store import Record, Store

KIND = "chats"

#: How the store keeps chats (one per conversation, the kind that grows with traffic): the keys of
#: :func:`chat_record` and :func:`message_record` in their order (see :mod:`emulator.compact`).
MESSAGE_LAYOUT = Layout(
    ("id", "chatId", "role", "content", "createdAt", "tokenCount", "cost", "responseTimeMs", "metadata")
    + ("toolCallId", "toolCalls")
)
CHAT_LAYOUT = Layout(
    (
        "id",
        "organizationId",
        "modelId",
        "createdBy",
        "title",
        "systemPrompt",
        "metadata",
        "messages",
        "documentsCount",
        "visibility",
        "sharedWith",
        "deletedAt",
        "deletedBy",
        "source",
        "sourceDetail",
        "status",
        "lastError",
        "lastErrorAt",
        "ephemeral",
        "createdAt",
        "updatedAt",
    ),
    {"messages": MESSAGE_LAYOUT},
    shared=("organizationId", "modelId", "createdBy", "systemPrompt"),
)


#: A new chat's fields before it has any, read-only: :func:`chat_record` copies it (a dict's copy takes its
#: key table whole; a 21-key literal inserts key by key, ~2x the instructions) and fills in the rest.
_NEW_CHAT: MappingProxyType[str, Any] = MappingProxyType(
    {
        "id": None,
        "organizationId": None,
        "modelId": None,
        "createdBy": None,
        "title": None,
        "systemPrompt": None,
        "metadata": None,
        "messages": None,
        "documentsCount": 0,
        "visibility": "private",
        "sharedWith": None,
        "deletedAt": None,
        "deletedBy": None,
        "source": "api",
        "sourceDetail": None,
        "status": None,
        "lastError": None,
        "lastErrorAt": None,
        "ephemeral": False,
        "createdAt": None,
        "updatedAt": None,
    }
)


def chat_record(
    chat_id: str, org_id: str, user_id: str, model_id: str, now: str, *, system_prompt: str | None, ephemeral: bool
) -> Record:
    """A new chat with no messages, created and updated ``now``."""
    chat = _NEW_CHAT.copy()
    chat["id"] = chat_id
    chat["organizationId"] = org_id
    chat["modelId"] = model_id
    chat["createdBy"] = user_id
    chat["systemPrompt"] = system_prompt
    chat["messages"] = []
    chat["ephemeral"] = ephemeral
    chat["createdAt"] = chat["updatedAt"] = now
    return chat


def message_record(
    message_id: str,
    chat_id: str,
    role: str,
    content: str | None,
    now: str,
    *,
    tokenCount: int | None = None,  # noqa: N803 (named as the record's keys)
    cost: str | None = None,
    responseTimeMs: int | None = None,  # noqa: N803
    toolCallId: str | None = None,  # noqa: N803
    toolCalls: list[dict[str, Any]] | None = None,  # noqa: N803
) -> Record:
    return {
        "id": message_id,
        "chatId": chat_id,
        "role": role,
        "content": content,
        "createdAt": now,
        "tokenCount": tokenCount,
        "cost": cost,
        "responseTimeMs": responseTimeMs,
        "metadata": {"source": "api"},
        "toolCallId": toolCallId,
        "toolCalls": toolCalls,
    }


def require_chat(store: Store, org_id: str, user_id: str, chat_id: str) -> Record:
    """The caller's chat; another user's or organisation's chat is a 404, like a missing one."""
    chat = store.get(org_id, KIND, chat_id)
    if chat is None or chat["createdBy"] != user_id:
        raise NotFound(f"Chat not found: {chat_id}")
    return chat


def render_chat(chat: Record, model: Record | None = None) -> dict[str, Any]:
    """``ChatOut``; ``model`` (the chat's model, absent once it was deleted) as the Get Chat sample shows."""
    out = {key: value for key, value in chat.items() if key != "ephemeral"}
    out["messages"] = list(chat["messages"])
    if model is not None:
        out["model"] = model
    return out


def render_summary(chat: Record, model: Record | None = None) -> dict[str, Any]:
    """``ChatSummaryOut``: the list view (``status`` is ``active`` when idle) with ``model`` as the sample shows."""
    out = {
        "createdAt": chat["createdAt"],
        "updatedAt": chat["updatedAt"],
        "organizationId": chat["organizationId"],
        "id": chat["id"],
        "modelId": chat["modelId"],
        "title": chat["title"],
        "status": chat["status"] or "active",
        "deletedAt": chat["deletedAt"],
    }
    if model is not None:
        out["model"] = model
    return out


COUNT_KIND = "chat_counts"  # per user: how many chats GET /v1/chats lists (kept so totalCount is O(1))


def is_listed(chat: Record) -> bool:
    return not chat["ephemeral"]


def listed_count(store: Store, org_id: str, user_id: str) -> int:
    record = store.get(org_id, COUNT_KIND, user_id)
    return 0 if record is None else int(record["count"])


def adjust_listed(store: Store, org_id: str, user_id: str, delta: int) -> None:
    """Keep the per-user count of listed chats in step with inserts and deletes."""
    record = store.get(org_id, COUNT_KIND, user_id)
    if record is None:
        store.insert(org_id, COUNT_KIND, user_id, {"count": delta})
    else:
        store.replace(org_id, COUNT_KIND, user_id, {"count": int(record["count"]) + delta})
