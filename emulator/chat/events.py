"""The event sequences of a streamed chat turn, in the two wire formats.

Both builders return ``list[Event]`` (see :mod:`emulator.chat.stream`); framing and pacing happen in
:func:`emulator.chat.stream.deliver`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .stream import Event
    from .turn import Turn


def native_events(turn: Turn) -> list[Event]:
    """``data: {"id","delta","finished"...}`` chunks, a final chunk with usage, then ``[DONE]``."""
    base = {"id": turn.chat_id, "messageId": turn.message_id}
    events: list[Event] = []
    for piece in turn.pieces:
        events.append(("delta", {**base, "delta": piece, "finished": False}))
    events.append(("final", {**base, "delta": "", "finished": True, "usage": turn.usage}))
    events.append(("done", None))
    return events


def ai_sdk_events(turn: Turn) -> list[Event]:
    """The Vercel AI SDK UI message stream v1 sequence the official client consumes."""
    text_id = f"text_{turn.message_id}"
    events: list[Event] = [
        ("meta", {"type": "start", "messageId": turn.message_id, "messageMetadata": {"chatId": turn.chat_id}}),
        ("meta", {"type": "start-step"}),
        ("meta", {"type": "text-start", "id": text_id}),
    ]
    for piece in turn.pieces:
        events.append(("delta", {"type": "text-delta", "id": text_id, "delta": piece}))
    events.append(("final", {"type": "text-end", "id": text_id}))
    events.append(("final", {"type": "finish-step"}))
    events.append(("final", {
        "type": "finish",
        "finishReason": "stop",
        "messageId": turn.message_id,
        "messageMetadata": {"chatId": turn.chat_id, "usage": turn.usage},
    }))
    events.append(("done", None))
    return events
