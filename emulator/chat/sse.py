"""Server-sent-event framing for the two stream formats (native and ``X-Stream-Format: ai-sdk``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..responses import dumps

if TYPE_CHECKING:
    from .stream import Event

DONE = b"data: [DONE]\n\n"


def frame(event: dict[str, Any]) -> bytes:
    """One SSE event: ``data: <json>`` and a blank line (no ``event:`` names, as the API sends)."""
    return b"data: " + dumps(event) + b"\n\n"


def frames(events: list[Event]) -> list[bytes]:
    """Every event framed, ``[DONE]`` for the sentinel: what :func:`emulator.chat.stream.deliver` yields
    for a plan without pacing or fault."""
    return [DONE if payload is None else frame(payload) for _, payload in events]
