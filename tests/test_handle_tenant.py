"""The test handle on a tenant of a shared emulator: journal helpers, scenarios from files, settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulator import Config, create_app
from emulator.server import LiveServer
from emulator.testing import EmulatorHandle
from tests.conftest import SUPPORT_BOT, chat_body

FAIL_FIRST = """
name: fail-first-chat
rules:
  - match: {method: POST, path: /v1/chats}
    when: {times: 1}
    error: {status: 503}
"""


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(create_app(Config(clock="manual", manual_waits="hold"))) as live:
        yield live


@pytest.fixture
def pair(server: LiveServer) -> Iterator[tuple[EmulatorHandle, EmulatorHandle]]:
    one = EmulatorHandle.for_tenant(server.url, "org_handle_one", fresh=True)
    two = EmulatorHandle.for_tenant(server.url, "org_handle_two", fresh=True)
    yield one, two
    one.close()
    two.close()


def test_handle_journal_helpers_see_only_the_tenant(pair: tuple[EmulatorHandle, EmulatorHandle]) -> None:
    one, two = pair
    with one.client() as client:
        client.get("/v1/models")
        client.get(f"/v1/models/{SUPPORT_BOT}")
    with two.client() as client:
        client.get("/v1/datasets")
    assert [e["path"] for e in one.journal("GET", "/v1/models/{id}")] == [f"/v1/models/{SUPPORT_BOT}"]
    assert one.last_request() is not None and one.last_request()["path"] == f"/v1/models/{SUPPORT_BOT}"  # type: ignore[index]
    assert len(one.assert_called("GET", "/v1/models", count=1)) == 1
    one.assert_not_called("GET", "/v1/datasets")  # the other tenant's call
    with pytest.raises(AssertionError, match="was called 1 times, expected 0"):
        two.assert_not_called("GET", "/v1/datasets")
    one.clear_requests()
    assert one.requests == [] and len(two.requests) == 1  # only its own entries were forgotten
    assert one.last_request() is None


def test_handle_use_scenario_takes_a_path_and_a_seed(pair: tuple[EmulatorHandle, EmulatorHandle], tmp_path: Path) -> None:
    one, two = pair
    path = tmp_path / "fail-first.yaml"
    path.write_text(FAIL_FIRST, encoding="utf-8")
    assert one.use_scenario(path)["name"] == "fail-first-chat"
    assert one.use_scenario(str(path), seed=3)["org"] == "org_handle_one"
    with one.client() as client, two.client() as other:
        assert client.post("/v1/chats", json=chat_body(modelId=SUPPORT_BOT)).status_code == 503
        assert other.post("/v1/chats", json=chat_body(modelId=SUPPORT_BOT)).status_code == 200  # not its scenario


def test_handle_configure_sets_per_tenant_settings(pair: tuple[EmulatorHandle, EmulatorHandle]) -> None:
    one, _ = pair
    assert one.configure(rate_limit_per_user=1) == {"rate_limit_per_user": 1}
    with one.client() as client:
        assert [client.get("/v1/models").status_code for _ in range(2)] == [200, 429]
    with pytest.raises(AssertionError, match="settings.auth: not a per-tenant setting"):
        one.configure(auth="off")


def test_handle_fixture_credentials_act_in_the_tenant(pair: tuple[EmulatorHandle, EmulatorHandle]) -> None:
    one, _ = pair
    with httpx.Client(base_url=one.url, headers={"Authorization": "Bearer test-token"}) as client:
        assert client.post("/v1/datasets", json={"name": "via fixture token"}).status_code == 201
    (entry,) = one.journal("POST", "/v1/datasets")
    assert entry["orgId"] == "org_handle_one"
