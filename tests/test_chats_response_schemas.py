"""2xx bodies of the chats-extras, models and datasets routes validate against their declared response schemas."""

from __future__ import annotations

from starlette.testclient import TestClient

from emulator.routes import API_ROUTES
from tests.conftest import SUPPORT_BOT, chat_body
from tests.resource_helpers import WEATHER_TOOL, assert_schema, link, upload


def _route_response(method: str, path: str) -> str:
    return next(r.response for r in API_ROUTES if r.method == method and r.path == path)


def test_chats_response_schemas_cover_the_surface(client: TestClient) -> None:
    link(client, SUPPORT_BOT, "ds_product_docs")
    upload(client, "ds_product_docs")
    chat = client.post("/v1/chats", json=chat_body("notes please", enableArtifacts=True)).json()
    tool_chat = client.post("/v1/chats", json=chat_body("weather", tools=[WEATHER_TOOL])).json()
    artifact_id = client.get(f"/v1/chats/{chat['id']}/artifacts").json()["items"][0]["id"]
    message = f"/v1/chats/{chat['id']}/messages/{chat['message']['id']}"
    calls = [
        ("POST", "/v1/chats", chat),
        ("POST", "/v1/chats", tool_chat),
        ("GET", "/v1/chats/{chat_id}", client.get(f"/v1/chats/{chat['id']}").json()),
        ("POST", "/v1/chats/{chat_id}/title", client.post(f"/v1/chats/{chat['id']}/title").json()),
        (
            "POST",
            "/v1/chats/{chat_id}/messages/{message_id}/feedback",
            client.post(f"{message}/feedback", json={"rating": "positive"}).json(),
        ),
        (
            "POST",
            "/v1/chats/{chat_id}/messages/{message_id}/source-feedback",
            client.post(
                f"{message}/source-feedback", json={"chunkId": chat["message"]["sources"][0]["chunkId"], "rating": "negative"}
            ).json(),
        ),
        ("GET", "/v1/chats/{chat_id}/artifacts", client.get(f"/v1/chats/{chat['id']}/artifacts").json()),
        (
            "GET",
            "/v1/chats/{chat_id}/artifacts/{artifact_id}",
            client.get(f"/v1/chats/{chat['id']}/artifacts/{artifact_id}").json(),
        ),
        ("GET", "/v1/models/{model_id}", client.get(f"/v1/models/{SUPPORT_BOT}").json()),
        ("PATCH", "/v1/models/{model_id}", client.patch(f"/v1/models/{SUPPORT_BOT}", json={"description": "x"}).json()),
        ("GET", "/v1/models/{model_id}/datasets", client.get(f"/v1/models/{SUPPORT_BOT}/datasets").json()),
        (
            "POST",
            "/v1/models/{model_id}/datasets/batch",
            client.post(
                f"/v1/models/{SUPPORT_BOT}/datasets/batch",
                json={"datasets": [{"datasetId": "ds_product_docs"}, {"datasetId": "ds_support_faq"}]},
            ).json(),
        ),
        (
            "PATCH",
            "/v1/models/{model_id}/datasets/{dataset_id}",
            client.patch(f"/v1/models/{SUPPORT_BOT}/datasets/ds_support_faq", json={"priority": 2}).json(),
        ),
        ("POST", "/v1/datasets/{dataset_id}/snapshots", client.post("/v1/datasets/ds_product_docs/snapshots").json()),
        ("GET", "/v1/datasets/{dataset_id}/snapshots", client.get("/v1/datasets/ds_product_docs/snapshots").json()),
        (
            "GET",
            "/v1/datasets/{dataset_id}",
            client.get("/v1/datasets/ds_product_docs", params=[("expand[]", "items"), ("expand[]", "snapshots")]).json(),
        ),
        ("PATCH", "/v1/datasets/{dataset_id}", client.patch("/v1/datasets/ds_support_faq", json={"name": "FAQ"}).json()),
    ]
    for method, path, body in calls:
        assert_schema(_route_response(method, path), body)
