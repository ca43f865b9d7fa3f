"""JsonResponse builds its head directly; it must be the head Starlette's Response builds for the same arguments."""

from __future__ import annotations

import pytest
from starlette.responses import Response

from emulator.responses import JsonResponse
from emulator.wire import InvalidResponseHeader, check_head

BODY = b'{"id":"chat_1","ok":true}'


@pytest.mark.parametrize("status", [200, 201, 204, 304, 404, 422])
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(None, id="none"),
        pytest.param({}, id="empty"),
        pytest.param({"X-Chat-Id": "chat_1"}, id="one"),
        pytest.param({"Retry-After": "3", "X-RateLimit-Remaining": "0", "x-Lower": "é"}, id="several-latin1"),
        pytest.param({"Content-Type": "application/problem+json"}, id="own-type"),
        pytest.param({"content-length": "999", "X-A": "b"}, id="own-length"),
    ],
)
def test_responses_head_json_head_is_starlettes(status: int, headers: dict[str, str] | None) -> None:
    ours = JsonResponse(BODY, status_code=status, headers=headers)
    theirs = Response(BODY, status_code=status, headers=headers, media_type="application/json")
    assert ours.raw_headers == theirs.raw_headers
    assert ours.status_code == theirs.status_code and ours.body == theirs.body


def test_responses_head_raw_lines_give_starlettes_head() -> None:
    ours = JsonResponse(BODY, raw=((b"x-chat-id", b"chat_1"), (b"x-other", b"\xe9")))
    theirs = Response(BODY, headers={"X-Chat-Id": "chat_1", "X-Other": "é"}, media_type="application/json")
    assert ours.raw_headers == theirs.raw_headers
    assert ours.status_code == theirs.status_code == 200 and ours.body == theirs.body and ours.background is None


def test_responses_head_raw_lines_are_searched_unless_vetted() -> None:
    bad = ((b"x-chat-id", b"chat\n1"),)
    with pytest.raises(InvalidResponseHeader):
        check_head(JsonResponse(BODY, raw=bad))  # not vetted: the value is searched and refused
    vetted = JsonResponse(BODY, raw=((b"x-chat-id", b"chat_1"),), vetted=True)
    assert vetted.vetted_head == (vetted.raw_headers, 3)  # the whole head: nothing left to search
    check_head(vetted)
