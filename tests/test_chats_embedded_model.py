"""List Chats and Get Chat embed each chat's ``model`` as the reference samples show (endpoints §1.2, §1.3)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import SUPPORT_BOT, chat_body

GPT_4O = "0b6c7a52-5d4e-4c1f-9a57-2f4b8e1d6a01"


@pytest.mark.parametrize("params", [pytest.param({}, id="plain"), pytest.param({"expand[]": "model"}, id="expand-model")])
def test_chats_list_embeds_each_chats_model(client: TestClient, params: dict[str, str]) -> None:
    first = client.post("/v1/chats", json=chat_body("one")).json()["id"]
    second = client.post("/v1/chats", json={**chat_body("two"), "modelId": GPT_4O}).json()["id"]
    items = client.get("/v1/chats", params=params).json()["items"]
    assert [(c["id"], c["modelId"], c["model"]["id"]) for c in items] == [
        (first, SUPPORT_BOT, SUPPORT_BOT),
        (second, GPT_4O, GPT_4O),
    ]
    assert items[0]["model"] == client.get(f"/v1/models/{SUPPORT_BOT}").json()  # a full ModelOut
    assert items[1]["model"]["isSystemModel"] is True and items[1]["model"]["displayName"] == "GPT-4o"


def test_chats_get_embeds_the_model_and_update_does_not(client: TestClient) -> None:
    chat_id = client.post("/v1/chats", json=chat_body("hi")).json()["id"]
    got = client.get(f"/v1/chats/{chat_id}").json()
    assert got["model"] == client.get(f"/v1/models/{SUPPORT_BOT}").json()
    patched = client.patch(f"/v1/chats/{chat_id}", json={"title": "T"}).json()
    assert "model" not in patched and patched["messages"] == []  # the Update Chat sample has neither


def test_chats_of_a_deleted_model_keep_model_id_without_model(client: TestClient) -> None:
    chat_id = client.post("/v1/chats", json=chat_body("hi")).json()["id"]
    assert client.delete(f"/v1/models/{SUPPORT_BOT}").status_code == 204
    summary = client.get("/v1/chats").json()["items"][0]
    assert summary["id"] == chat_id and summary["modelId"] == SUPPORT_BOT and "model" not in summary
    assert "model" not in client.get(f"/v1/chats/{chat_id}").json()
