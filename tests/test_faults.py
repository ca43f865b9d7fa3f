"""Connection-level faults (reset / close / garbage) on a real socket, with both uvicorn HTTP parsers."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from emulator import EmulatorApp
from emulator.faults import GARBAGE, FaultResponse, connection_from_scope, fault_response
from emulator.server import LiveServer, http_protocol
from tests.conftest import AUTH
from tests.faults_helpers import inject_response, raw_exchange

BASES = {"h11": H11Protocol, "httptools": HttpToolsProtocol}
GET_MODELS = (
    b"GET /v1/models HTTP/1.1\r\nHost: emulator\r\nAuthorization: "
    + AUTH["Authorization"].encode()
    + b"\r\nConnection: close\r\n\r\n"
)


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(params=["h11", "httptools"])
def server(request: pytest.FixtureRequest, app: EmulatorApp) -> Iterator[LiveServer]:
    """The app on a real socket with the given uvicorn parser; fails if uvicorn logged an error."""
    live = LiveServer(app, http=request.param)  # configures uvicorn's logging: add the handler after
    records = Records()
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(records)
    try:
        with live:
            yield live
    finally:
        uvicorn_log.removeHandler(records)
    assert not app.state.server_errors, app.state.server_errors
    assert [r.getMessage() for r in records.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize(
    ("kind", "received", "error"),
    [
        pytest.param("reset", b"", ConnectionResetError, id="reset-is-econnreset"),
        pytest.param("close", b"", None, id="close-is-a-clean-eof-without-bytes"),
        pytest.param("garbage", GARBAGE, None, id="garbage-then-eof"),
    ],
)
def test_fault_response_at_the_socket_level(
    app: EmulatorApp, server: LiveServer, kind: str, received: bytes, error: type[BaseException] | None
) -> None:
    inject_response(app, fault_response(kind))  # type: ignore[arg-type]
    data, exc = raw_exchange(server.port, GET_MODELS)
    assert data == received
    assert (type(exc) if exc else None) is error


@pytest.mark.parametrize(
    ("kind", "error", "message"),
    [
        pytest.param("reset", httpx.ReadError, "Connection reset by peer", id="reset"),
        pytest.param("close", httpx.RemoteProtocolError, "Server disconnected without sending a response", id="close"),
        pytest.param("garbage", httpx.RemoteProtocolError, "illegal status line", id="garbage"),
    ],
)
def test_fault_response_as_an_http_client_sees_it(
    app: EmulatorApp, server: LiveServer, kind: str, error: type[Exception], message: str
) -> None:
    inject_response(app, fault_response(kind))  # type: ignore[arg-type]
    with pytest.raises(error, match=message):
        httpx.get(f"{server.url}/v1/models", headers=AUTH)


def test_fault_response_is_journaled_with_status_0(app: EmulatorApp, server: LiveServer) -> None:
    inject_response(app, fault_response("close"))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{server.url}/v1/models", headers=AUTH)
    [entry] = list(app.state.journal)
    assert (entry.method, entry.path, entry.status, entry.response_headers) == ("GET", "/v1/models", 0, {})


def test_fault_response_server_keeps_serving_after_a_fault(app: EmulatorApp, server: LiveServer) -> None:
    faults = iter([fault_response("reset")])

    async def first_call_faults(ctx, call_next):  # type: ignore[no-untyped-def]
        return next(faults, None) or await call_next(ctx)

    app.add_step(first_call_faults)
    with pytest.raises(httpx.ReadError):
        httpx.get(f"{server.url}/v1/models", headers=AUTH)
    assert httpx.get(f"{server.url}/v1/models", headers=AUTH).status_code == 200


def test_fault_response_in_process_sends_nothing_and_is_no_500(app: EmulatorApp) -> None:
    inject_response(app, fault_response("reset"))
    with (
        TestClient(app, base_url="http://emulator", headers=AUTH) as client,
        pytest.raises(AssertionError, match="did not receive any response"),
    ):
        client.get("/v1/models")
    assert app.state.server_errors == []
    assert [entry.status for entry in app.state.journal] == [0]


def test_fault_response_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="fault: expected one of reset, close, garbage"):
        fault_response("explode")  # type: ignore[arg-type]
    assert isinstance(fault_response("garbage"), FaultResponse)


@pytest.mark.parametrize("impl", ["h11", "httptools"])
def test_http_protocol_puts_the_connection_into_the_scope(make_app, impl: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    seen: list[bool] = []

    async def probe(ctx, call_next):  # type: ignore[no-untyped-def]
        seen.append(connection_from_scope(ctx.scope) is not None)
        return await call_next(ctx)

    app.add_step(probe)
    with LiveServer(app, http=impl) as live:
        assert httpx.get(f"{live.url}/v1/models", headers=AUTH).status_code == 200
    with TestClient(app, base_url="http://emulator", headers=AUTH) as client:
        assert client.get("/v1/models").status_code == 200
    assert seen == [True, False]
    assert issubclass(http_protocol(impl), BASES[impl])


def test_http_protocol_auto_prefers_httptools_like_uvicorn() -> None:
    assert issubclass(http_protocol("auto"), HttpToolsProtocol)
