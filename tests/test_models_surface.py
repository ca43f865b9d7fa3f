"""Models: get, update (incl. re-parenting), delete, and dataset links (list, associate, batch, update, remove)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import SUPPORT_BOT, chat_body
from tests.resource_helpers import CLAUDE_SONNET, GPT_4O, MISTRAL_SMALL, OTHER, custom_model


def test_models_round_trip(client: TestClient) -> None:
    model = custom_model(client, name="Round Trip")
    assert client.get(f"/v1/models/{model['id']}").json() == model
    ids, cursor = [], None
    while True:
        page = client.get("/v1/models", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        ids += [m["id"] for m in page["items"]]
        if not page["hasMore"]:
            break
        cursor = page["nextCursor"]
    assert model["id"] in ids and len(ids) == len(set(ids))
    patched = client.patch(
        f"/v1/models/{model['id']}",
        json={"displayName": "Renamed", "maxTokensPerRequest": 512, "systemPromptId": "sp_abc123", "metadata": {"team": "x"}},
    )
    assert patched.status_code == 200
    got = client.get(f"/v1/models/{model['id']}").json()
    assert got["displayName"] == "Renamed" and got["maxTokensPerRequest"] == 512
    assert got["systemPromptId"] == "sp_abc123" and got["metadata"] == {"team": "x"}
    assert got["updatedAt"] == patched.json()["updatedAt"]
    assert client.delete(f"/v1/models/{model['id']}").status_code == 204
    assert client.get(f"/v1/models/{model['id']}").status_code == 404
    assert client.delete(f"/v1/models/{model['id']}").status_code == 404


def test_models_get_catalog_model(client: TestClient) -> None:
    model = client.get(f"/v1/models/{GPT_4O}").json()
    assert model["isSystemModel"] is True and model["displayName"] == "GPT-4o"


def test_models_reparent_reinherits_capabilities(client: TestClient) -> None:
    model = custom_model(client, parent=GPT_4O)
    assert model["supportsReasoning"] is False
    moved = client.patch(f"/v1/models/{model['id']}", json={"parentModelId": CLAUDE_SONNET}).json()
    sonnet = client.get(f"/v1/models/{CLAUDE_SONNET}").json()
    assert moved["parentModelId"] == CLAUDE_SONNET and moved["supportsReasoning"] is True
    assert moved["contextWindow"] == sonnet["contextWindow"]
    kept = client.patch(f"/v1/models/{model['id']}", json={"parentModelId": GPT_4O, "contextWindow": 9000}).json()
    assert kept["contextWindow"] == 9000 and kept["supportsReasoning"] is False


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        pytest.param({"parentModelId": SUPPORT_BOT}, "/parentModelId", id="parent-not-catalog"),
        pytest.param({"displayName": ""}, "/displayName", id="empty-name"),
        pytest.param({"contextWindow": 0}, "/contextWindow", id="context-window-range"),
    ],
)
def test_models_update_validation_is_422(client: TestClient, body: dict, pointer: str) -> None:
    response = client.patch(f"/v1/models/{SUPPORT_BOT}", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == pointer


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_models_system_models_cannot_change(client: TestClient, method: str) -> None:
    response = client.request(method, f"/v1/models/{GPT_4O}", json={"displayName": "x"} if method == "PATCH" else None)
    assert response.status_code == 403 and response.headers["content-type"] == "application/problem+json"
    assert client.get(f"/v1/models/{GPT_4O}").json()["displayName"] == "GPT-4o"


def test_models_other_organisation_sees_404(client: TestClient) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = client.request(
            method, f"/v1/models/{SUPPORT_BOT}", headers=OTHER, json={"displayName": "x"} if method == "PATCH" else None
        )
        assert response.status_code == 404, method
    assert client.get(f"/v1/models/{SUPPORT_BOT}/datasets", headers=OTHER).status_code == 404


def test_models_disabled_model_cannot_chat(client: TestClient) -> None:
    client.patch(f"/v1/models/{SUPPORT_BOT}", json={"enabled": False})
    response = client.post("/v1/chats", json=chat_body("hi"))
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/modelId"
    client.patch(f"/v1/models/{SUPPORT_BOT}", json={"enabled": True})
    assert client.post("/v1/chats", json=chat_body("hi")).status_code == 200


# --- dataset links -------------------------------------------------------------------------------


def test_models_dataset_links_round_trip(client: TestClient) -> None:
    base = f"/v1/models/{SUPPORT_BOT}/datasets"
    created = client.post(base, json={"datasetId": "ds_product_docs"})
    assert created.status_code == 201
    link = created.json()
    assert link == {
        **link,
        "modelId": SUPPORT_BOT,
        "datasetId": "ds_product_docs",
        "usageType": "rag",
        "priority": 0,
        "datasetSnapshotId": None,
    }
    assert client.post(base, json={"datasetId": "ds_product_docs"}).status_code == 409
    assert client.post(base, json={"datasetId": "ds_support_faq", "priority": 10}).status_code == 201
    first = client.get(base, params={"limit": 1}).json()
    assert first["totalCount"] == 2 and first["hasMore"] is True and len(first["items"]) == 1
    second = client.get(base, params={"limit": 1, "cursor": first["nextCursor"]}).json()
    assert {first["items"][0]["datasetId"], second["items"][0]["datasetId"]} == {"ds_product_docs", "ds_support_faq"}
    assert second["hasMore"] is False
    updated = client.patch(f"{base}/ds_product_docs", json={"priority": 50, "usageType": "context"})
    assert updated.status_code == 200 and updated.json()["priority"] == 50 and updated.json()["usageType"] == "context"
    assert client.delete(f"{base}/ds_product_docs").status_code == 204
    assert client.delete(f"{base}/ds_product_docs").status_code == 404
    assert client.patch(f"{base}/ds_product_docs", json={"priority": 1}).status_code == 404
    assert [link["datasetId"] for link in client.get(base).json()["items"]] == ["ds_support_faq"]


def test_models_dataset_link_errors(client: TestClient) -> None:
    base = f"/v1/models/{SUPPORT_BOT}/datasets"
    assert client.post(base, json={"datasetId": "ds_missing"}).status_code == 404
    other_dataset = client.post("/v1/datasets", json={"name": "theirs"}, headers=OTHER).json()["id"]
    assert client.post(base, json={"datasetId": other_dataset}).status_code == 404
    assert client.post(base, json={"datasetId": "ds_product_docs", "priority": 101}).status_code == 422
    response = client.post(base, json={"datasetId": "ds_product_docs", "datasetSnapshotId": "snap_nope"})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/datasetSnapshotId"
    assert client.post("/v1/models/nope/datasets", json={"datasetId": "ds_product_docs"}).status_code == 404
    assert client.post(f"/v1/models/{MISTRAL_SMALL}/datasets", json={"datasetId": "ds_product_docs"}).status_code == 403
    assert client.get(f"/v1/models/{MISTRAL_SMALL}/datasets").json()["items"] == []


def test_models_dataset_batch_creates_and_skips(client: TestClient) -> None:
    base = f"/v1/models/{SUPPORT_BOT}/datasets"
    client.post(base, json={"datasetId": "ds_product_docs"})
    response = client.post(
        f"{base}/batch",
        json={
            "datasets": [
                {"datasetId": "ds_product_docs"},
                {"datasetId": "ds_support_faq", "priority": 3},
                {"datasetId": "ds_support_faq"},
            ]
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert [(link["datasetId"], link["priority"]) for link in body["created"]] == [("ds_support_faq", 3)]
    assert body["skipped"] == [
        {"datasetId": "ds_product_docs", "reason": "Already associated with this model"},
        {"datasetId": "ds_support_faq", "reason": "Already associated with this model"},
    ]
    assert client.get(base).json()["totalCount"] == 2


@pytest.mark.parametrize(
    ("datasets", "status"),
    [
        pytest.param([], 422, id="empty"),
        pytest.param([{"datasetId": "ds_product_docs"}] * 51, 422, id="over-50"),
        pytest.param([{"datasetId": "ds_support_faq"}, {"datasetId": "ds_missing"}], 404, id="unknown-dataset-links-nothing"),
    ],
)
def test_models_dataset_batch_rejections(client: TestClient, datasets: list, status: int) -> None:
    response = client.post(f"/v1/models/{SUPPORT_BOT}/datasets/batch", json={"datasets": datasets})
    assert response.status_code == status
    assert client.get(f"/v1/models/{SUPPORT_BOT}/datasets").json()["totalCount"] == 0


def test_models_delete_drops_its_links(client: TestClient) -> None:
    model = custom_model(client)
    client.post(f"/v1/models/{model['id']}/datasets", json={"datasetId": "ds_product_docs"})
    assert client.delete(f"/v1/models/{model['id']}").status_code == 204
    assert list(client.app.state.store.collection("org_default", "model_datasets").values()) == []
