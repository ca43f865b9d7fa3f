"""Property-based malformed HTTP (issue 11) on raw sockets, against both uvicorn parsers: garbage heads,
header floods and slow heads. Whatever arrives, the server answers (400, 408, 431 or a normal answer) —
never a 5xx, never a silent drop once bytes were sent — and stays healthy."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import Config, EmulatorApp, create_app
from emulator.server import LiveServer
from tests.test_hardening_http import Reply, read_reply

#: ~6 s of CPU, but 25+ s of wall time on a loaded two-core machine: in the CI step for slow tests.
pytestmark = pytest.mark.slow
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
HEAD_TIMEOUT = 0.1  # seconds: a head still incomplete after this gets a 408 (kept short so slow heads are cheap)


@pytest.fixture(scope="module", params=["h11", "httptools"])
def wire(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    app: EmulatorApp = create_app(Config(clock="manual", rate_limit="off", http_head_timeout=HEAD_TIMEOUT))
    with LiveServer(app, http=request.param) as live:
        yield "127.0.0.1", live.port
        assert httpx.get(f"{live.url}/_emulator/health").status_code == 200
    assert not app.state.server_errors, app.state.server_errors


def send(address: tuple[str, int], *parts: bytes) -> Reply | None:
    with socket.create_connection(address, timeout=20) as sock:
        try:
            for part in parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_reply(sock)


def assert_answered(reply: Reply | None, head_request: bool = False) -> None:
    assert reply is not None, "bytes were sent but the connection closed without an answer"
    assert reply.status < 500, reply
    if reply.status >= 400 and not head_request:  # a HEAD answer has the problem's headers, no body
        reply.problem()


tokens = st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "BREW", "get", "", "G\x00T"])
targets = st.sampled_from(
    ["/", "/v1/models", "/v1/chats?limit=2", "*", "http://x/v1/models", "/%00", "/" + "a" * 9000, "", "/\xff"]
)
versions = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 extra", "HTTP/9", "", "http/1.1"])
header_lines = st.lists(
    st.sampled_from(
        [
            "Host: e",
            "Content-Length: 5",
            "Content-Length: -1",
            "Transfer-Encoding: chunked",
            "X: \x01",
            ": v",
            "Bad",
            "A:" + "b" * 9000,
        ]
    )
    | st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=40),
    max_size=8,
)


@FUZZ
@given(method=tokens, target=targets, version=versions, headers=header_lines, tail=st.binary(max_size=40))
def test_fuzz_wire_malformed_heads(
    wire: tuple[str, int], method: str, target: str, version: str, headers: list[str], tail: bytes
) -> None:
    head = f"{method} {target} {version}\r\n" + "".join(f"{h}\r\n" for h in headers) + "Connection: close\r\n\r\n"
    assert_answered(send(wire, head.encode("latin-1", "replace") + tail), head_request=method == "HEAD")


@FUZZ
@given(noise=st.binary(min_size=1, max_size=200))
def test_fuzz_wire_binary_noise(wire: tuple[str, int], noise: bytes) -> None:
    reply = send(wire, noise)
    if noise.strip(b"\r\n") == b"":
        return  # blank lines before a request are allowed (RFC 9112 2.2): nothing to answer, the idle connection is closed
    assert_answered(reply)


@settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(count=st.integers(min_value=0, max_value=3000), size=st.integers(min_value=1, max_value=3000))
def test_fuzz_wire_header_floods(wire: tuple[str, int], count: int, size: int) -> None:
    flood = "".join(f"X-{i}: {'v' * size}\r\n" for i in range(count))
    reply = send(wire, f"GET /v1/health/liveness HTTP/1.1\r\nHost: e\r\n{flood}Connection: close\r\n\r\n".encode())
    assert_answered(reply)
    assert reply is not None
    too_big = count + 2 > 100 or size + 5 > 8192 or count * (size + 8) > 64 * 1024
    assert reply.status == (431 if too_big else 200), (count, size, reply.status)


@settings(max_examples=8, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(cut=st.integers(min_value=1, max_value=60))
def test_fuzz_wire_slow_heads_time_out(wire: tuple[str, int], cut: int) -> None:
    head = b"POST /v1/datasets HTTP/1.1\r\nHost: e\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    reply = send(wire, head[: min(cut, len(head) - 5)])  # the head never completes
    assert reply is not None and reply.status == 408
    reply.problem()
