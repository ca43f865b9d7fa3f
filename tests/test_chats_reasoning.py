"""enableReasoning: reasoning deltas before text in both stream formats, billed as output tokens."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import SUPPORT_BOT, chat_body
from tests.resource_helpers import CLAUDE_SONNET, RESEARCH_ANALYST, custom_model, stream


def _body(text: str = "Plan a migration", model: str = RESEARCH_ANALYST, **extra) -> dict:
    return {"modelId": model, "messages": [{"role": "user", "content": text}], "enableReasoning": True, **extra}


def test_chats_reasoning_native_stream_reasons_before_text(client: TestClient) -> None:
    chunks = stream(client, _body())
    kinds = ["reasoning" if c.get("reasoning") else "text" if c["delta"] else "other" for c in chunks]
    first_text = kinds.index("text")
    assert kinds[0] == "reasoning" and "reasoning" not in kinds[first_text:]
    reasoning = "".join(c.get("reasoning", "") for c in chunks)
    text = "".join(c["delta"] for c in chunks)
    stored = client.get(f"/v1/chats/{chunks[0]['id']}").json()["messages"][-1]
    assert stored["content"] == text and stored["reasoning"] == reasoning
    usage = chunks[-1]["usage"]
    assert usage["reasoningTokens"] == kinds.count("reasoning")
    assert usage["outputTokens"] == usage["reasoningTokens"] + kinds.count("text") == stored["tokenCount"]


def test_chats_reasoning_ai_sdk_stream_reasons_before_text(client: TestClient) -> None:
    parts = stream(client, _body(), ai_sdk=True)
    types = [p["type"] for p in parts]
    assert types[:3] == ["start", "start-step", "reasoning-start"]
    end = types.index("reasoning-end")
    assert set(types[3:end]) == {"reasoning-delta"} and types[end + 1] == "text-start"
    ids = {p["id"] for p in parts if p["type"].startswith("reasoning-")}
    assert len(ids) == 1
    reasoning = "".join(p["delta"] for p in parts if p["type"] == "reasoning-delta")
    stored = client.get(f"/v1/chats/{parts[0]['messageMetadata']['chatId']}").json()["messages"][-1]
    assert stored["reasoning"] == reasoning
    assert stored["content"] == "".join(p["delta"] for p in parts if p["type"] == "text-delta")


def test_chats_reasoning_budget_caps_reasoning_tokens(client: TestClient) -> None:
    chunks = stream(client, _body(reasoningBudget=2))
    assert sum(1 for c in chunks if c.get("reasoning")) == 2
    assert chunks[-1]["usage"]["reasoningTokens"] == 2


def test_chats_reasoning_is_ignored_on_a_non_reasoning_model(client: TestClient) -> None:
    response = client.post("/v1/chats", json=_body(model=SUPPORT_BOT))
    assert response.status_code == 200
    assert "reasoningTokens" not in response.json()["usage"] and "reasoning" not in response.json()["message"]
    parts = stream(client, _body(model=SUPPORT_BOT), ai_sdk=True)
    assert not any(p["type"].startswith("reasoning") for p in parts)


def test_chats_reasoning_capability_is_inherited_by_custom_models(client: TestClient) -> None:
    model = custom_model(client, parent=CLAUDE_SONNET, name="Thinker")
    assert model["supportsReasoning"] is True
    assert client.post("/v1/chats", json=_body(model=model["id"])).json()["usage"]["reasoningTokens"] > 0


def test_chats_reasoning_tokens_reach_the_usage_endpoint(client: TestClient) -> None:
    usage = client.post("/v1/chats", json=_body()).json()["usage"]
    per_model = {m["modelId"]: m for m in client.get("/v1/usage").json()["models"]}[RESEARCH_ANALYST]
    assert per_model["outputTokens"] == usage["outputTokens"] and per_model["totalTokens"] == usage["totalTokens"]


def test_chats_reasoning_off_by_default(client: TestClient) -> None:
    body = _body()
    del body["enableReasoning"]
    assert not any(c.get("reasoning") for c in stream(client, body))
    assert client.post("/v1/chats", json=chat_body("hi")).json()["usage"].get("reasoningTokens") is None
