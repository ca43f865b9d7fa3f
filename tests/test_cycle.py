"""One write per response (issue 16): the emulator's httptools protocol sends a head the app checked
together with its body, and the bytes on the wire are exactly those uvicorn's own cycle sends.

Each case runs one ASGI app under uvicorn's plain ``HttpToolsProtocol`` and under the emulator's
protocol class, over a fake transport that keeps every write apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import uvicorn
from transport_helpers import RecordingTransport
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from emulator import Config, create_app
from emulator.cycle import default_block
from emulator.server import http_protocol
from emulator.wire import CHECKED_HEAD

DEFAULTS = [(b"date", b"Tue, 01 Dec 2026 06:00:00 GMT"), (b"server", b"uvicorn")]
GET = b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n"
BODY = b'{"ok":true}'
Messages = list[dict[str, Any]]


class Transport(RecordingTransport):
    """Also notes whether the server closed the connection before the test ended it."""

    closed_by_server = False


def script(*messages: dict[str, Any]) -> Callable[..., Any]:
    """An ASGI app that reads the request and sends ``messages``."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        for message in messages:
            await send(dict(message))

    return app


def serve(protocol_class: type[Any], app: Any, request: bytes, defaults: list[tuple[bytes, bytes]]) -> Transport:
    async def run() -> Transport:
        config = uvicorn.Config(app, lifespan="off", log_level="critical")
        config.load()
        state = ServerState()
        state.default_headers = defaults
        protocol = protocol_class(config=config, server_state=state, app_state={})
        transport = Transport()
        protocol.connection_made(transport)
        protocol.data_received(request)
        for _ in range(1000):
            if transport.closed or (protocol.cycle is not None and protocol.cycle.response_complete):
                break
            await asyncio.sleep(0)
        transport.closed_by_server = transport.closed
        protocol.connection_lost(None)
        return transport

    return asyncio.run(run())


def both(app: Any, request: bytes = GET, defaults: list[tuple[bytes, bytes]] = DEFAULTS) -> tuple[Transport, Transport]:
    """(uvicorn's, the emulator's) transports after serving ``request`` with ``app``."""
    return serve(HttpToolsProtocol, app, request, defaults), serve(http_protocol("httptools"), app, request, defaults)


def start(status: int = 200, headers: list[tuple[bytes, bytes]] | None = None, checked: bool = True) -> dict[str, Any]:
    if headers is None:
        headers = [(b"content-length", b"%d" % len(BODY)), (b"content-type", b"application/json")]
    message: dict[str, Any] = {"type": "http.response.start", "status": status, "headers": headers}
    if checked:
        message[CHECKED_HEAD] = True
    return message


def body(data: bytes = BODY, more: bool = False) -> dict[str, Any]:
    return {"type": "http.response.body", "body": data, "more_body": more}


def test_cycle_a_checked_head_goes_out_with_its_body_in_one_write() -> None:
    plain, ours = both(script(start(), body()))
    assert len(plain.writes) == 2
    assert ours.writes == [b"".join(plain.writes)]
    assert ours.writes[0].startswith(b"HTTP/1.1 200 OK\r\ndate: Tue, 01 Dec 2026 06:00:00 GMT\r\nserver: uvicorn\r\n")
    assert ours.writes[0].endswith(b"\r\n\r\n" + BODY)
    assert not ours.closed_by_server


CASES: dict[str, tuple[Any, bytes]] = {
    "unchecked head": (script(start(checked=False), body()), GET),
    "HTTP/1.0 request (connection: close added)": (script(start(), body()), b"GET /x HTTP/1.0\r\nHost: t\r\n\r\n"),
    "client asks to close": (script(start(), body()), b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    "app says close": (
        script(start(headers=[(b"content-length", b"2"), (b"connection", b"Keep-Alive, Close")]), body(b"{}")),
        GET,
    ),
    "204 without a length": (script(start(204, headers=[]), body(b"")), GET),
    "HEAD request": (script(start(), body()), b"HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n"),
    "streamed body (chunked)": (script(start(headers=[]), body(b"a", more=True), body(b"b", more=True), body(b"")), GET),
    "length given, body in two messages": (
        script(start(headers=[(b"content-length", b"2")]), body(b"a", more=True), body(b"b")),
        GET,
    ),
    "body longer than its length": (script(start(headers=[(b"content-length", b"1")]), body(b"ab")), GET),
    "body shorter than its length": (script(start(headers=[(b"content-length", b"3")]), body(b"ab")), GET),
    "chunked given by the app": (
        script(start(headers=[(b"transfer-encoding", b"chunked")]), body(b"abc", more=True), body(b"")),
        GET,
    ),
    "a start message twice": (script(start(), start()), GET),
    "a name twice": (
        script(start(headers=[(b"content-length", b"2"), (b"x-a", b"1"), (b"x-a", b"2")]), body(b"{}")),
        GET,
    ),
    "two lengths": (script(start(headers=[(b"content-length", b"2"), (b"content-length", b"3")]), body(b"{}")), GET),
}


@pytest.mark.parametrize("case", list(CASES))
def test_cycle_sends_the_same_bytes_as_uvicorn(case: str) -> None:
    app, request = CASES[case]
    plain, ours = both(app, request)
    assert b"".join(ours.writes) == b"".join(plain.writes)
    assert ours.closed_by_server == plain.closed_by_server


def test_cycle_an_invalid_default_header_goes_uvicorns_way() -> None:
    bad = [*DEFAULTS, (b"x-bad", b"a\nb")]
    assert default_block(bad) is None
    plain, ours = both(script(start(), body()), defaults=bad)
    assert ours.writes == plain.writes  # uvicorn refuses the head: nothing written, the connection closed
    assert ours.closed_by_server and plain.closed_by_server


def test_cycle_the_emulator_app_answers_alike_in_fewer_writes() -> None:
    request = b"GET /v1/models HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer test-token\r\n\r\n"
    plain = serve(HttpToolsProtocol, create_app(Config()), request, DEFAULTS)
    ours = serve(http_protocol("httptools"), create_app(Config()), request, DEFAULTS)
    assert b"".join(ours.writes) == b"".join(plain.writes)
    assert b"x-ratelimit-remaining: 59\r\n" in ours.writes[0]
    assert (len(plain.writes), len(ours.writes)) == (2, 1)
