"""Helpers for the fault tests: inject a stream plan or a fault into an app, read streams and raw sockets."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from emulator.chat.reply import ScriptedReply
from emulator.chat.stream import StreamPlan
from tests.conftest import AUTH, chat_body

if TYPE_CHECKING:
    from starlette.responses import Response

    from emulator import EmulatorApp
    from emulator.context import RequestContext
    from emulator.pipeline import Next

AI_SDK = {"X-Stream-Format": "ai-sdk"}


def inject_plan(app: EmulatorApp, plan: StreamPlan, reply: ScriptedReply | None = None) -> None:
    """A test-only last pipeline step that hands every request ``plan`` (and a scripted ``reply``),
    as a scenario rule would."""

    async def step(ctx: RequestContext, call_next: Next) -> Response:
        ctx.directives.stream_plan = plan
        if reply is not None:
            ctx.directives.reply = reply
        return await call_next(ctx)

    app.add_step(step)


def inject_response(app: EmulatorApp, response: Response) -> None:
    """A test-only last pipeline step that answers every request with ``response``."""

    async def step(ctx: RequestContext, call_next: Next) -> Response:
        return response

    app.add_step(step)


@dataclass
class StreamRead:
    """What a client saw of a streamed chat: status, headers, ``data:`` payloads, the error that ended it."""

    status: int
    headers: httpx.Headers
    payloads: list[str] = field(default_factory=list)
    error: Exception | None = None

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(p) for p in self.payloads if p != "[DONE]"]

    def deltas(self) -> list[str]:
        """The text deltas, in either format."""
        out = []
        for event in self.json():
            if event.get("type") == "text-delta" or ("type" not in event and not event.get("finished")):
                out.append(event["delta"])
        return out


def read_stream(url: str, headers: dict[str, str] | None = None, timeout: float = 5.0) -> StreamRead:
    """POST a streamed chat to ``url`` and read until the stream ends or fails (the error is kept)."""
    with (
        httpx.Client(base_url=url, headers=AUTH, timeout=timeout) as http,
        http.stream("POST", "/v1/chats", json=chat_body(stream=True), headers=headers) as response,
    ):
        read = StreamRead(response.status_code, response.headers)
        try:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    read.payloads.append(line[len("data: ") :])
        except httpx.HTTPError as exc:
            read.error = exc
    return read


def raw_exchange(port: int, request: bytes, timeout: float = 5.0) -> tuple[bytes, BaseException | None]:
    """Send ``request`` on a plain socket; return every byte received and the error that ended reading."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as exc:
            return received, exc
    return received, None


def chat_request(body: dict[str, Any] | None = None) -> bytes:
    """A raw HTTP/1.1 ``POST /v1/chats`` request."""
    payload = json.dumps(body or chat_body(stream=True)).encode()
    return (
        b"POST /v1/chats HTTP/1.1\r\nHost: emulator\r\nAuthorization: "
        + AUTH["Authorization"].encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(payload)).encode()
        + b"\r\n\r\n"
        + payload
    )
