"""Response heads are checked before the server sees them: the first bad header is named."""

from __future__ import annotations

import pytest
from starlette.responses import Response
from starlette.testclient import TestClient

from emulator.responses import JsonResponse
from emulator.wire import (
    _BAD_NAME,
    _BAD_VALUE,
    BAD_VALUE_BYTES,
    KNOWN_NAMES,
    InvalidResponseHeader,
    check_head,
    check_headers,
    extend_vetted,
)
from tests.conftest import AUTH

MODEL = "84d6f2f1-27a5-4b5c-8a53-e2f7f1f5b0a3"

GOOD = [(b"content-type", b"application/json"), (b"x-chat-id", b"c1"), (b"vary", b"Origin,\tAccept")]


def test_bad_value_bytes_are_the_ones_the_pattern_matches() -> None:
    assert [b for b in range(256) if _BAD_VALUE.search(bytes([b]))] == list(BAD_VALUE_BYTES)


@pytest.mark.parametrize("byte", [*BAD_VALUE_BYTES])
def test_check_headers_refuses_every_control_byte_in_a_value(byte: int) -> None:
    with pytest.raises(InvalidResponseHeader, match="invalid value of response header b'x-a'"):
        check_headers([*GOOD, (b"x-a", b"ok" + bytes([byte]))])


def test_check_headers_accepts_a_valid_head() -> None:
    check_headers(GOOD)
    check_headers([])


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param([*GOOD, (b"", b"x")], "invalid response header name b''", id="empty-name"),
        pytest.param([*GOOD, (b"x bad", b"x")], "invalid response header name b'x bad'", id="space-in-name"),
        pytest.param([*GOOD, (b"x-a", b"1\r\nx-b: 2")], "invalid value of response header b'x-a'", id="crlf-in-value"),
        pytest.param([(b"x-a", b"\x7f"), (b"x:b", b"1")], "invalid value of response header b'x-a'", id="first-bad-wins"),
        pytest.param([(b"x-a", b"ok"), (b"x:b", b"\x00")], "invalid response header name b'x:b'", id="name-before-value"),
    ],
)
def test_check_headers_names_the_first_bad_header(headers: list[tuple[bytes, bytes]], message: str) -> None:
    with pytest.raises(InvalidResponseHeader) as raised:
        check_headers(headers)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("stream", [pytest.param(False, id="json"), pytest.param(True, id="stream")])
def test_app_answers_500_for_a_response_head_that_cannot_be_sent(make_app, stream: bool) -> None:  # type: ignore[no-untyped-def]
    app = make_app()

    async def bad_header(ctx, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(ctx)
        response.raw_headers.append((b"x-bad", b"a\r\nb"))
        return response

    app.add_step(bad_header)
    body = {"modelId": MODEL, "stream": stream, "messages": [{"role": "user", "content": "hi"}]}
    with TestClient(app, base_url="http://emulator", headers=AUTH) as client:
        response = client.post("/v1/chats", json=body)
    assert response.status_code == 500 and response.headers["content-type"] == "application/problem+json"
    assert [type(e) for e in app.state.server_errors] == [InvalidResponseHeader]


def test_known_header_names_are_valid_names() -> None:
    for name in KNOWN_NAMES:
        check_headers([(b"x-probe", b"1"), (name, b"v")])
        assert name == name.lower() and not _BAD_NAME.search(name)


def test_a_vetted_head_is_checked_beyond_its_vetted_part() -> None:
    response = JsonResponse(b"{}")
    check_head(response)  # its own two headers: vetted
    extend_vetted(response, [(b"x-ratelimit-limit", b"60")])
    check_head(response)
    response.raw_headers.append((b"x-a", b"1\r\nx-b: 2"))  # added by other code: checked
    with pytest.raises(InvalidResponseHeader, match="invalid value of response header b'x-a'"):
        check_head(response)


def test_a_replaced_head_is_checked_whole() -> None:
    response = JsonResponse(b"{}")
    response.raw_headers = [(b"content-type", b"text/plain\x00"), (b"content-length", b"2")]
    with pytest.raises(InvalidResponseHeader, match="invalid value of response header b'content-type'"):
        check_head(response)


def test_extending_a_head_that_is_not_vetted_whole_keeps_the_rest_checked() -> None:
    response = JsonResponse(b"{}", headers={"X-Chat-Id": "c\x01"})  # given headers: nothing vetted
    extend_vetted(response, [(b"x-ratelimit-limit", b"60")])
    with pytest.raises(InvalidResponseHeader, match="invalid value of response header b'x-chat-id'"):
        check_head(response)
    plain = Response(b"x", headers={"X-A": "ok"})  # not a JsonResponse: never vetted
    plain.raw_headers.insert(0, (b"x-b", b"\x7f"))
    extend_vetted(plain, [(b"x-ratelimit-limit", b"60")])
    with pytest.raises(InvalidResponseHeader, match="invalid value of response header b'x-b'"):
        check_head(plain)
