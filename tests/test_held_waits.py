"""Scripted waits on a manual clock are held (plugin default): a client's real read timeout fires, and
the test releases a held wait by moving its clock. Run through the plugin's own ``cuadra_emulator``."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from emulator import Config, create_app
from emulator.server import LiveServer
from tests.conftest import SUPPORT_BOT, chat_body

ONE_SECOND = httpx.Timeout(5.0, read=1.0)


def test_held_waits_are_the_plugin_default(cuadra_config: Config) -> None:
    assert (cuadra_config.clock, cuadra_config.manual_waits) == ("manual", "hold")


def test_held_idempotent_retry_times_out_a_1s_client_and_the_retry_is_replayed(cuadra_emulator: Any) -> None:
    began = time.monotonic()
    cuadra_emulator.use_scenario("idempotent-retry")
    body, key = chat_body(modelId=SUPPORT_BOT), {"Idempotency-Key": "order-1"}
    with cuadra_emulator.client(timeout=ONE_SECOND) as client, pytest.raises(httpx.ReadTimeout):
        client.post("/v1/chats", json=body, headers=key)
    with cuadra_emulator.client(timeout=ONE_SECOND) as client:
        retry = client.post("/v1/chats", json=body, headers=key)
        for _ in range(20):  # the server may not have seen the hang-up yet: the key is still in flight
            if retry.status_code != 409:
                break
            time.sleep(0.05)
            retry = client.post("/v1/chats", json=body, headers=key)
    assert retry.status_code == 200, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert [c["status"] for c in cuadra_emulator.assert_called("POST", "/v1/chats")][-1] == 200
    assert time.monotonic() - began < 3


def test_held_slow_first_token_times_out_a_1s_client(cuadra_emulator: Any) -> None:
    began = time.monotonic()
    cuadra_emulator.use_scenario("slow-first-token")
    body = chat_body(modelId=SUPPORT_BOT, stream=True)
    with cuadra_emulator.client(timeout=ONE_SECOND) as client, client.stream("POST", "/v1/chats", json=body) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            for _ in response.iter_bytes():
                pass
    assert time.monotonic() - began < 3


def test_held_wait_is_released_by_moving_the_callers_clock() -> None:
    app = create_app(Config(clock="manual", manual_waits="hold", rate_limit="off"))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as control:
        control.post("/_emulator/scenarios", json={"name": "slow-first-token", "org": "org_held"})
        result: dict[str, Any] = {}

        def stream() -> None:
            tenant_url = f"{server.url}/_tenant/org_held"  # the fixture token acts in tenant org_held there
            with httpx.Client(base_url=tenant_url, timeout=10, headers={"Authorization": "Bearer test-token"}) as client:
                response = client.post("/v1/chats", json=chat_body(modelId=SUPPORT_BOT, stream=True))
                result["status"], result["text"] = response.status_code, response.text

        worker = threading.Thread(target=stream)
        worker.start()
        for _ in range(100):  # until the stream has been answered (status 200 sent, body on hold)
            if control.get("/_emulator/requests", params={"org": "org_held", "status": 200}).json()["items"]:
                break
            time.sleep(0.05)
        worker.join(0.3)
        assert worker.is_alive()  # held: the manual clock did not move
        control.post("/_emulator/clock", json={"org": "org_other", "advance": 5})  # another tenant's clock: still held
        worker.join(0.2)
        assert worker.is_alive()
        control.post("/_emulator/clock", json={"org": "org_held", "advance": 1.5})
        worker.join(5)
        assert not worker.is_alive() and result["status"] == 200 and "[DONE]" in result["text"]


def test_skip_mode_jumps_virtual_time_instead() -> None:
    app = create_app(Config(clock="manual", manual_waits="skip", rate_limit="off", scenarios=("slow-first-token",)))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=ONE_SECOND) as client:
        response = client.post(
            "/v1/chats", json=chat_body(modelId=SUPPORT_BOT, stream=True), headers={"Authorization": "Bearer test-token"}
        )
        assert response.status_code == 200 and "[DONE]" in response.text
        assert client.get("/_emulator/clock").json()["epoch"] >= 1735689601.5
