"""The event sequences of a streamed chat turn, in the two wire formats.

Both builders return ``list[Event]`` (see :mod:`emulator.chat.stream`); framing and pacing happen in
:func:`emulator.chat.stream.deliver`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..responses import dumps
from .generate import split_pieces
from .sse import DONE, frame, frames
from .tools import fragments

if TYPE_CHECKING:
    from .stream import Event
    from .turn import Turn


def native_events(turn: Turn) -> list[Event]:
    """``data: {"id","delta","finished"...}`` chunks, a final chunk with usage, then ``[DONE]``.

    Order: a first chunk carrying ``sources`` (when there are any), ``reasoning`` deltas, text
    ``delta``s, then ``toolCalls`` (a header chunk per call, then ``function.arguments`` fragments).
    """
    base = {"id": turn.chat_id, "messageId": turn.message_id}
    events: list[Event] = []
    if turn.sources:
        events.append(("meta", {**base, "delta": "", "sources": turn.sources, "finished": False}))
    for piece in turn.reasoning:
        events.append(("delta", {**base, "delta": "", "reasoning": piece, "finished": False}))
    for piece in turn.pieces:
        events.append(("delta", {**base, "delta": piece, "finished": False}))  # native_stream's template
    for index, call in enumerate(turn.tool_calls):
        header = {"index": index, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"]}}
        events.append(("meta", {**base, "delta": "", "toolCalls": [header], "finished": False}))
        for fragment in fragments(call["function"]["arguments"]):
            delta = {"index": index, "function": {"arguments": fragment}}
            events.append(("tool_delta", {**base, "delta": "", "toolCalls": [delta], "finished": False}))
    events.append(("final", _native_final(base, turn)))
    events.append(("done", None))
    return events


def _native_final(base: dict[str, str], turn: Turn) -> dict[str, Any]:
    return {**base, "delta": "", "finished": True, "usage": turn.usage}


def native_stream(turn: Turn) -> bytes:
    """The framed :func:`native_events` of a stream sent at once, joined (the same bytes), made faster
    for a plain text reply: each text delta is its piece's JSON string between two constant byte strings,
    and when no piece needs an escape that string is the piece's UTF-8 in quotes (one ``join``)."""
    if turn.sources or turn.reasoning or turn.tool_calls:
        return b"".join(frames(native_events(turn)))
    base = {"id": turn.chat_id, "messageId": turn.message_id}
    closing = frame(_native_final(base, turn)) + DONE
    pieces = turn.pieces
    if not pieces:
        return closing
    head = b"data: " + dumps(base)[:-1] + b',"delta":'
    tail = b',"finished":false}\n\n'
    text = "".join(pieces)
    # JSON escapes quotes, backslashes and control characters; a printable text has neither those nor
    # the lone surrogates dumps() escapes
    if text.isprintable() and '"' not in text and "\\" not in text:
        quoted_head, quoted_tail = head + b'"', b'"' + tail
        return quoted_head + (quoted_tail + quoted_head).join([piece.encode() for piece in pieces]) + quoted_tail + closing
    return b"".join([head + dumps(piece) + tail for piece in pieces]) + closing


def ai_sdk_events(turn: Turn) -> list[Event]:
    """The Vercel AI SDK UI message stream v1 sequence the official client consumes.

    Order: start, start-step, reasoning-*, source-document, text-*, data-artifact-*, tool-input-*,
    finish-step, finish (``finishReason`` ``tool-calls`` when the reply is a tool call).
    """
    events: list[Event] = [
        ("meta", {"type": "start", "messageId": turn.message_id, "messageMetadata": {"chatId": turn.chat_id}}),
        ("meta", {"type": "start-step"}),
    ]
    if turn.reasoning:
        reasoning_id = f"reasoning_{turn.message_id}"
        events.append(("meta", {"type": "reasoning-start", "id": reasoning_id}))
        for piece in turn.reasoning:
            events.append(("delta", {"type": "reasoning-delta", "id": reasoning_id, "delta": piece}))
        events.append(("meta", {"type": "reasoning-end", "id": reasoning_id}))
    for source in turn.sources:
        events.append(
            (
                "meta",
                {"type": "source-document", "sourceId": source["sourceId"], "mediaType": "file", "title": source["filename"]},
            )
        )
    if turn.pieces:
        text_id = f"text_{turn.message_id}"
        events.append(("meta", {"type": "text-start", "id": text_id}))
        for piece in turn.pieces:
            events.append(("delta", {"type": "text-delta", "id": text_id, "delta": piece}))
        events.append(("final", {"type": "text-end", "id": text_id}))
    if turn.artifact is not None:
        events.extend(_artifact_events(turn.artifact))
    for call in turn.tool_calls:
        name, arguments = call["function"]["name"], call["function"]["arguments"]
        events.append(("meta", {"type": "tool-input-start", "toolCallId": call["id"], "toolName": name}))
        for fragment in fragments(arguments):
            events.append(("tool_delta", {"type": "tool-input-delta", "toolCallId": call["id"], "inputTextDelta": fragment}))
        parsed = json.loads(arguments) if arguments else {}
        events.append(
            (
                "final",
                {"type": "tool-input-available", "toolCallId": call["id"], "toolName": name, "input": parsed, "args": parsed},
            )
        )
    events.append(("final", {"type": "finish-step"}))
    events.append(
        (
            "final",
            {
                "type": "finish",
                "finishReason": turn.finish_reason,
                "messageId": turn.message_id,
                "messageMetadata": {"chatId": turn.chat_id, "usage": turn.usage},
            },
        )
    )
    events.append(("done", None))
    return events


def _artifact_events(artifact: dict[str, Any]) -> list[Event]:
    """``data-artifact-start`` / ``-delta`` (content pieces) / ``-end`` for one artifact."""
    start = {key: artifact[key] for key in ("id", "identifier", "title", "type", "language")}
    events: list[Event] = [("meta", {"type": "data-artifact-start", "data": start})]
    for piece in split_pieces(artifact["content"]):
        events.append(("delta", {"type": "data-artifact-delta", "data": {"id": artifact["id"], "contentDelta": piece}}))
    events.append(
        (
            "final",
            {
                "type": "data-artifact-end",
                "data": {"id": artifact["id"], "identifier": artifact["identifier"], "version": artifact["version"]},
            },
        )
    )
    return events


def error_event(events: list[Event], code: str, message: str) -> dict[str, object]:
    """The in-band error chunk in the wire format of ``events`` (used by stream faults).

    AI-SDK events all carry a ``type``: ``{"type":"error","errorText":message}``. Native chunks carry
    the chat ``id``: ``{"id","messageId","delta":"","finished":true,"error":{"code","message"}}``.
    """
    first = next((payload for _, payload in events if payload is not None), None) or {}
    if "type" in first:
        return {"type": "error", "errorText": message}
    chunk: dict[str, object] = {"id": first.get("id", "")}
    if "messageId" in first:
        chunk["messageId"] = first["messageId"]
    return {**chunk, "delta": "", "finished": True, "error": {"code": code, "message": message}}
