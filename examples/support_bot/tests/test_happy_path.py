"""The normal case: what the client sends and what it gets back."""

from __future__ import annotations

from typing import Any

from support_bot import CuadraClient


def test_ask_returns_the_stored_reply_and_sends_an_idempotency_key(
    bot: CuadraClient, model: str, cuadra_emulator: Any, usage: Any
) -> None:
    before = usage()

    reply = bot.ask(model, "How do I reset my password?")

    assert reply.chat_id.startswith("chat_")
    assert reply.content
    assert reply.usage["outputTokens"] > 0
    assert not reply.recovered
    with cuadra_emulator.client() as http:
        chat = http.get(f"/v1/chats/{reply.chat_id}").json()
    assert [m["role"] for m in chat["messages"]] == ["user", "assistant"]
    assert chat["messages"][0]["content"] == "How do I reset my password?"
    assert chat["messages"][1]["content"] == reply.content
    (call,) = cuadra_emulator.assert_called("POST", "/v1/chats", times=1)
    assert call["status"] == 200
    assert call["requestHeaders"]["idempotency-key"]
    after = usage()
    assert after["requests"] == before["requests"] + 1
    assert after["credits"] > before["credits"]


def test_ask_streaming_reassembles_the_deltas(bot: CuadraClient, model: str, cuadra_emulator: Any) -> None:
    deltas: list[str] = []

    reply = bot.ask_streaming(model, "Tell me about your refund policy.", on_delta=deltas.append)

    assert len(deltas) > 1
    assert reply.content == "".join(deltas)
    assert reply.usage["outputTokens"] > 0
    assert not reply.recovered
    cuadra_emulator.assert_called("GET", "/v1/chats/{id}", times=0)  # a whole stream needs no polling
    with cuadra_emulator.client() as http:
        stored = http.get(f"/v1/chats/{reply.chat_id}").json()["messages"][-1]
    assert stored["content"] == reply.content
    assert stored["id"] == reply.message_id
