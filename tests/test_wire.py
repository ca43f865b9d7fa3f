"""Response heads are checked before the server sees them: the first bad header is named."""

from __future__ import annotations

import pytest

from emulator.wire import InvalidResponseHeader, check_headers

GOOD = [(b"content-type", b"application/json"), (b"x-chat-id", b"c1"), (b"vary", b"Origin,\tAccept")]


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
