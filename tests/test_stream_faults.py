"""Stream faults as a client sees them through a real socket (uvicorn on port 0)."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.chat.reply import ScriptedReply
from emulator.chat.stream import ERROR_MESSAGES, StreamPlan
from emulator.server import LiveServer
from tests.conftest import AUTH, chat_body, sse_events
from tests.faults_helpers import AI_SDK, chat_request, inject_plan, raw_exchange, read_stream

FORMATS = [pytest.param(None, id="native"), pytest.param(AI_SDK, id="ai-sdk")]
INCOMPLETE = "peer closed connection without sending complete message body"


@pytest.mark.parametrize("fmt", FORMATS)
def test_stream_cut_after_5_client_sees_5_deltas_and_no_done(
    app: EmulatorApp, live: LiveServer, fmt: dict[str, str] | None
) -> None:
    inject_plan(app, StreamPlan(cut_after=5))
    read = read_stream(live.url, fmt)
    assert read.status == 200
    assert len(read.deltas()) == 5
    assert "[DONE]" not in read.payloads
    assert not any("usage" in json.dumps(event) for event in read.json())
    assert isinstance(read.error, httpx.RemoteProtocolError) and INCOMPLETE in str(read.error)


@pytest.mark.parametrize("fmt", FORMATS)
def test_stream_cut_with_drop_rst_is_a_connection_reset(app: EmulatorApp, live: LiveServer, fmt: dict[str, str] | None) -> None:
    inject_plan(app, StreamPlan(cut_after=5, drop="rst"))
    read = read_stream(live.url, fmt)
    assert len(read.deltas()) == 5
    assert "[DONE]" not in read.payloads
    assert isinstance(read.error, httpx.ReadError) and "Connection reset by peer" in str(read.error)


@pytest.mark.parametrize(
    ("drop", "expected"),
    [
        pytest.param("fin", None, id="fin-is-a-clean-eof"),
        pytest.param("rst", ConnectionResetError, id="rst-is-econnreset"),
    ],
)
def test_stream_cut_drop_at_the_socket_level(
    app: EmulatorApp, live: LiveServer, drop: str, expected: type[BaseException] | None
) -> None:
    inject_plan(app, StreamPlan(cut_after=2, drop=drop))  # type: ignore[arg-type]
    received, error = raw_exchange(live.port, chat_request())
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.count(b'"finished":false') == 2
    assert b"[DONE]" not in received and not received.endswith(b"0\r\n\r\n")  # no last chunk either
    assert (type(error) if error else None) is expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_stream_stall_client_read_times_out(app: EmulatorApp, live: LiveServer, fmt: dict[str, str] | None) -> None:
    inject_plan(app, StreamPlan(stall_after=2))
    read = read_stream(live.url, fmt, timeout=0.3)
    assert len(read.deltas()) == 2
    assert isinstance(read.error, httpx.ReadTimeout)


def test_stream_stall_keeps_the_chat_generating_while_the_server_serves_others(app: EmulatorApp, live: LiveServer) -> None:
    inject_plan(app, StreamPlan(stall_after=1))
    with (
        httpx.Client(base_url=live.url, headers=AUTH, timeout=2.0) as http,
        http.stream("POST", "/v1/chats", json=chat_body(stream=True)) as stalled,
    ):
        lines = stalled.iter_lines()  # keep a reference: dropping the iterator closes the response
        assert json.loads(next(lines)[len("data: ") :])["finished"] is False
        chat = http.get(f"/v1/chats/{stalled.headers['x-chat-id']}")
        assert chat.status_code == 200
        assert chat.json()["status"] == "generating"


def test_stream_error_event_native_chunk_then_done(app: EmulatorApp, live: LiveServer) -> None:
    inject_plan(app, StreamPlan(error_event_after=2, error_code="quota_exceeded"))
    read = read_stream(live.url)
    assert read.status == 200 and read.error is None
    assert len(read.deltas()) == 2
    assert read.payloads[-1] == "[DONE]"
    error = read.json()[-1]
    assert error == {
        "id": read.headers["x-chat-id"],
        "messageId": read.json()[0]["messageId"],
        "delta": "",
        "finished": True,
        "error": {"code": "quota_exceeded", "message": ERROR_MESSAGES["quota_exceeded"]},
    }
    assert not any("usage" in event for event in read.json())


def test_stream_error_event_ai_sdk_error_text_then_done(app: EmulatorApp, live: LiveServer) -> None:
    inject_plan(app, StreamPlan(error_event_after=3, error_code="daily_limit_exceeded", error_message="Slow down."))
    read = read_stream(live.url, AI_SDK)
    assert read.status == 200 and read.error is None
    assert read.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert len(read.deltas()) == 3
    assert read.json()[-1] == {"type": "error", "errorText": "Slow down."}
    assert read.payloads[-1] == "[DONE]"
    assert "finish" not in [event["type"] for event in read.json()]


@pytest.mark.parametrize("fmt", FORMATS)
def test_stream_malformed_sends_a_data_line_that_is_not_json(
    app: EmulatorApp, live: LiveServer, fmt: dict[str, str] | None
) -> None:
    inject_plan(app, StreamPlan(malformed_after=3))
    read = read_stream(live.url, fmt)
    *good, bad = read.payloads
    assert read.error is None  # the HTTP body ends cleanly; only the JSON is broken
    assert sum(1 for p in good if '"delta":"' in p and '"finished":true' not in p) == 3
    assert bad.startswith("{")
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad)


@pytest.mark.parametrize("fmt", FORMATS)
def test_stream_cut_before_done_sends_every_delta_but_no_usage(
    app: EmulatorApp, live: LiveServer, fmt: dict[str, str] | None
) -> None:
    inject_plan(app, StreamPlan(cut_before_done=True))
    read = read_stream(live.url, fmt)
    stored = httpx.get(f"{live.url}/v1/chats/{read.headers['x-chat-id']}", headers=AUTH).json()
    assert "".join(read.deltas()) == stored["messages"][-1]["content"]  # the whole reply arrived
    assert "[DONE]" not in read.payloads
    assert not any("usage" in json.dumps(event) for event in read.json())
    assert isinstance(read.error, httpx.RemoteProtocolError)


def test_stream_first_token_delay_runs_on_the_manual_clock(app: EmulatorApp, live: LiveServer) -> None:
    inject_plan(app, StreamPlan(first_token_delay=1.5))
    before, wall = app.state.clock.now(), time.monotonic()
    read = read_stream(live.url)
    assert read.error is None and read.payloads[-1] == "[DONE]"
    assert app.state.clock.now() - before == pytest.approx(1.5)
    assert time.monotonic() - wall < 1.0


def test_stream_token_interval_advances_the_clock_per_delta(app: EmulatorApp, live: LiveServer) -> None:
    inject_plan(app, StreamPlan(first_token_delay=1.0, token_interval=0.5, cut_after=4))
    before = app.state.clock.now()
    read = read_stream(live.url)
    assert len(read.deltas()) == 4
    # 1.0 before the first delta, 0.5 before deltas 2-4 and before the slot the cut replaces
    assert app.state.clock.now() - before == pytest.approx(1.0 + 0.5 * 4)


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(StreamPlan(cut_after=5, drop="rst"), id="cut"),
        pytest.param(StreamPlan(stall_after=5), id="stall"),
    ],
)
def test_stream_fault_in_process_ends_the_body_without_done(app: EmulatorApp, client: TestClient, plan: StreamPlan) -> None:
    inject_plan(app, plan)
    response = client.post("/v1/chats", json=chat_body(stream=True))
    payloads = sse_events(response.text)
    assert response.status_code == 200
    assert len(payloads) == 5 and "[DONE]" not in payloads


WEATHER = ScriptedReply(None, ({"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius", "days": 3}},))


@pytest.mark.parametrize(
    ("fmt", "fragment_of"),
    [
        pytest.param(None, lambda e: e.get("toolCalls", [{}])[0].get("function", {}).get("arguments"), id="native"),
        pytest.param(AI_SDK, lambda e: e.get("inputTextDelta"), id="ai-sdk"),
    ],
)
def test_stream_cut_in_tool_args_ends_inside_the_arguments(
    app: EmulatorApp, live: LiveServer, fmt: dict[str, str] | None, fragment_of
) -> None:  # type: ignore[no-untyped-def]
    inject_plan(app, StreamPlan(cut_in_tool_args=True), reply=WEATHER)
    read = read_stream(live.url, fmt)
    fragments = [f for f in map(fragment_of, read.json()) if f]
    assert len(fragments) == 1
    with pytest.raises(json.JSONDecodeError):  # the client holds half an arguments object
        json.loads(fragments[0])
    assert read.payloads[-1] != "[DONE]"
    assert isinstance(read.error, httpx.RemoteProtocolError)
