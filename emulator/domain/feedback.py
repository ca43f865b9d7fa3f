"""Ratings of assistant messages and of their RAG sources (upserted per message, chunk and user)."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, NotFound, UnprocessableEntity
from ..store import Record, Store

MESSAGE_KIND = "message_feedback"
SOURCE_KIND = "source_feedback"


def require_message(chat: Record, message_id: str, bad_input: type[ApiError] = UnprocessableEntity) -> Record:
    """The chat's message ``message_id`` (404 otherwise); only assistant messages can be rated
    (``bad_input``: 422, or 400 for source feedback, whose reference says "400 or 404 on bad input")."""
    messages: list[Record] = chat["messages"]
    for message in messages:
        if message["id"] == message_id:
            if message["role"] != "assistant":
                raise bad_input(
                    f"message_id: only assistant messages can be rated ({message_id} is a {message['role']} message).",
                    extensions={"errors": [{"pointer": "#/path/message_id", "detail": "not an assistant message"}]},
                )
            return message
    raise NotFound(f"Message not found: {message_id}")


def upsert(store: Store, org_id: str, kind: str, key: str, fields: dict[str, Any], now: str) -> Record:
    """Insert the rating, or replace the existing one for the same key (keeping ``createdAt``)."""
    current = store.get(org_id, kind, key)
    if current is None:
        record = {**fields, "createdAt": now, "updatedAt": now}
        store.insert(org_id, kind, key, record)
        return record
    record = {**fields, "createdAt": current["createdAt"], "updatedAt": now}
    store.replace(org_id, kind, key, record)
    return record


def message_feedback(
    store: Store, org_id: str, chat_id: str, message_id: str, user_id: str, body: dict[str, Any], now: str
) -> Record:
    fields = {
        "chatId": chat_id,
        "messageId": message_id,
        "userId": user_id,
        "rating": body["rating"],
        "comment": body.get("comment"),
    }
    return upsert(store, org_id, MESSAGE_KIND, f"{message_id}/{user_id}", fields, now)


def source_feedback(
    store: Store, org_id: str, chat_id: str, message: Record, user_id: str, body: dict[str, Any], now: str
) -> Record:
    """Rate one of the message's sources; a ``chunkId`` the message did not cite is a 404."""
    chunk_id = body["chunkId"]
    if not any(source["chunkId"] == chunk_id for source in message.get("sources") or ()):
        raise NotFound(f"Source chunk {chunk_id} is not cited by message {message['id']}.")
    fields = {"chatId": chat_id, "messageId": message["id"], "chunkId": chunk_id, "userId": user_id, "rating": body["rating"]}
    return upsert(store, org_id, SOURCE_KIND, f"{message['id']}/{chunk_id}/{user_id}", fields, now)
