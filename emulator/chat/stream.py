"""The event sequences of a streamed chat turn and the paced, fault-aware streamer.

Events are built in full before the first byte is sent ("decide before you stream"); the streamer
only applies timing (through the clock) and the faults a :class:`StreamPlan` asks for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .sse import DONE, frame

if TYPE_CHECKING:
    from ..clock import Clock

EventKind = Literal["meta", "delta", "tool_delta", "final", "done"]
#: ("delta" = a text or reasoning delta, "tool_delta" = a fragment of a tool call's arguments,
#:  "final" = closing events such as usage/finish, "done" = the ``[DONE]`` sentinel, payload None)
Event = tuple[EventKind, dict[str, Any] | None]


@dataclass(frozen=True)
class StreamPlan:
    """How to deliver a stream: pacing and (for scenarios) faults. Durations are clock seconds."""

    first_token_delay: float = 0.0
    token_interval: float = 0.0
    cut_after: int | None = None  # close the connection after N deltas: no final chunk, no [DONE]


async def deliver(
    events: list[Event], clock: Clock, plan: StreamPlan, on_close: Callable[[], None] | None = None
) -> AsyncIterator[bytes]:
    """Yield the framed events, sleeping on ``clock`` between deltas and applying ``plan``'s faults."""
    deltas = 0
    try:
        for kind, event in events:
            if kind == "delta":
                if plan.cut_after is not None and deltas >= plan.cut_after:
                    return
                await clock.sleep(plan.first_token_delay if deltas == 0 else plan.token_interval)
                deltas += 1
            yield DONE if event is None else frame(event)
    finally:
        if on_close is not None:
            on_close()
