"""OAuth client credentials: the bot fetches a token, and refreshes it when the API says it expired."""

from __future__ import annotations

import time
from typing import Any

import pytest
from support_bot import CuadraClient, CuadraError

CLIENT = {"client_id": "m2m-test-client", "client_secret": "m2m-test-secret"}  # bundled fixture client


def test_ask_refreshes_an_expired_token_once_and_succeeds(make_bot: Any, model: str, cuadra_emulator: Any) -> None:
    # The bot's own clock (real time) says its token is fresh; the emulator's clock says it expired:
    # exactly the clock-skew case where only the API's 401 tells the truth.
    bot: CuadraClient = make_bot(**CLIENT, now=time.time)
    bot.ask(model, "first question")
    cuadra_emulator.clock.advance(2 * 3600)  # past expires_in (3600 s) and the 30 s leeway

    reply = bot.ask(model, "second question")

    assert reply.content
    assert [c["status"] for c in cuadra_emulator.assert_called("POST", "/v1/oauth2/token", times=2)] == [200, 200]
    chats = cuadra_emulator.assert_called("POST", "/v1/chats", times=3)
    assert [c["status"] for c in chats] == [200, 401, 200]
    assert chats[1]["requestHeaders"]["authorization"] == chats[0]["requestHeaders"]["authorization"]
    assert chats[2]["requestHeaders"]["authorization"] != chats[1]["requestHeaders"]["authorization"]


def test_ask_refreshes_before_expiry_when_its_clock_agrees(make_bot: Any, model: str, cuadra_emulator: Any) -> None:
    # With the emulator's clock as its own, the bot renews a minute before expiry: no 401 at all.
    bot: CuadraClient = make_bot(**CLIENT, now=cuadra_emulator.clock.now)
    bot.ask(model, "first question")
    cuadra_emulator.clock.advance(3600 - 30)

    bot.ask(model, "second question")

    cuadra_emulator.assert_called("POST", "/v1/oauth2/token", times=2)
    assert [c["status"] for c in cuadra_emulator.assert_called("POST", "/v1/chats", times=2)] == [200, 200]


@pytest.mark.cuadra(scenario="expired-token")  # after 2 API calls of the organisation, every call gets 401
def test_ask_gives_up_when_refreshing_does_not_help(make_bot: Any, model: str, cuadra_emulator: Any) -> None:
    bot: CuadraClient = make_bot(**CLIENT, now=time.time)
    bot.ask(model, "first question")
    bot.ask(model, "second question")

    with pytest.raises(CuadraError) as raised:
        bot.ask(model, "third question")

    assert raised.value.status == 401
    assert raised.value.problem["detail"] == "Invalid or expired token."
    cuadra_emulator.assert_called("POST", "/v1/oauth2/token", times=2)  # refreshed once...
    chats = cuadra_emulator.assert_called("POST", "/v1/chats", times=4)  # ...retried once: no loop
    assert [c["status"] for c in chats] == [200, 200, 401, 401]
