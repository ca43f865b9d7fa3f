"""Channels: create, list with filters, get, update, delete, pause/resume transitions, scope and tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

SMS = {"name": "Support SMS", "channelType": "sms", "phoneNumber": "+15551234567"}
TELEGRAM = {"name": "Bot", "channelType": "telegram", "botToken": "123:abc"}


def create(client: TestClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post("/v1/channels", json=body or SMS)
    assert response.status_code == 201, response.text
    return response.json()


def test_channels_create_returns_active_channel_without_bot_token(client: TestClient) -> None:
    channel = create(client, {**TELEGRAM, "datasetIds": ["ds_product_docs"], "welcomeMessage": "Hi"})

    assert channel["id"].startswith("ch_")
    assert channel["status"] == "active"
    assert channel["organizationId"] == "org_default"
    assert channel["datasetIds"] == ["ds_product_docs"]
    assert channel["welcomeMessage"] == "Hi"
    assert channel["fallbackMessage"]  # never null in ChannelOut
    assert channel["webhookUrl"].endswith(f"/{channel['id']}/telegram")
    assert (channel["conversationCount"], channel["messageCount"], channel["lastMessageAt"]) == (0, 0, None)
    assert "botToken" not in channel and "_botToken" not in channel


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        pytest.param({"name": "x", "channelType": "sms"}, "/phoneNumber", id="sms-needs-phone"),
        pytest.param({"name": "x", "channelType": "whatsapp", "phoneNumber": None}, "/phoneNumber", id="whatsapp-null-phone"),
        pytest.param({"name": "x", "channelType": "telegram"}, "/botToken", id="telegram-needs-token"),
        pytest.param({**SMS, "phoneNumber": "555-1234"}, "/phoneNumber", id="not-e164"),
        pytest.param({**SMS, "channelType": "fax"}, "/channelType", id="unknown-type"),
        pytest.param({**SMS, "name": ""}, "/name", id="empty-name"),
        pytest.param({**SMS, "modelId": "no-such-model"}, "/modelId", id="unknown-model"),
        pytest.param({**SMS, "datasetIds": ["ds_missing"]}, "/datasetIds/0", id="unknown-dataset"),
    ],
)
def test_channels_create_rejects_invalid_body(client: TestClient, body: dict[str, Any], pointer: str) -> None:
    response = client.post("/v1/channels", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["pointer"] == pointer


def test_channels_slack_needs_no_credentials(client: TestClient) -> None:
    assert create(client, {"name": "Slack", "channelType": "slack"})["channelType"] == "slack"


def test_channels_round_trip(client: TestClient) -> None:
    channel = create(client)
    path = f"/v1/channels/{channel['id']}"

    assert client.get(path).json() == channel
    updated = client.patch(path, json={"name": "Renamed", "welcomeMessage": None, "fallbackMessage": None})
    assert updated.status_code == 200
    assert updated.json()["name"] == "Renamed"
    assert updated.json()["welcomeMessage"] is None
    assert updated.json()["fallbackMessage"] == channel["fallbackMessage"]  # null restores the default
    assert client.get(path).json()["name"] == "Renamed"
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert client.delete(path).status_code == 404


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        pytest.param({"phoneNumber": None}, "/phoneNumber", id="clearing-required-phone"),
        pytest.param({"datasetIds": ["ds_missing"]}, "/datasetIds/0", id="unknown-dataset"),
    ],
)
def test_channels_update_rejects_invalid_changes(client: TestClient, body: dict[str, Any], pointer: str) -> None:
    channel = create(client)

    response = client.patch(f"/v1/channels/{channel['id']}", json=body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == pointer
    assert client.get(f"/v1/channels/{channel['id']}").json() == channel


def test_channels_update_ignores_the_type_which_is_fixed(client: TestClient) -> None:
    channel = create(client)
    response = client.patch(f"/v1/channels/{channel['id']}", json={"channelType": "slack"})  # not an update field
    assert response.status_code == 200 and response.json()["channelType"] == channel["channelType"]
    assert client.get("/_emulator/requests?warnings=true").json()["items"][0]["warnings"] == [
        "body.channelType: unknown field, ignored"
    ]


def test_channels_pause_and_resume_transitions(client: TestClient) -> None:
    channel = create(client)
    base = f"/v1/channels/{channel['id']}"

    paused = client.post(f"{base}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    again = client.post(f"{base}/pause")
    assert again.status_code == 409
    assert again.json()["title"] == "Conflict"
    assert client.get(base).json()["status"] == "paused"

    resumed = client.post(f"{base}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert client.post(f"{base}/resume").status_code == 409


def test_channels_transitions_on_missing_channel_are_404(client: TestClient) -> None:
    assert client.post("/v1/channels/ch_missing/pause").status_code == 404
    assert client.post("/v1/channels/ch_missing/resume").status_code == 404


def test_channels_list_filters_by_status_and_type(client: TestClient) -> None:
    sms = create(client)
    telegram = create(client, TELEGRAM)
    client.post(f"/v1/channels/{sms['id']}/pause")

    everything = client.get("/v1/channels").json()
    assert [c["id"] for c in everything["items"]] == [sms["id"], telegram["id"]]
    assert everything["hasMore"] is False and everything["nextCursor"] is None
    assert [c["id"] for c in client.get("/v1/channels?status=paused").json()["items"]] == [sms["id"]]
    assert [c["id"] for c in client.get("/v1/channels?channelType=telegram").json()["items"]] == [telegram["id"]]
    assert client.get("/v1/channels?status=active&channelType=sms").json()["items"] == []


@pytest.mark.parametrize("query", ["status=deleted", "channelType=fax"])
def test_channels_list_rejects_unknown_filter_values(client: TestClient, query: str) -> None:
    response = client.get(f"/v1/channels?{query}")

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == f"#/query/{query.split('=')[0]}"


def test_channels_require_org_admin_scope(client: TestClient) -> None:
    reader = {"Authorization": "Bearer read-only-token"}

    response = client.get("/v1/channels", headers=reader)

    assert response.status_code == 403
    assert "org:admin" in response.json()["detail"]


def test_channels_are_isolated_per_organisation(client: TestClient) -> None:
    channel = create(client)
    other = {"Authorization": "Bearer other-org-token"}

    assert client.get(f"/v1/channels/{channel['id']}", headers=other).status_code == 404
    assert client.post(f"/v1/channels/{channel['id']}/pause", headers=other).status_code == 404
    assert client.get("/v1/channels", headers=other).json()["items"] == []


def test_channels_ids_are_deterministic_per_seed(make_app: Any) -> None:
    def first_id() -> str:
        with TestClient(make_app(seed=7), headers={"Authorization": "Bearer test-token"}) as c:
            return str(create(c)["id"])

    assert first_id() == first_id()
