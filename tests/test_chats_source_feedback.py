"""Source feedback answers bad input with the reference's 400 (and 404 for what does not exist), not 422."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import SUPPORT_BOT, chat_body
from tests.resource_helpers import OTHER, link, upload

PROBLEM = "application/problem+json"


@pytest.fixture
def cited(client: TestClient) -> dict[str, Any]:
    """A chat whose assistant message cites a source chunk: its ids and the feedback URL."""
    dataset_id = client.post("/v1/datasets", json={"name": "KB"}).json()["id"]
    upload(client, dataset_id)
    link(client, SUPPORT_BOT, dataset_id)
    answer = client.post("/v1/chats", json=chat_body("How do I reset my password quickly?")).json()
    message = answer["message"]
    return {
        "chat": answer["id"],
        "message": message["id"],
        "chunk": message["sources"][0]["chunkId"],
        "url": f"/v1/chats/{answer['id']}/messages/{message['id']}/source-feedback",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"chunkId": "", "rating": "positive"}, "chunkId", id="empty-chunk"),
        pytest.param({"rating": "positive"}, "chunkId", id="missing-chunk"),
        pytest.param({"chunkId": "CHUNK", "rating": "meh"}, "rating", id="bad-rating"),
        pytest.param({"chunkId": "CHUNK"}, "rating", id="missing-rating"),
        pytest.param({"chunkId": 7, "rating": "positive"}, "chunkId", id="chunk-not-a-string"),
        pytest.param(None, "body", id="no-body"),
    ],
)
def test_chats_source_feedback_bad_input_is_400_naming_the_field(
    client: TestClient, cited: dict[str, Any], body: dict[str, Any] | None, field: str
) -> None:
    if body is not None and body.get("chunkId") == "CHUNK":
        body = {**body, "chunkId": cited["chunk"]}
    response = client.post(cited["url"], json=body) if body is not None else client.post(cited["url"])
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["title"] == "Bad Request" and problem["detail"].startswith(f"{field}:")


def test_chats_source_feedback_on_a_user_message_is_400(client: TestClient, cited: dict[str, Any]) -> None:
    user_message = client.get(f"/v1/chats/{cited['chat']}").json()["messages"][0]
    url = f"/v1/chats/{cited['chat']}/messages/{user_message['id']}/source-feedback"
    response = client.post(url, json={"chunkId": cited["chunk"], "rating": "positive"})
    assert response.status_code == 400 and response.json()["detail"].startswith("message_id:")


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        pytest.param("chunk", {}, id="uncited-chunk"),
        pytest.param("message", {}, id="unknown-message"),
        pytest.param("chat", {}, id="unknown-chat"),
        pytest.param(None, OTHER, id="another-users-chat"),
    ],
)
def test_chats_source_feedback_what_does_not_exist_is_404(
    client: TestClient, cited: dict[str, Any], target: str | None, headers: dict[str, str]
) -> None:
    ids = {**cited, **({target: f"{target}_nope"} if target else {})}
    url = f"/v1/chats/{ids['chat']}/messages/{ids['message']}/source-feedback"
    response = client.post(url, json={"chunkId": ids["chunk"], "rating": "positive"}, headers=headers)
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM


def test_chats_source_feedback_unknown_field_ignored_by_default_400_in_strict_mode(
    client: TestClient, cited: dict[str, Any]
) -> None:
    body = {"chunkId": cited["chunk"], "rating": "positive", "comment": "spot on"}
    assert client.post(cited["url"], json=body).status_code == 200
    client.post("/_emulator/strict-requests", json={"strict": True})
    response = client.post(cited["url"], json=body)
    assert response.status_code == 400 and response.json()["detail"] == "comment: unknown field"


def test_chats_message_feedback_keeps_422(client: TestClient, cited: dict[str, Any]) -> None:
    url = f"/v1/chats/{cited['chat']}/messages/{cited['message']}/feedback"
    assert client.post(url, json={"rating": "meh"}).status_code == 422
