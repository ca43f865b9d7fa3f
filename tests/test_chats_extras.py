"""Chat extras used by the official client: title, message and source feedback, artifacts."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import SUPPORT_BOT, chat_body
from tests.resource_helpers import OTHER, link, stream, upload


def _chat(client: TestClient, text: str = "How do I reset my password quickly?", **extra) -> dict:
    response = client.post("/v1/chats", json=chat_body(text, **extra))
    assert response.status_code == 200, response.text
    return response.json()


# --- title ---------------------------------------------------------------------------------------


def test_chats_title_is_generated_saved_and_billed(client: TestClient) -> None:
    chat = _chat(client)
    before = {m["modelId"]: m for m in client.get("/v1/usage").json()["models"]}[SUPPORT_BOT]
    response = client.post(f"/v1/chats/{chat['id']}/title")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Reset Password Quickly"
    assert body["usage"]["totalTokens"] == body["usage"]["inputTokens"] + body["usage"]["outputTokens"]
    assert client.get(f"/v1/chats/{chat['id']}").json()["title"] == body["title"]
    assert [c["title"] for c in client.get("/v1/chats").json()["items"]] == [body["title"]]
    after = {m["modelId"]: m for m in client.get("/v1/usage").json()["models"]}[SUPPORT_BOT]
    assert after["totalTokens"] - before["totalTokens"] == body["usage"]["totalTokens"]


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        pytest.param("auto", "Reset Password Quickly", id="auto"),
        pytest.param("last_exchange", "Billing Invoices", id="last-exchange"),
        pytest.param("full_conversation", "Reset Password Quickly Billing Invoices", id="full"),
    ],
)
def test_chats_title_context_chooses_the_messages(client: TestClient, context: str, expected: str) -> None:
    chat = _chat(client)
    client.post("/v1/chats", json={"chatId": chat["id"], "messages": [{"role": "user", "content": "billing invoices"}]})
    title = client.post(f"/v1/chats/{chat['id']}/title", json={"context": context}).json()["title"]
    assert title.startswith(expected)


def test_chats_title_is_deterministic(client: TestClient) -> None:
    chat = _chat(client)
    assert client.post(f"/v1/chats/{chat['id']}/title").json() == client.post(f"/v1/chats/{chat['id']}/title").json()


def test_chats_title_bad_context_is_422_and_unknown_chat_404(client: TestClient) -> None:
    chat = _chat(client)
    assert client.post(f"/v1/chats/{chat['id']}/title", json={"context": "everything"}).status_code == 422
    assert client.post("/v1/chats/chat_nope/title").status_code == 404
    assert client.post(f"/v1/chats/{chat['id']}/title", headers=OTHER).status_code == 404


# --- feedback ------------------------------------------------------------------------------------


def test_chats_feedback_upserts_per_message_and_user(client: TestClient) -> None:
    chat = _chat(client)
    url = f"/v1/chats/{chat['id']}/messages/{chat['message']['id']}/feedback"
    first = client.post(url, json={"rating": "negative"})
    assert first.status_code == 200
    assert first.json()["rating"] == "negative" and first.json()["comment"] is None
    second = client.post(url, json={"rating": "positive", "comment": "Helpful after all"}).json()
    assert second["rating"] == "positive" and second["comment"] == "Helpful after all"
    assert second["createdAt"] == first.json()["createdAt"]
    assert len(list(client.app.state.store.collection("org_default", "message_feedback").values())) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"rating": "meh"}, 422, id="bad-rating"),
        pytest.param({}, 422, id="missing-rating"),
        pytest.param({"rating": "positive", "extra": 1}, 200, id="unknown-field-ignored"),
    ],
)
def test_chats_feedback_validation(client: TestClient, body: dict, status: int) -> None:
    chat = _chat(client)
    assert client.post(f"/v1/chats/{chat['id']}/messages/{chat['message']['id']}/feedback", json=body).status_code == status


def test_chats_feedback_on_unknown_or_user_message(client: TestClient) -> None:
    chat = _chat(client)
    user_message = client.get(f"/v1/chats/{chat['id']}").json()["messages"][0]
    base = f"/v1/chats/{chat['id']}/messages"
    assert client.post(f"{base}/msg_nope/feedback", json={"rating": "positive"}).status_code == 404
    assert client.post(f"{base}/{user_message['id']}/feedback", json={"rating": "positive"}).status_code == 422
    assert client.post(f"{base}/{chat['message']['id']}/feedback", json={"rating": "positive"}, headers=OTHER).status_code == 404


def test_chats_source_feedback_rates_a_cited_chunk(client: TestClient) -> None:
    dataset_id = client.post("/v1/datasets", json={"name": "KB"}).json()["id"]
    upload(client, dataset_id)
    link(client, SUPPORT_BOT, dataset_id)
    chat = _chat(client)
    chunk_id = chat["message"]["sources"][0]["chunkId"]
    url = f"/v1/chats/{chat['id']}/messages/{chat['message']['id']}/source-feedback"
    response = client.post(url, json={"chunkId": chunk_id, "rating": "positive"})
    assert response.status_code == 200
    assert response.json()["chunkId"] == chunk_id and response.json()["rating"] == "positive"
    assert client.post(url, json={"chunkId": chunk_id, "rating": "negative"}).json()["rating"] == "negative"
    assert client.post(url, json={"chunkId": "chunk_other", "rating": "positive"}).status_code == 404
    assert client.post(url, json={"rating": "positive"}).status_code == 400  # see test_chats_source_feedback.py


# --- artifacts -----------------------------------------------------------------------------------


def test_chats_artifacts_round_trip(client: TestClient) -> None:
    parts = stream(client, chat_body("Write a launch checklist", enableArtifacts=True), ai_sdk=True)
    types = [p["type"] for p in parts]
    start = parts[types.index("data-artifact-start")]["data"]
    end = parts[types.index("data-artifact-end")]["data"]
    content = "".join(p["data"]["contentDelta"] for p in parts if p["type"] == "data-artifact-delta")
    assert start["type"] == "text/markdown" and start["title"] == "Write Launch Checklist"
    assert end == {"id": start["id"], "identifier": start["identifier"], "version": 1}
    chat_id = parts[0]["messageMetadata"]["chatId"]

    listed = client.get(f"/v1/chats/{chat_id}/artifacts").json()
    assert listed["totalCount"] == 1 and "content" not in listed["items"][0]
    item = listed["items"][0]
    assert item["id"] == start["id"] and item["messageId"] == parts[0]["messageId"] and item["version"] == 1
    full = client.get(f"/v1/chats/{chat_id}/artifacts/{start['id']}").json()
    assert full["content"] == content and content.startswith("# Write Launch Checklist")
    raw = client.get(f"/v1/chats/{chat_id}/artifacts/{start['id']}/content")
    assert raw.status_code == 200 and raw.content == content.encode()
    assert raw.headers["content-disposition"].startswith("attachment")
    assert raw.headers["content-type"].startswith("text/markdown")


def test_chats_artifacts_new_version_replaces_the_listed_one(client: TestClient) -> None:
    first = _chat(client, "Write a launch checklist", enableArtifacts=True)
    client.post(
        "/v1/chats", json={"chatId": first["id"], "enableArtifacts": True, "messages": [{"role": "user", "content": "again"}]}
    )
    listed = client.get(f"/v1/chats/{first['id']}/artifacts").json()
    assert listed["totalCount"] == 1 and listed["items"][0]["version"] == 2


def test_chats_artifacts_absent_unless_enabled_and_private(client: TestClient) -> None:
    chat = _chat(client)
    assert client.get(f"/v1/chats/{chat['id']}/artifacts").json() == {"items": [], "totalCount": 0}
    with_artifact = _chat(client, "notes", enableArtifacts=True)
    artifact_id = client.get(f"/v1/chats/{with_artifact['id']}/artifacts").json()["items"][0]["id"]
    assert client.get(f"/v1/chats/{with_artifact['id']}/artifacts", headers=OTHER).status_code == 404
    assert client.get(f"/v1/chats/{with_artifact['id']}/artifacts/{artifact_id}/content", headers=OTHER).status_code == 404
    assert client.get(f"/v1/chats/{chat['id']}/artifacts/{artifact_id}").status_code == 404  # wrong chat
    client.delete(f"/v1/chats/{with_artifact['id']}")
    assert client.get(f"/v1/chats/{with_artifact['id']}/artifacts").status_code == 404
