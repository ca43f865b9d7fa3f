"""Every POST honours Idempotency-Key (guide: "For POST requests, include `Idempotency-Key` to safely
retry without duplicates"): a retry with the same key replays the first answer and creates nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.routes import API_ROUTES

SMS = {"name": "Support SMS", "channelType": "sms", "phoneNumber": "+15551234567"}
TEMPLATE = "sp_sys_customer_support"


def channel_count(client: TestClient) -> int:
    return len(client.get("/v1/channels").json()["items"])


def prompt_count(client: TestClient) -> int:
    return len(client.get("/v1/system-prompts", params={"enabled": "false"}).json()["items"])


def test_idempotency_every_authenticated_post_route_honours_the_key() -> None:
    posts = [r for r in API_ROUTES if r.method == "POST"]
    assert {r.path for r in posts if not r.idempotent} == {"/v1/oauth2/token"}  # no caller to scope a key to
    assert all(r.idempotent for r in posts if r.auth)


@pytest.mark.parametrize(
    ("path", "body", "count"),
    [
        pytest.param("/v1/channels", SMS, channel_count, id="create-channel"),
        pytest.param(f"/v1/system-prompts/{TEMPLATE}/copy", {"name": "Mine"}, prompt_count, id="copy-system-prompt"),
    ],
)
def test_idempotency_retry_creates_no_duplicate(
    client: TestClient, path: str, body: dict[str, Any], count: Callable[[TestClient], int]
) -> None:
    before = count(client)
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post(path, json=body, headers=headers)
    again = client.post(path, json=body, headers=headers)
    assert first.status_code == 201
    assert again.status_code == first.status_code and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert count(client) == before + 1
    fresh = client.post(path, json=body, headers={"Idempotency-Key": "retry-2"})
    assert fresh.json()["id"] != first.json()["id"] and count(client) == before + 2


def test_idempotency_channel_pause_retry_replays_the_first_answer(client: TestClient) -> None:
    channel = client.post("/v1/channels", json=SMS).json()
    path = f"/v1/channels/{channel['id']}/pause"
    first = client.post(path, headers={"Idempotency-Key": "pause-1"})
    again = client.post(path, headers={"Idempotency-Key": "pause-1"})
    unkeyed = client.post(path)
    assert first.status_code == 200 and first.json()["status"] == "paused"
    assert again.status_code == 200 and again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert unkeyed.status_code == 409  # without the key the second pause really runs and conflicts


def test_idempotency_same_key_other_body_on_a_copy_is_refused(client: TestClient) -> None:
    path = f"/v1/system-prompts/{TEMPLATE}/copy"
    assert client.post(path, json={"name": "A"}, headers={"Idempotency-Key": "k"}).status_code == 201
    response = client.post(path, json={"name": "B"}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
