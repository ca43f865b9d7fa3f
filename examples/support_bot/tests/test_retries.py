"""Retries: 429 with Retry-After, 5xx, and a lost answer — none of them may charge twice."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from support_bot import CuadraClient, CuadraError

FIRST_CHAT_CALL_FAILS = """
name: first-chat-call-fails
description: The first POST /v1/chats is refused with 503 before any work is done; retries succeed.
rules:
  - match: {method: POST, path: /v1/chats}
    when: {times: 1}
    error: {status: 503, retry_after: 1}
"""


@pytest.mark.cuadra(rate_limit_per_user=2)  # this test's emulator allows 2 requests a minute per user
def test_ask_waits_retry_after_when_rate_limited_then_succeeds(bot: CuadraClient, model: str, cuadra_emulator: Any) -> None:
    bot.ask(model, "Hello")
    bot.ask(model, "Where is my order?")
    start = cuadra_emulator.clock.now()

    reply = bot.ask(model, "And when will it arrive?")  # over the limit: 429, then the window resets

    assert reply.content
    calls = cuadra_emulator.assert_called("POST", "/v1/chats", times=4)
    assert [c["status"] for c in calls] == [200, 200, 429, 200]
    retry_after = int(calls[2]["responseHeaders"]["retry-after"])
    assert retry_after > 0
    # the bot slept exactly Retry-After, on the emulator's clock (virtual time: the test does not wait)
    assert cuadra_emulator.clock.now() - start == retry_after
    assert calls[2]["requestHeaders"]["idempotency-key"] == calls[3]["requestHeaders"]["idempotency-key"]


@pytest.mark.cuadra(scenario="rate-limited")  # the first 3 API calls get 429 with Retry-After: 2
def test_ask_waits_retry_after_on_429_then_succeeds(bot: CuadraClient, model: str, cuadra_emulator: Any) -> None:
    start = cuadra_emulator.clock.now()

    reply = bot.ask(model, "Where is my order?")

    assert reply.content
    calls = cuadra_emulator.assert_called("POST", "/v1/chats", times=4)
    assert [c["status"] for c in calls] == [429, 429, 429, 200]
    # the bot slept exactly Retry-After (2 s) three times, on the emulator's clock: not its own backoff
    assert cuadra_emulator.clock.now() - start == 6
    assert len({c["requestHeaders"]["idempotency-key"] for c in calls}) == 1


def test_ask_retries_5xx_with_the_same_key_and_is_charged_once(
    bot: CuadraClient, model: str, cuadra_emulator: Any, usage: Any
) -> None:
    cuadra_emulator.use_scenario(FIRST_CHAT_CALL_FAILS)
    before = usage()

    reply = bot.ask(model, "Cancel my subscription.")

    calls = cuadra_emulator.assert_called("POST", "/v1/chats", times=2)
    assert [c["status"] for c in calls] == [503, 200]
    assert calls[0]["rule"] == "first-chat-call-fails#0"
    assert calls[0]["requestHeaders"]["idempotency-key"] == calls[1]["requestHeaders"]["idempotency-key"]
    after = usage()
    assert after["requests"] == before["requests"] + 1  # one billed chat turn, not two
    with cuadra_emulator.client() as http:
        chats = http.get("/v1/chats", params={"limit": 100}).json()["items"]
    assert [c["id"] for c in chats].count(reply.chat_id) == 1


def test_ask_without_retries_surfaces_the_5xx(make_bot: Any, model: str, cuadra_emulator: Any) -> None:
    cuadra_emulator.use_scenario(FIRST_CHAT_CALL_FAILS)
    bot = make_bot(max_retries=0)

    with pytest.raises(CuadraError) as raised:
        bot.ask(model, "Cancel my subscription.")

    assert raised.value.status == 503
    assert raised.value.problem["title"] == "Service Unavailable"


# The answer to the first call is held after the work is done (the chat is stored and billed) until the
# client gives up: the bot times out and retries with the same Idempotency-Key, and the emulator replays
# the stored answer. This needs real time (the bot's read timeout), so this test runs its own emulator
# on the system clock; the hold ends as soon as the bot hangs up, so it costs about one read timeout.
@pytest.mark.cuadra(clock="system", scenario="idempotent-retry")
def test_ask_after_a_lost_answer_is_replayed_not_charged_twice(
    make_bot: Any, model: str, cuadra_emulator: Any, usage: Any
) -> None:
    before = usage()
    # real sleeps: a retry that arrives before the emulator noticed the hang-up gets 409 "still in progress"
    bot = make_bot(timeout=httpx.Timeout(30.0, read=1.0), sleep=time.sleep, max_retries=8)

    reply = bot.ask(model, "Is my refund on its way?")

    calls = cuadra_emulator.assert_called("POST", "/v1/chats")
    assert len(calls) >= 2
    assert len({c["requestHeaders"]["idempotency-key"] for c in calls}) == 1
    assert calls[-1]["status"] == 200
    assert calls[-1]["responseHeaders"].get("idempotent-replayed") == "true"
    after = usage()
    assert after["requests"] == before["requests"] + 1
    with cuadra_emulator.client() as http:
        chat = http.get(f"/v1/chats/{reply.chat_id}").json()
    assert [m["role"] for m in chat["messages"]] == ["user", "assistant"]  # stored once
    assert chat["messages"][-1]["content"] == reply.content
