"""A stream that dies halfway is recovered by polling; running out of credits is a typed error."""

from __future__ import annotations

from typing import Any

import pytest
from support_bot import CuadraClient, CuadraError, InsufficientCredits

IN_BAND_CREDITS_ERROR = """
name: credits-run-out-mid-stream
rules:
  - match: {method: POST, path: /v1/chats, body: {stream: true}}
    stream: {error_event_after: 2, error_code: insufficient_credits, error_message: Insufficient credits.}
"""


@pytest.mark.cuadra(scenario="stream-cut")  # streams die after 5 deltas: no usage chunk, no [DONE]
def test_ask_streaming_recovers_a_cut_stream_by_polling_the_chat(bot: CuadraClient, model: str, cuadra_emulator: Any) -> None:
    deltas: list[str] = []

    reply = bot.ask_streaming(model, "Summarise my last three tickets.", on_delta=deltas.append)

    assert len(deltas) == 5
    assert reply.recovered
    assert reply.content.startswith("".join(deltas))
    assert len(reply.content) > len("".join(deltas))  # the whole reply, not just what arrived
    (stream,) = cuadra_emulator.assert_called("POST", "/v1/chats", times=1)
    assert stream["rule"] == "stream-cut#cut"
    polls = cuadra_emulator.assert_called("GET", "/v1/chats/{id}")
    assert polls[-1]["path"] == f"/v1/chats/{reply.chat_id}"
    with cuadra_emulator.client() as http:
        stored = http.get(f"/v1/chats/{reply.chat_id}").json()["messages"][-1]
    assert (stored["id"], stored["content"]) == (reply.message_id, reply.content)


@pytest.mark.cuadra(scenario="insufficient-credits")  # POST /v1/chats -> the documented 402
def test_ask_raises_insufficient_credits_and_does_not_retry(
    bot: CuadraClient, model: str, cuadra_emulator: Any, usage: Any
) -> None:
    before = usage()

    with pytest.raises(InsufficientCredits) as raised:
        bot.ask(model, "One more question")

    assert raised.value.status == 402
    assert raised.value.problem["detail"] == "Insufficient credits. Required: 75 credits. Available: 50 credits."
    cuadra_emulator.assert_called("POST", "/v1/chats", times=1)  # a 402 is final: no retry
    assert usage() == before


def test_ask_streaming_raises_insufficient_credits_sent_in_band(bot: CuadraClient, model: str, cuadra_emulator: Any) -> None:
    cuadra_emulator.use_scenario(IN_BAND_CREDITS_ERROR)
    deltas: list[str] = []

    with pytest.raises(InsufficientCredits) as raised:
        bot.ask_streaming(model, "One more question", on_delta=deltas.append)

    assert raised.value.problem == {"title": "insufficient_credits", "detail": "Insufficient credits."}
    assert len(deltas) == 2
    assert not issubclass(CuadraError, InsufficientCredits)
