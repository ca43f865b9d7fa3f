"""Server-sent-event framing for the two stream formats (native and ``X-Stream-Format: ai-sdk``)."""

from __future__ import annotations

from typing import Any

from ..responses import dumps

DONE = b"data: [DONE]\n\n"


def frame(event: dict[str, Any]) -> bytes:
    """One SSE event: ``data: <json>`` and a blank line (no ``event:`` names, as the API sends)."""
    return b"data: " + dumps(event) + b"\n\n"
