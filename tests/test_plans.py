"""Plan tiers gate premium models (ModelOut.modelTier: "`premium` needs Pro or Enterprise")."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from tests.conftest import AUTH, sse_events
from tests.fixture_helpers import fixtures_with
from tests.scenario_helpers import OTHER_ORG, activate

CLAUDE_OPUS = "3c4d5e6f-8091-4a2b-9c3d-e4f5a6b7c804"  # catalog, modelTier premium
O3_MINI = "4e5f6a7b-9c0d-4e1f-8a2b-c3d4e5f6a805"  # catalog, modelTier premium
GPT_4O = "0b6c7a52-5d4e-4c1f-9a57-2f4b8e1d6a01"  # catalog, modelTier standard
DETAIL = "Model Claude Opus 4.6 is a premium model and requires a Pro or Enterprise plan (current plan: Free). Upgrade to use it."
FORMATS = [
    pytest.param({}, {}, id="json"),
    pytest.param({"stream": True}, {}, id="native-stream"),
    pytest.param({"stream": True}, {"X-Stream-Format": "ai-sdk"}, id="ai-sdk-stream"),
]


def chat(model_id: str, **extra: Any) -> dict[str, Any]:
    return {"modelId": model_id, "messages": [{"role": "user", "content": "Hello"}], **extra}


def assert_upgrade_problem(response: Any, model_id: str = CLAUDE_OPUS, detail: str = DETAIL) -> None:
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": detail,
        "code": "premium_model_requires_upgrade",
        "modelId": model_id,
    }


@pytest.mark.parametrize(("extra", "headers"), FORMATS)
def test_plans_free_organisation_cannot_use_a_premium_model(
    client: TestClient, extra: dict[str, Any], headers: dict[str, str]
) -> None:
    before = client.get("/v1/usage", headers=OTHER_ORG).json()["credits"]["used"]
    response = client.post("/v1/chats", json=chat(CLAUDE_OPUS, **extra), headers={**OTHER_ORG, **headers})
    assert_upgrade_problem(response)
    assert "x-chat-id" not in response.headers
    assert client.get("/v1/chats", headers=OTHER_ORG).json()["totalCount"] == 0  # nothing stored
    assert client.get("/v1/usage", headers=OTHER_ORG).json()["credits"]["used"] == before  # nothing billed


@pytest.mark.parametrize(("extra", "headers"), FORMATS)
def test_plans_free_organisation_uses_standard_models(client: TestClient, extra: dict[str, Any], headers: dict[str, str]) -> None:
    response = client.post("/v1/chats", json=chat(GPT_4O, **extra), headers={**OTHER_ORG, **headers})
    assert response.status_code == 200


@pytest.mark.parametrize("model_id", [CLAUDE_OPUS, O3_MINI])
def test_plans_pro_organisation_uses_premium_models(client: TestClient, model_id: str) -> None:
    response = client.post("/v1/chats", json=chat(model_id))
    assert response.status_code == 200 and response.json()["message"]["role"] == "assistant"
    assert client.get("/v1/usage").json()["limits"] == {"modelTierAccess": "standard,premium"}


def test_plans_custom_model_over_a_premium_parent_is_premium(make_app: Callable[..., EmulatorApp], tmp_path: Path) -> None:
    # org_default on the Free plan through its fixture: its custom model built on Claude Opus is premium too
    fixtures = fixtures_with(tmp_path, org_default={"plan": {"tier": "free", "name": "Free", "billingCycle": "monthly"}})
    with TestClient(make_app(fixtures_dir=fixtures), headers=AUTH) as client:
        created = client.post("/v1/models", json={"parentModelId": CLAUDE_OPUS, "displayName": "Opus Bot"})
        assert created.status_code == 201
        response = client.post("/v1/chats", json=chat(created.json()["id"]))
        assert_upgrade_problem(response, created.json()["id"], DETAIL.replace("Claude Opus 4.6", "Opus Bot"))
        assert client.get("/v1/usage").json()["plan"]["tier"] == "free"
        assert client.get("/v1/usage").json()["limits"] == {"modelTierAccess": "standard"}


def test_plans_continuing_a_chat_is_checked_too(client: TestClient) -> None:
    chat_id = client.post("/v1/chats", json=chat(CLAUDE_OPUS)).json()["id"]
    activate(client, "name: downgrade\nplan: free\nrules: []\n")
    response = client.post("/v1/chats", json={"chatId": chat_id, "messages": [{"role": "user", "content": "More"}]})
    assert_upgrade_problem(response)
    assert len(client.get(f"/v1/chats/{chat_id}").json()["messages"]) == 2  # the refused turn left no trace


def test_plans_scenario_puts_one_organisation_on_a_plan(client: TestClient) -> None:
    activate(client, "name: upgrade\nplan: enterprise\nrules: []\n", org="org_other")
    usage = client.get("/v1/usage", headers=OTHER_ORG).json()
    assert usage["plan"]["tier"] == "enterprise" and usage["plan"]["name"] == "Enterprise"
    assert usage["limits"] == {"modelTierAccess": "standard,premium"}
    assert client.post("/v1/chats", json=chat(CLAUDE_OPUS), headers=OTHER_ORG).status_code == 200
    assert client.delete("/_emulator/scenarios/upgrade").status_code == 204
    assert_upgrade_problem(client.post("/v1/chats", json=chat(CLAUDE_OPUS), headers=OTHER_ORG))


def test_plans_scenario_plan_must_be_a_known_tier(client: TestClient) -> None:
    response = client.post("/_emulator/scenarios", json={"yaml": "name: x\nplan: gold\nrules: []\n"})
    assert response.status_code == 422 and "plan" in response.json()["detail"]


@pytest.mark.parametrize("ai_sdk", [False, True], ids=["native", "ai-sdk"])
def test_plans_in_band_refusal_once_a_stream_has_begun(client: TestClient, ai_sdk: bool) -> None:
    # the emulator decides before the first byte, so an in-band refusal is what a scenario scripts
    activate(
        client,
        "name: mid\nrules:\n  - match: {path: /v1/chats}\n    stream: {error_event_after: 2, error_code: premium_model_requires_upgrade}\n",
    )
    headers = {"X-Stream-Format": "ai-sdk"} if ai_sdk else {}
    response = client.post("/v1/chats", json=chat(GPT_4O, stream=True), headers=headers)
    assert response.status_code == 200
    events = sse_events(response.text)
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    if ai_sdk:
        assert last["type"] == "error" and "premium" in last["errorText"] and "upgrade" in last["errorText"].lower()
    else:
        assert last["finished"] is True and last["error"]["code"] == "premium_model_requires_upgrade"
        assert "premium" in last["error"]["message"]
