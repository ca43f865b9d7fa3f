"""The chats group end to end: JSON and both stream formats, continuation, update, soft delete."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from tests.conftest import SUPPORT_BOT, chat_body, sse_events


def test_core_chats_create_returns_documented_shape(client: TestClient) -> None:
    response = client.post("/v1/chats", json=chat_body("What is a cursor?"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "message", "usage"}
    assert body["id"].startswith("chat_")
    message = body["message"]
    assert message["role"] == "assistant" and message["chatId"] == body["id"]
    assert message["content"] and message["id"].startswith("msg_")
    usage = body["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert isinstance(usage["cost"], str) and float(usage["cost"]) > 0


def test_core_chats_native_stream_deltas_equal_stored_content(client: TestClient) -> None:
    with client.stream("POST", "/v1/chats", json=chat_body("Stream me", stream=True)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = response.read().decode()
    events = sse_events(text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["id"] == chunks[0]["id"] for c in chunks)
    assert [c["finished"] for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert "usage" in chunks[-1]
    streamed = "".join(c["delta"] for c in chunks)
    chat = client.get(f"/v1/chats/{chunks[0]['id']}").json()
    assistant = chat["messages"][-1]
    assert assistant["role"] == "assistant" and assistant["content"] == streamed
    assert assistant["id"] == chunks[-1]["messageId"]
    assert chat["status"] is None  # generation finished


def test_core_chats_ai_sdk_stream_follows_ui_message_stream_v1(client: TestClient) -> None:
    headers = {"X-Stream-Format": "ai-sdk"}
    with client.stream("POST", "/v1/chats", json=chat_body("Hello", stream=True), headers=headers) as response:
        assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
        text = response.read().decode()
    events = sse_events(text)
    assert events[-1] == "[DONE]"
    parts = [json.loads(e) for e in events[:-1]]
    types = [p["type"] for p in parts]
    assert types[:3] == ["start", "start-step", "text-start"]
    assert types[-3:] == ["text-end", "finish-step", "finish"]
    assert set(types[3:-3]) == {"text-delta"}
    text_id = parts[2]["id"]
    assert all(p["id"] == text_id for p in parts if p["type"].startswith("text-"))
    chat_id = parts[0]["messageMetadata"]["chatId"]
    streamed = "".join(p["delta"] for p in parts if p["type"] == "text-delta")
    stored = client.get(f"/v1/chats/{chat_id}").json()["messages"][-1]
    assert stored["content"] == streamed and stored["id"] == parts[0]["messageId"]
    assert parts[-1]["messageMetadata"]["usage"]["outputTokens"] == stored["tokenCount"]


def test_core_chats_usage_is_consistent_between_json_stream_and_usage_endpoint(client: TestClient) -> None:
    before = client.get("/v1/usage").json()
    first = client.post("/v1/chats", json=chat_body("one")).json()["usage"]
    with client.stream("POST", "/v1/chats", json=chat_body("two", stream=True)) as response:
        final = json.loads(sse_events(response.read().decode())[-2])["usage"]
    after = client.get("/v1/usage").json()
    per_model = {m["modelId"]: m for m in after["models"]}[SUPPORT_BOT]
    assert per_model["requests"] == 2
    assert per_model["totalTokens"] == first["totalTokens"] + final["totalTokens"]
    assert per_model["outputTokens"] == first["outputTokens"] + final["outputTokens"]
    assert after["credits"]["used"] - before["credits"]["used"] == per_model["credits"] > 0


def test_core_chats_continuation_keeps_history_and_model(client: TestClient) -> None:
    first = client.post("/v1/chats", json=chat_body("first question")).json()
    second = client.post("/v1/chats", json={"chatId": first["id"], "messages": [{"role": "user", "content": "and?"}]})
    assert second.status_code == 200 and second.json()["id"] == first["id"]
    chat = client.get(f"/v1/chats/{first['id']}").json()
    assert [m["role"] for m in chat["messages"]] == ["user", "assistant", "user", "assistant"]
    assert chat["modelId"] == SUPPORT_BOT


def test_core_chats_reply_depends_on_history_not_request_order(make_app) -> None:
    from tests.conftest import AUTH

    def reply(app, noise: int) -> str:
        with TestClient(app, headers=AUTH) as c:
            for i in range(noise):
                c.post("/v1/chats", json=chat_body(f"noise {i}"))
            return c.post("/v1/chats", json=chat_body("the same question")).json()["message"]["content"]

    assert reply(make_app(), 0) == reply(make_app(), 3)
    assert reply(make_app(), 0) != reply(make_app(seed=1), 0)


def test_core_chats_max_tokens_caps_output(client: TestClient) -> None:
    usage = client.post("/v1/chats", json=chat_body("long please", maxTokens=3)).json()["usage"]
    assert usage["outputTokens"] == 3


def test_core_chats_model_required_without_chat(client: TestClient) -> None:
    response = client.post("/v1/chats", json={"messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/modelId"


def test_core_chats_list_get_update_delete(client: TestClient) -> None:
    chat_id = client.post("/v1/chats", json=chat_body("hello")).json()["id"]
    listed = client.get("/v1/chats").json()
    assert [c["id"] for c in listed["items"]] == [chat_id] and listed["totalCount"] == 1
    summary = listed["items"][0]
    assert {"createdAt", "updatedAt", "organizationId", "id", "modelId"} <= set(summary)
    patched = client.patch(f"/v1/chats/{chat_id}", json={"title": "Renamed", "metadata": {"priority": "high"}})
    assert patched.status_code == 200
    assert patched.json()["title"] == "Renamed" and patched.json()["messages"] == []
    got = client.get(f"/v1/chats/{chat_id}", params={"expand[]": "model"}).json()
    assert got["title"] == "Renamed" and got["metadata"] == {"priority": "high"}
    assert got["model"]["id"] == SUPPORT_BOT
    assert client.patch(f"/v1/chats/{chat_id}", json={"title": "x" * 501}).status_code == 422
    assert client.delete(f"/v1/chats/{chat_id}").status_code == 204
    assert client.get(f"/v1/chats/{chat_id}").status_code == 404
    assert client.delete(f"/v1/chats/{chat_id}").status_code == 404
    assert client.get("/v1/chats").json()["items"] == []


def test_core_chats_are_private_to_their_organisation(client: TestClient) -> None:
    chat_id = client.post("/v1/chats", json=chat_body("secret")).json()["id"]
    other = {"Authorization": "Bearer other-org-token"}
    assert client.get(f"/v1/chats/{chat_id}", headers=other).status_code == 404
    assert client.get("/v1/chats", headers=other).json()["items"] == []
    response = client.post("/v1/chats", headers=other, json={"chatId": chat_id, "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/v1/models", "/v1/models/catalog"])
def test_core_models_have_documented_required_fields(client: TestClient, path: str) -> None:
    page = client.get(path).json()
    assert page["items"]
    required = {"id", "displayName", "contextWindow", "supportsStreaming", "enabled", "isSystemModel", "createdAt", "updatedAt"}
    for model in page["items"]:
        assert required <= set(model)


def test_core_models_create_inherits_from_parent(client: TestClient) -> None:
    parent = next(m for m in client.get("/v1/models/catalog").json()["items"] if m["supportsReasoning"])
    response = client.post("/v1/models", json={"parentModelId": parent["id"], "displayName": "Support Bot 2"})
    assert response.status_code == 201
    model = response.json()
    assert model["isSystemModel"] is False and model["parentModelId"] == parent["id"]
    assert model["contextWindow"] == parent["contextWindow"] and model["supportsReasoning"] is True
    assert model["provider"] is None
    assert model["id"] in [m["id"] for m in client.get("/v1/models", params={"limit": 100}).json()["items"]]
    chat = client.post("/v1/chats", json={"modelId": model["id"], "messages": [{"role": "user", "content": "hi"}]})
    assert chat.status_code == 200


def test_core_datasets_create_and_list(client: TestClient) -> None:
    response = client.post("/v1/datasets", json={"name": "Support KB", "description": "FAQs and guides"})
    assert response.status_code == 201
    dataset = response.json()
    assert dataset["id"].startswith("ds_") and dataset["name"] == "Support KB"
    assert dataset["items"] is None and dataset["snapshots"] is None
    names = [d["name"] for d in client.get("/v1/datasets").json()["items"]]
    assert names[-1] == "Support KB"


def test_core_health_liveness_needs_no_token(anon: TestClient) -> None:
    response = anon.get("/v1/health/liveness")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
