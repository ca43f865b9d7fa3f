"""The paced, fault-aware streamer of a chat turn's events.

Events are built in full before the first byte is sent ("decide before you stream"); the streamer
only applies timing (through the clock) and the faults a :class:`StreamPlan` asks for. The decision
"what happens at event i" is the pure function :func:`schedule`; :func:`deliver` just carries it out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from ..responses import dumps
from .events import error_event
from .sse import DONE, frame

if TYPE_CHECKING:
    from ..clock import Clock
    from ..faults import Connection

EventKind = Literal["meta", "delta", "tool_delta", "final", "done"]
#: ("delta" = a text or reasoning delta, "tool_delta" = a fragment of a tool call's arguments,
#:  "final" = closing events such as usage/finish, "done" = the ``[DONE]`` sentinel, payload None)
Event = tuple[EventKind, dict[str, Any] | None]

Action = Literal["send", "cut", "stall", "error", "malformed"]
DELTA_KINDS = frozenset({"delta", "tool_delta"})

#: In-band error codes the official client recognises, with the message sent when none is given.
#: The messages carry the keywords the client classifies ``errorText`` by (credit, quota, overage,
#: premium/upgrade, daily limit); ``service_error`` deliberately carries none of them.
ERROR_MESSAGES: dict[str, str] = {
    "insufficient_credits": "Insufficient credits to complete this request.",
    "quota_exceeded": "Your organization's quota has been exceeded.",
    "credit_overage": "Credit overage limit reached for this billing period.",
    "premium_model_requires_upgrade": "This model requires a premium plan. Please upgrade to use it.",
    "daily_limit_exceeded": "Daily limit exceeded. Please try again tomorrow.",
    "service_error": "The service encountered an error while generating the response.",
}

_COUNTED = ("cut_after", "stall_after", "error_event_after", "malformed_after")
_ACTION: dict[str, Action] = {
    "cut_after": "cut",
    "stall_after": "stall",
    "error_event_after": "error",
    "malformed_after": "malformed",
    "cut_before_done": "cut",
    "cut_in_tool_args": "cut",
}


@dataclass(frozen=True)
class StreamPlan:
    """How to deliver a stream: pacing and at most one fault. Durations are clock seconds.

    "After N deltas" counts text/reasoning deltas and tool-argument fragments. A fault whose point
    never comes (fewer deltas than N, no tool call) fires right after the last delta, before the
    closing events. ``drop`` says how a cut ends the connection (``fin`` = clean close, ``rst`` = TCP
    reset). Raises ValueError for negative values, an unknown error code, an unknown ``drop`` or more
    than one fault.
    """

    first_token_delay: float = 0.0
    token_interval: float = 0.0
    cut_after: int | None = None  # end the connection after N deltas: no final chunk, no [DONE]
    stall_after: int | None = None  # stop sending after N deltas, keep the connection open
    error_event_after: int | None = None  # in-band error chunk after N deltas, then [DONE]
    error_code: str = "service_error"
    error_message: str | None = None  # None: the default message of error_code
    malformed_after: int | None = None  # a data: line that is not JSON after N deltas, then the end
    cut_before_done: bool = False  # every delta, then end before the final/usage events and [DONE]
    cut_in_tool_args: bool = False  # end right after the first tool-argument fragment
    drop: Literal["fin", "rst"] = "fin"

    def __post_init__(self) -> None:
        for name in ("first_token_delay", "token_interval", *_COUNTED):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name}: must not be negative (got {value})")
        if self.error_code not in ERROR_MESSAGES:
            raise ValueError(f"error_code: unknown code {self.error_code!r}; expected one of " + ", ".join(ERROR_MESSAGES))
        if self.drop not in ("fin", "rst"):
            raise ValueError(f"drop: expected 'fin' or 'rst' (got {self.drop!r})")
        faults = self._faults()
        if len(faults) > 1:
            raise ValueError(f"at most one stream fault per plan (got {', '.join(faults)})")

    @cached_property
    def fault(self) -> str | None:
        """The name of the fault field that is set, or None for a clean (possibly paced) stream."""
        faults = self._faults()
        return faults[0] if faults else None

    def _faults(self) -> list[str]:
        # a count of 0 is a fault ("before the first delta"); a flag only when True
        return [
            name for name in _ACTION if (getattr(self, name) is not None if name in _COUNTED else getattr(self, name) is True)
        ]

    @cached_property
    def immediate(self) -> bool:
        """No pacing and no fault: every event goes out at once (see :class:`emulator.responses.EventStream`)."""
        return not self.first_token_delay and not self.token_interval and self.fault is None

    @property
    def message(self) -> str:
        """The in-band error message: ``error_message`` or the default for ``error_code``."""
        return self.error_message if self.error_message is not None else ERROR_MESSAGES[self.error_code]


#: The plan of a stream without pacing or fault (the default configuration's).
UNPACED = StreamPlan()


@dataclass(frozen=True)
class Step:
    """What :func:`deliver` does at one event: sleep ``pause`` clock seconds, then ``action``.

    ``scripted`` marks the first-token delay: a wait a client's read timeout is meant to see (held on a
    manual clock, see :meth:`emulator.state.EmulatorState.wait`); pacing between deltas is not.
    """

    action: Action
    pause: float = 0.0
    scripted: bool = False


def fault_point(kinds: Sequence[EventKind], plan: StreamPlan) -> int | None:
    """The index of the event a fault replaces (``len(kinds)`` = after the last event), or None."""
    fault = plan.fault
    if fault is None:
        return None
    deltas = [i for i, kind in enumerate(kinds) if kind in DELTA_KINDS]
    first_closing = next((i for i, kind in enumerate(kinds) if kind != "meta"), len(kinds))
    closing = deltas[-1] + 1 if deltas else first_closing
    if fault == "cut_before_done":
        return closing
    if fault == "cut_in_tool_args":
        return next((i + 1 for i, kind in enumerate(kinds) if kind == "tool_delta"), closing)
    count: int = getattr(plan, fault)
    if count == 0:
        return deltas[0] if deltas else closing
    return deltas[count - 1] + 1 if count <= len(deltas) else closing


def schedule(kinds: Sequence[EventKind], plan: StreamPlan) -> list[Step]:
    """Per event, the pause before it and what to do; the list stops at the fault (if any).

    ``first_token_delay`` precedes the first delta, ``token_interval`` every later one; other events
    are not paced. A fault keeps the pause of the event it replaces. Pure: no clock, no I/O.
    """
    at = fault_point(kinds, plan)
    action: Action = _ACTION[plan.fault] if plan.fault else "send"
    steps: list[Step] = []
    deltas = 0
    for i, kind in enumerate([*kinds, "done"] if at == len(kinds) else kinds):
        pause = 0.0
        first = False
        if kind in DELTA_KINDS:
            first = deltas == 0 and plan.first_token_delay > 0
            pause = plan.first_token_delay if deltas == 0 else plan.token_interval
            deltas += 1
        if i == at:
            steps.append(Step(action, pause, first))
            break
        steps.append(Step("send", pause, first))
    return steps


def malformed_frame(event: dict[str, Any] | None) -> bytes:
    """A ``data:`` line holding the first half of ``event``'s JSON: a proper prefix, never valid JSON."""
    text = dumps(event) if event is not None else b'{"delta":""}'
    return b"data: " + text[: max(1, len(text) // 2)] + b"\n\n"


async def deliver(
    events: list[Event],
    clock: Clock,
    plan: StreamPlan,
    on_close: Callable[[], None] | None = None,
    wait: Callable[[float], Awaitable[None]] | None = None,
    connection: Connection | None = None,
) -> AsyncIterator[bytes]:
    """Yield the framed events, sleeping on ``clock`` between deltas and applying ``plan``'s fault.

    ``wait`` serves the scripted first-token delay (held on a manual clock); pacing sleeps on ``clock``.

    Cuts and stalls act on ``connection`` (see :mod:`emulator.faults`); without one (in-process
    transports) a cut or a stall simply ends the body where the fault acts.
    """
    steps = schedule([kind for kind, _ in events], plan)
    try:
        for i, step in enumerate(steps):
            if step.pause:
                await (wait if step.scripted and wait is not None else clock.sleep)(step.pause)
            payload = events[i][1] if i < len(events) else None
            if step.action == "send":
                yield DONE if payload is None else frame(payload)
                continue
            if step.action == "error":
                yield frame(error_event(events, plan.error_code, plan.message))
                yield DONE
            elif step.action == "malformed":
                yield malformed_frame(payload or _last_payload(events))
            else:
                await _interrupt(connection, step.action, plan.drop)
            return
    finally:
        if on_close is not None:
            on_close()


def _last_payload(events: list[Event]) -> dict[str, Any] | None:
    return next((payload for _, payload in reversed(events) if payload is not None), None)


async def _interrupt(connection: Connection | None, action: Action, drop: Literal["fin", "rst"]) -> None:
    """Cut (FIN or RST) or stall ``connection`` and wait until it is gone."""
    if connection is None:  # in-process transport: ending the body is the closest we can get
        return
    if action == "cut":
        connection.drop(drop)
    await connection.wait_closed()
