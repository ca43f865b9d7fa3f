"""Issue 11 points 8 and 10: HTTP limits in the emulator's protocol class, on both uvicorn parsers.

Raw sockets: these are the bytes a hostile or broken client sends, which no HTTP client library would.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from emulator import EmulatorApp
from emulator.bounds import MAX_PROBLEM_BYTES
from emulator.server import LiveServer

IMPLS = ["h11", "httptools"]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict[str, Any]:
        assert self.headers["content-type"] == "application/problem+json", self.headers
        assert len(self.body) <= MAX_PROBLEM_BYTES
        doc: dict[str, Any] = json.loads(self.body)
        assert doc["status"] == self.status
        return doc


def read_reply(sock: socket.socket) -> Reply | None:
    """Everything the server sends until it closes; None if it closed without a byte."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return Reply(int(status_line.split()[1]), headers, body)


def exchange(url: str, *parts: bytes) -> Reply | None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        try:
            for part in parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and stop reading before everything was sent
        return read_reply(sock)


@pytest.fixture(params=IMPLS)
def server(request: pytest.FixtureRequest, make_app: Callable[..., EmulatorApp]) -> Iterator[LiveServer]:
    app = make_app(http_head_timeout=0.3)
    with LiveServer(app, http=request.param) as live:
        yield live
    assert not app.state.server_errors, app.state.server_errors


def _get(*headers: str, version: str = "1.1") -> bytes:
    return (f"GET /v1/health/liveness HTTP/{version}\r\n" + "".join(f"{h}\r\n" for h in headers) + "\r\n").encode("latin-1")


HOST = "Host: emulator"


def test_hardening_http_a_sane_request_still_works(server: LiveServer) -> None:
    reply = exchange(server.url, _get(HOST, "Connection: close"))
    assert reply is not None and reply.status == 200


@pytest.mark.parametrize(
    ("request_bytes", "status", "fragment"),
    [
        pytest.param(_get(HOST, "X-Big: " + "a" * 1024 * 1024), 431, "larger than 65536 bytes", id="1MiB-header"),
        pytest.param(_get(HOST, *(f"X-{i}: v" for i in range(10_000))), 431, "431-any", id="10000-fields"),
        pytest.param(_get(HOST, *(f"X-{i}: v" for i in range(150))), 431, "151 header fields", id="150-fields"),
        pytest.param(_get(HOST, "X-Long: " + "a" * 9000), 431, "longer than 8192 bytes", id="9000-byte-line"),
        pytest.param(_get(), 400, "", id="http11-without-host"),  # h11 refuses it itself, naming no header
        pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, "Malformed HTTP request", id="malformed-header"),
        pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, 400, "Malformed", id="tls-hello"),
    ],
)
def test_hardening_http_limits_answer_with_a_problem(
    server: LiveServer, request_bytes: bytes, status: int, fragment: str
) -> None:
    reply = exchange(server.url, request_bytes)
    assert reply is not None, "the connection was dropped without an answer"
    assert reply.status == status
    detail = reply.problem()["detail"]
    assert fragment == "431-any" or fragment in detail, detail
    assert exchange(server.url, _get(HOST, "Connection: close")).status == 200  # type: ignore[union-attr]


def test_hardening_http_10_without_host_is_fine(server: LiveServer) -> None:
    reply = exchange(server.url, _get(version="1.0"))
    assert reply is not None and reply.status == 200


def test_hardening_http_incomplete_head_times_out_with_408(server: LiveServer) -> None:
    # the server's head timeout (0.3 s here) ends the exchange: read_reply blocks until it does
    reply = exchange(server.url, b"GET /v1/health/liveness HTTP/1.1\r\nHost: emulator\r\nX-Half: ")
    assert reply is not None and reply.status == 408
    assert reply.problem()["title"] == "Request Timeout"


def test_hardening_http_silent_connection_is_closed(server: LiveServer) -> None:
    assert exchange(server.url) is None  # closed after the head timeout, nothing sent


def test_hardening_http_blank_lines_do_not_hold_a_connection_open(server: LiveServer) -> None:
    # blank lines before a request: httptools skips them (RFC 9112 2.2) and the head clock closes the
    # connection; h11 refuses them with a 400. Either way the exchange ends (no 20 s socket timeout).
    reply = exchange(server.url, b"\r\n", b"\r\n")
    assert reply is None or reply.status == 400


def test_hardening_http_slow_body_is_not_a_slow_head(server: LiveServer) -> None:
    head = b"POST /v1/datasets HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer test-token\r\nContent-Type: application/json\r\n"
    body = b'{"name": "' + b"x" * 200_000 + b'"}'
    reply = exchange(server.url, head + b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body), body)
    assert reply is not None and reply.status in (201, 422), reply.status


def test_hardening_http_missing_host_is_named_by_httptools(make_app: Callable[..., EmulatorApp]) -> None:
    with LiveServer(make_app(), http="httptools") as live:
        reply = exchange(live.url, _get())
    assert reply is not None and reply.status == 400
    assert "Host header" in reply.problem()["detail"]


@pytest.mark.parametrize(
    ("impl", "target", "attribute"),
    [
        pytest.param("h11", "uvicorn.protocols.http.h11_impl.H11Protocol", "handle_events", id="h11-event-handling"),
        pytest.param("httptools", "uvicorn.protocols.http.httptools_impl.HttpToolsProtocol", "on_url", id="httptools-callback"),
    ],
)
def test_hardening_http_protocol_errors_are_recorded_and_answered_500(
    make_app: Callable[..., EmulatorApp], monkeypatch: pytest.MonkeyPatch, impl: str, target: str, attribute: str
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("protocol bug")

    monkeypatch.setattr(f"{target}.{attribute}", boom)
    app = make_app()
    with LiveServer(app, http=impl) as live:
        reply = exchange(live.url, _get(HOST))
    assert reply is not None, "the connection was dropped without an answer"
    assert reply.status == 500 and reply.problem()["title"] == "Internal Server Error"
    assert [str(e) for e in app.state.server_errors] == ["protocol bug"]
