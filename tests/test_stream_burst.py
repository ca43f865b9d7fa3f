"""An unpaced, unfaulted stream goes out at once (head + one body message), with the frame-by-frame bytes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from emulator import EmulatorApp
from emulator.chat.events import native_events, native_stream
from emulator.chat.sse import frames
from emulator.chat.stream import UNPACED, StreamPlan
from emulator.chat.turn import Turn
from emulator.server import LiveServer
from tests.conftest import AUTH, chat_body, sse_events
from tests.faults_helpers import AI_SDK, chat_request, inject_plan, raw_exchange

FORMATS = [pytest.param({}, id="native"), pytest.param(AI_SDK, id="ai-sdk")]


Sent = tuple[int, dict[str, str], list[bytes]]


def post_stream(app: EmulatorApp, headers: dict[str, str]) -> Sent:
    return asyncio.run(asgi_post_stream(app, headers))


async def asgi_post_stream(app: EmulatorApp, headers: dict[str, str]) -> Sent:
    """POST a streamed chat straight into ``app``; the status, headers and each ``http.response.body`` message."""
    body = json.dumps(chat_body(stream=True)).encode()
    head = [(k.lower().encode(), v.encode()) for k, v in {**AUTH, **headers, "Content-Type": "application/json"}.items()]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chats",
        "raw_path": b"/v1/chats",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"emulator"), *head],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8787),
    }
    sent: list[dict[str, Any]] = []
    read = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not read.is_set():
            read.set()
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start, *bodies = sent
    assert all(m["type"] == "http.response.body" for m in bodies) and bodies[-1].get("more_body") is False
    headers_out = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers_out, [m["body"] for m in bodies if m["body"]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_stream_unpaced_is_one_body_message_with_the_bytes_of_frame_by_frame_delivery(
    make_app: Callable[..., EmulatorApp], fmt: dict[str, str]
) -> None:
    status, headers, chunks = post_stream(make_app(clock="system"), fmt)
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    assert len(chunks) == 1
    # the same request on the paced path (a microsecond between deltas): one message per frame
    _, paced_headers, frames = post_stream(make_app(clock="system", stream_token_interval=1e-6), fmt)
    assert len(frames) == chunks[0].count(b"\n\n") > 10
    assert chunks[0] == b"".join(frames)
    assert headers == paced_headers
    assert sse_events(chunks[0].decode())[-1] == "[DONE]"


def test_stream_with_a_fault_is_still_sent_frame_by_frame(make_app: Callable[..., EmulatorApp]) -> None:
    app = make_app()
    inject_plan(app, StreamPlan(error_event_after=2))
    _, _, frames = post_stream(app, {})
    assert [json.loads(f[len(b"data: ") :]).get("error", {}).get("code") for f in frames[:-1]][-1] == "service_error"
    assert len(frames) == 4 and frames[-1] == b"data: [DONE]\n\n"


def test_stream_unpaced_clears_the_generating_status_once_sent(make_app: Callable[..., EmulatorApp]) -> None:
    app = make_app()
    _, headers, _ = post_stream(app, {})
    chat = app.state.store.get("org_default", "chats", headers["x-chat-id"])
    assert chat is not None and chat["status"] is None


def test_stream_unpaced_with_a_console_open_is_recorded_frame_by_frame(make_app: Callable[..., EmulatorApp]) -> None:
    app = make_app()

    async def with_console() -> tuple[Any, list[bytes]]:
        subscriber = app.state.feed.subscribe()
        _, _, chunks = await asgi_post_stream(app, {})
        return subscriber, chunks

    subscriber, chunks = asyncio.run(with_console())
    entry = subscriber.buffer[-1]
    frames = [data for _, data in entry.stream_events]
    assert frames == chunks and len(frames) > 10  # each frame recorded (with its time) and sent on its own
    assert frames[-1] == b"data: [DONE]\n\n"
    assert entry.stream_end == "ended"


def test_stream_unpaced_over_a_socket_is_one_chunk_and_a_paced_one_a_chunk_per_event(
    make_app: Callable[..., EmulatorApp],
) -> None:
    def exchange(app: EmulatorApp) -> bytes:
        with LiveServer(app) as server:
            request = chat_request().replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
            received, error = raw_exchange(server.port, request)
        assert error is None and not app.state.server_errors
        return received

    unpaced = exchange(make_app())
    paced = make_app(clock="system", stream_token_interval=0.0005)
    head, body = unpaced.split(b"\r\n\r\n", 1)
    assert b"transfer-encoding: chunked" in head.lower()
    size, rest = body.split(b"\r\n", 1)
    assert rest[int(size, 16) :] == b"\r\n0\r\n\r\n"  # the whole stream in one chunk, then the last chunk
    events = rest[: int(size, 16)]
    assert events.endswith(b"data: [DONE]\n\n") and events.count(b"\n\n") > 10
    paced_body = exchange(paced).split(b"\r\n\r\n", 1)[1]
    assert paced_body.count(b"\r\ndata: ") == events.count(b"\n\n")  # one chunk per event when paced


USAGE = {"promptTokens": 3, "completionTokens": 4, "totalTokens": 7, "credits": 0.0007}
CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q":"ä \\"x\\""}'}}


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({}, id="plain"),
        pytest.param({"pieces": ["Grüße ", "日本 ", "\u2028 \x7f ", "🎉", "<a href='x'>/</a>"]}, id="unicode-no-escape"),
        pytest.param({"pieces": ["Say ", '"hi"']}, id="quote"),
        pytest.param({"pieces": ["back", "\\slash"]}, id="backslash"),
        pytest.param({"pieces": ["lone ", "\udfff"]}, id="surrogate"),
        pytest.param({"pieces": ["Line one.", "\n\n", "Line\ttwo."]}, id="newlines"),
        pytest.param({"pieces": ["Grüße ", "日本 ", '"quoted"\n', "\\ \u2028 \x00", "\ud800 lone"]}, id="escapes-and-surrogate"),
        pytest.param({"pieces": []}, id="no-pieces"),
        pytest.param({"reasoning": ["Think ", "more."]}, id="reasoning"),
        pytest.param({"sources": [{"sourceId": "s1", "filename": "a.pdf"}]}, id="sources"),
        pytest.param({"tool_calls": [CALL], "pieces": []}, id="tool-call"),
    ],
)
def test_native_stream_is_the_framed_native_events(extra: dict[str, Any]) -> None:
    fields: dict[str, Any] = {"pieces": ["Hello", " there", "!"], **extra}
    turn = Turn("chat_1", "msg_1", {}, fields.pop("pieces"), USAGE, {}, **fields)
    assert native_stream(turn) == b"".join(frames(native_events(turn)))


def test_unpaced_plan_is_immediate_and_any_pacing_or_fault_is_not() -> None:
    assert UNPACED.immediate and StreamPlan().immediate
    assert not StreamPlan(token_interval=0.01).immediate
    assert not StreamPlan(first_token_delay=0.01).immediate
    assert not StreamPlan(cut_after=0).immediate
    assert not StreamPlan(cut_before_done=True).immediate
