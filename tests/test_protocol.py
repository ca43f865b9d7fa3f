"""The httptools protocol's head checks, fed chunk by chunk (issue 16: the checks moved into the parser's
callbacks, and a head is only measured in full when its chunks could break a bound).

A fake transport makes the chunking exact: over a real socket the kernel may join the pieces.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import uvicorn
from transport_helpers import RecordingTransport
from uvicorn.server import ServerState

from emulator import EmulatorApp
from emulator.protocol import HttpLimits, head_problem
from emulator.server import http_protocol


def exchange(app: EmulatorApp, *chunks: bytes) -> bytes:
    """Feed ``chunks`` to the emulator's httptools protocol, one ``data_received`` each; what it answers."""

    async def run() -> bytes:
        config = uvicorn.Config(app, lifespan="off", log_level="warning")
        config.load()
        protocol: Any = http_protocol("httptools", app)(config=config, server_state=ServerState(), app_state={})
        transport = RecordingTransport()
        protocol.connection_made(transport)
        for chunk in chunks:
            protocol.data_received(chunk)
        for _ in range(1000):
            if transport.closed or (protocol.cycle is not None and protocol.cycle.response_complete):
                break
            await asyncio.sleep(0)
        protocol.connection_lost(None)
        return transport.written

    return asyncio.run(run())


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


GET = b"GET /v1/health/liveness HTTP/1.1\r\n"


@pytest.mark.parametrize(
    ("head", "expected", "fragment"),
    [
        pytest.param(GET + b"Host: e\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n", 431, b"longer than 8192 bytes", id="long-line"),
        pytest.param(GET + b"Host: e\r\n" + (b"X-Wide: " + b"a" * 1000 + b"\r\n") * 60 + b"\r\n", 200, b"", id="large-valid"),
        pytest.param(GET + b"Accept: */*\r\nHost: e\r\n\r\n", 200, b"", id="host-not-first"),
        pytest.param(GET + b"Accept: */*\r\n\r\n", 400, b"Host header", id="no-host"),
    ],
)
def test_protocol_a_head_in_small_chunks_is_checked_whole(
    make_app: Callable[..., EmulatorApp], head: bytes, expected: int, fragment: bytes
) -> None:
    app = make_app()
    answer = exchange(app, *split(head, 700))  # every chunk is under each bound on its own
    assert status(answer) == expected, answer[:300]
    assert fragment in answer
    assert not app.state.server_errors


def test_protocol_a_head_spread_over_chunks_counts_for_the_size_bound(make_app: Callable[..., EmulatorApp]) -> None:
    app = make_app(http_max_head_bytes=2000)
    answer = exchange(app, *split(GET + b"Host: e\r\n" + b"X-A: b\r\n" * 400, 100))  # never completes
    assert status(answer) == 431 and b"larger than 2000 bytes" in answer


@pytest.mark.parametrize(
    "limits",
    [
        pytest.param(HttpLimits(), id="default"),
        pytest.param(HttpLimits(max_head_bytes=1000), id="head-bound-binds"),
        pytest.param(HttpLimits(max_header_line=100, max_header_fields=3), id="line-bound-binds"),
    ],
)
def test_protocol_a_head_within_the_quick_bound_breaks_no_size_or_line_bound(limits: HttpLimits) -> None:
    # the fewest bytes of punctuation a field can have on the wire ("name:value" and a bare LF); the
    # worst cases: one field as long as the bound lets it be, and every field allowed with the last one long
    def wire(headers: list[tuple[bytes, bytes]]) -> int:
        return len(b"/") + sum(len(name) + len(value) + 2 for name, value in headers)

    for count in (2, limits.max_header_fields):
        headers = [(b"host", b"e")] + [(b"x", b"")] * (count - 1)
        headers[-1] = (b"y", b"z" * (limits.quick_head_bytes - wire(headers)))
        assert wire(headers) == limits.quick_head_bytes
        assert head_problem(headers, len(b"/"), "1.1", limits) is None, count
