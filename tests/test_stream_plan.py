"""The stream plan's decision logic (which event a fault replaces, pacing) and deliver(), without HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from emulator.chat.events import error_event
from emulator.chat.stream import (
    ERROR_MESSAGES,
    Event,
    EventKind,
    Step,
    StreamPlan,
    deliver,
    malformed_frame,
    schedule,
)
from emulator.clock import ManualClock

NATIVE: list[EventKind] = ["delta"] * 8 + ["final", "done"]
AI_SDK: list[EventKind] = ["meta"] * 3 + ["delta"] * 8 + ["final"] * 3 + ["done"]
TOOLS: list[EventKind] = ["meta", "delta", "delta", "tool_delta", "tool_delta", "tool_delta", "final", "done"]
NO_TOOLS_NO_DELTAS: list[EventKind] = ["meta", "final", "done"]


def actions(steps: list[Step]) -> list[str]:
    return [step.action for step in steps]


@pytest.mark.parametrize(
    ("kinds", "plan", "expected"),
    [
        pytest.param(NATIVE, StreamPlan(), ["send"] * 10, id="no-fault-sends-everything"),
        pytest.param(NATIVE, StreamPlan(cut_after=5), ["send"] * 5 + ["cut"], id="cut-after-5-native"),
        pytest.param(AI_SDK, StreamPlan(cut_after=5), ["send"] * 8 + ["cut"], id="cut-after-5-ai-sdk-keeps-meta"),
        pytest.param(AI_SDK, StreamPlan(cut_after=0), ["send"] * 3 + ["cut"], id="cut-after-0-before-first-delta"),
        pytest.param(NATIVE, StreamPlan(cut_after=8), ["send"] * 8 + ["cut"], id="cut-after-all-deltas"),
        pytest.param(NATIVE, StreamPlan(cut_after=50), ["send"] * 8 + ["cut"], id="cut-after-beyond-stream"),
        pytest.param(TOOLS, StreamPlan(cut_after=3), ["send"] * 4 + ["cut"], id="tool-deltas-count"),
        pytest.param(NATIVE, StreamPlan(stall_after=2), ["send"] * 2 + ["stall"], id="stall"),
        pytest.param(AI_SDK, StreamPlan(error_event_after=1), ["send"] * 4 + ["error"], id="error-event"),
        pytest.param(NATIVE, StreamPlan(malformed_after=3), ["send"] * 3 + ["malformed"], id="malformed"),
        pytest.param(AI_SDK, StreamPlan(cut_before_done=True), ["send"] * 11 + ["cut"], id="cut-before-done"),
        pytest.param(TOOLS, StreamPlan(cut_before_done=True), ["send"] * 6 + ["cut"], id="cut-before-done-tools"),
        pytest.param(TOOLS, StreamPlan(cut_in_tool_args=True), ["send"] * 4 + ["cut"], id="cut-in-tool-args"),
        pytest.param(
            NATIVE,
            StreamPlan(cut_in_tool_args=True),
            ["send"] * 8 + ["cut"],
            id="cut-in-tool-args-without-tool-call-cuts-before-done",
        ),
        pytest.param(NO_TOOLS_NO_DELTAS, StreamPlan(cut_after=2), ["send", "cut"], id="no-deltas-cut-after-meta"),
        pytest.param(
            ["meta", "delta", "delta"], StreamPlan(cut_before_done=True), ["send"] * 3 + ["cut"], id="fault-after-the-last-event"
        ),
        pytest.param([], StreamPlan(stall_after=0), ["stall"], id="empty-stream"),
    ],
)
def test_schedule_fault_replaces_the_right_event(kinds: list[EventKind], plan: StreamPlan, expected: list[str]) -> None:
    assert actions(schedule(kinds, plan)) == expected


def test_schedule_paces_deltas_only() -> None:
    steps = schedule(TOOLS, StreamPlan(first_token_delay=1.5, token_interval=0.02))
    assert [step.pause for step in steps] == [0.0, 1.5, 0.02, 0.02, 0.02, 0.02, 0.0, 0.0]


def test_schedule_fault_keeps_the_pause_of_the_event_it_replaces() -> None:
    steps = schedule(NATIVE, StreamPlan(first_token_delay=1.0, token_interval=0.5, cut_after=2))
    assert steps[-1] == Step("cut", 0.5)
    assert schedule(NATIVE, StreamPlan(first_token_delay=1.0, cut_after=0)) == [Step("cut", 1.0, scripted=True)]


def test_schedule_marks_only_the_first_token_delay_as_scripted() -> None:
    steps = schedule(NATIVE, StreamPlan(first_token_delay=1.5, token_interval=0.02))
    assert [(s.pause, s.scripted) for s in steps if s.pause] == [(1.5, True)] + [(0.02, False)] * (
        sum(1 for s in steps if s.pause) - 1
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"cut_after": -1}, "cut_after: must not be negative", id="negative-count"),
        pytest.param({"token_interval": -0.1}, "token_interval: must not be negative", id="negative-interval"),
        pytest.param({"error_code": "teapot"}, "error_code: unknown code 'teapot'", id="unknown-code"),
        pytest.param({"drop": "boom"}, "drop: expected 'fin' or 'rst'", id="unknown-drop"),
        pytest.param(
            {"cut_after": 1, "stall_after": 2}, "at most one stream fault per plan (got cut_after, stall_after)", id="two-faults"
        ),
        pytest.param({"cut_before_done": True, "cut_in_tool_args": True}, "at most one stream fault", id="two-flags"),
    ],
)
def test_stream_plan_rejects_bad_values(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        StreamPlan(**options)


def test_stream_plan_message_defaults_per_code_and_can_be_overridden() -> None:
    assert StreamPlan(error_code="daily_limit_exceeded").message == ERROR_MESSAGES["daily_limit_exceeded"]
    assert StreamPlan(error_code="quota_exceeded", error_message="Nope.").message == "Nope."
    assert StreamPlan(cut_after=3).fault == "cut_after"
    assert StreamPlan(first_token_delay=2).fault is None


@pytest.mark.parametrize(
    ("code", "keyword"),
    [
        pytest.param("insufficient_credits", "credit", id="insufficient_credits"),
        pytest.param("quota_exceeded", "quota", id="quota_exceeded"),
        pytest.param("credit_overage", "overage", id="credit_overage"),
        pytest.param("premium_model_requires_upgrade", "upgrade", id="premium"),
        pytest.param("daily_limit_exceeded", "daily limit", id="daily_limit_exceeded"),
    ],
)
def test_error_messages_carry_the_keyword_the_client_classifies_by(code: str, keyword: str) -> None:
    assert keyword in ERROR_MESSAGES[code].lower()


def test_error_messages_service_error_matches_no_billing_keyword() -> None:
    text = ERROR_MESSAGES["service_error"].lower()
    assert not any(word in text for word in ("credit", "quota", "overage", "premium", "upgrade", "daily limit"))


def test_malformed_frame_is_a_data_line_that_is_not_json() -> None:
    line = malformed_frame({"id": "chat_1", "delta": "Hello", "finished": False})
    assert line.startswith(b"data: {") and line.endswith(b"\n\n")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line[len(b"data: ") :])


NATIVE_EVENTS: list[Event] = [
    ("delta", {"id": "chat_1", "messageId": "msg_1", "delta": "Hi", "finished": False}),
    ("delta", {"id": "chat_1", "messageId": "msg_1", "delta": " there", "finished": False}),
    ("final", {"id": "chat_1", "messageId": "msg_1", "delta": "", "finished": True, "usage": {}}),
    ("done", None),
]
AI_SDK_EVENTS: list[Event] = [
    ("meta", {"type": "start", "messageId": "msg_1"}),
    ("delta", {"type": "text-delta", "id": "t", "delta": "Hi"}),
    ("tool_delta", {"type": "tool-input-delta", "toolCallId": "call_1", "inputTextDelta": '{"ci'}),
    ("tool_delta", {"type": "tool-input-delta", "toolCallId": "call_1", "inputTextDelta": 'ty":"Paris"}'}),
    ("final", {"type": "finish"}),
    ("done", None),
]


def test_error_event_matches_the_stream_format() -> None:
    assert error_event(NATIVE_EVENTS, "quota_exceeded", "Over.") == {
        "id": "chat_1",
        "messageId": "msg_1",
        "delta": "",
        "finished": True,
        "error": {"code": "quota_exceeded", "message": "Over."},
    }
    assert error_event(AI_SDK_EVENTS, "quota_exceeded", "Over.") == {"type": "error", "errorText": "Over."}


def run(events: list[Event], plan: StreamPlan, clock: ManualClock | None = None) -> list[str]:
    """deliver() in-process: the ``data:`` payloads it yields (no connection: cuts end the body)."""
    clock = clock or ManualClock(0.0)
    closed: list[bool] = []

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in deliver(events, clock, plan, on_close=lambda: closed.append(True))])

    body = asyncio.run(collect()).decode()
    assert closed == [True], "on_close runs exactly once"
    return [block[len("data: ") :] for block in body.split("\n\n") if block]


def test_deliver_without_fault_frames_every_event() -> None:
    assert run(NATIVE_EVENTS, StreamPlan())[-1] == "[DONE]"
    assert len(run(NATIVE_EVENTS, StreamPlan())) == 4


def test_deliver_cut_in_tool_args_stops_after_the_first_argument_fragment() -> None:
    payloads = run(AI_SDK_EVENTS, StreamPlan(cut_in_tool_args=True))
    assert [json.loads(p)["type"] for p in payloads] == ["start", "text-delta", "tool-input-delta"]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param(
            NATIVE_EVENTS,
            {
                "id": "chat_1",
                "messageId": "msg_1",
                "delta": "",
                "finished": True,
                "error": {"code": "insufficient_credits", "message": ERROR_MESSAGES["insufficient_credits"]},
            },
            id="native",
        ),
        pytest.param(AI_SDK_EVENTS, {"type": "error", "errorText": ERROR_MESSAGES["insufficient_credits"]}, id="ai-sdk"),
    ],
)
def test_deliver_error_event_then_done(events: list[Event], expected: dict[str, Any]) -> None:
    payloads = run(events, StreamPlan(error_event_after=1, error_code="insufficient_credits"))
    assert json.loads(payloads[-2]) == expected
    assert payloads[-1] == "[DONE]"


def test_deliver_paces_on_the_clock() -> None:
    clock = ManualClock(100.0)
    run(AI_SDK_EVENTS, StreamPlan(first_token_delay=1.5, token_interval=0.25), clock)
    assert clock.now() == pytest.approx(100.0 + 1.5 + 0.25 * 2)


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(StreamPlan(stall_after=1), id="stall"),
        pytest.param(StreamPlan(cut_after=1, drop="rst"), id="cut-rst"),
    ],
)
def test_deliver_without_a_connection_ends_the_body_at_the_fault(plan: StreamPlan) -> None:
    payloads = run(NATIVE_EVENTS, plan)  # would hang forever if the stall waited for a socket
    assert [json.loads(p)["delta"] for p in payloads] == ["Hi"]
