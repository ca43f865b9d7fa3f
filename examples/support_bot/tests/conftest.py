"""Fixtures of the example project. The emulator itself comes from the cuadra-emulator pytest plugin
(``cuadra_emulator``); nothing here imports the emulator's own code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support_bot import CuadraClient

#: "Support Bot", a custom model of the organisation ``org_default`` in the emulator's bundled fixtures.
MODEL_ID = "84d6f2f1-27a5-4b5c-8a53-e2f7f1f5b0a3"


@pytest.fixture
def model() -> str:
    """The model the bot talks to."""
    return MODEL_ID


@pytest.fixture
def make_bot(cuadra_emulator: Any) -> Iterator[Callable[..., CuadraClient]]:
    """Build ``CuadraClient``s pointed at the emulator.

    By default the client authenticates with the emulator's token and its ``sleep`` advances the
    emulator's manual clock, so a ``Retry-After: 2`` costs two virtual seconds and no wall time. Its
    timeout is 60 s.
    """
    clients: list[CuadraClient] = []

    def make(**kwargs: Any) -> CuadraClient:
        if "client_id" not in kwargs:
            kwargs.setdefault("token", cuadra_emulator.token)
        kwargs.setdefault("sleep", cuadra_emulator.clock.advance)
        # A generous timeout: on a loaded CI machine a slow answer must stay slow, not become a timeout
        # and a retry the test did not plan for (a retried token fetch shifts every scenario count).
        kwargs.setdefault("timeout", 60.0)
        client = CuadraClient(cuadra_emulator.url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def bot(make_bot: Callable[..., CuadraClient]) -> CuadraClient:
    """A client with a static token, sleeping on the emulator's clock."""
    return make_bot()


@pytest.fixture
def usage(cuadra_emulator: Any) -> Callable[[], dict[str, Any]]:
    """``usage()`` -> ``{"credits": <credits used>, "requests": <billed chat requests>}`` from ``GET /v1/usage``."""

    def read() -> dict[str, Any]:
        with cuadra_emulator.client() as http:
            response = http.get("/v1/usage")
        assert response.status_code == 200, response.text
        body = response.json()
        return {"credits": body["credits"]["used"], "requests": sum(m["requests"] for m in body["models"])}

    return read
