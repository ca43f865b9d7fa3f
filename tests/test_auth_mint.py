"""POST /_emulator/tokens: mint JWTs for fixture or brand-new users and organisations."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Config, create_app
from tests import auth_helpers
from tests.auth_helpers import bearer, mint, parts
from tests.conftest import AUTH

shared_app, jwt_app, web = auth_helpers.shared_app, auth_helpers.jwt_app, auth_helpers.web

CATALOG_MODEL = "0b6c7a52-5d4e-4c1f-9a57-2f4b8e1d6a01"  # a system catalog model (fixtures/catalog.yaml)


def test_mint_defaults_fresh_caller_all_scopes_one_hour(web: TestClient) -> None:
    response = web.post("/_emulator/tokens", json={})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expiresAt", "user", "org", "scopes"}
    assert body["scopes"] == ["*"] and body["expiresAt"] == "2025-01-01T01:00:00Z"
    assert body["user"].startswith("member_") and body["org"].startswith("org_")
    payload = parts(body["token"])[1]
    assert (payload["sub"], payload["org"], payload["scope"]) == (body["user"], body["org"], "*")


def test_mint_without_body_uses_defaults(web: TestClient) -> None:
    response = web.post("/_emulator/tokens")
    assert response.status_code == 201 and response.json()["scopes"] == ["*"]


def test_mint_echoes_what_was_asked(web: TestClient) -> None:
    response = web.post(
        "/_emulator/tokens",
        json={"user": "user_alice", "org": "org_wonderland", "scopes": ["chat:read", "chat:read", "usage:read"], "expiresIn": 90},
    )
    assert response.json() | {"token": None} == {
        "token": None,
        "expiresAt": "2025-01-01T00:01:30Z",
        "user": "user_alice",
        "org": "org_wonderland",
        "scopes": ["chat:read", "usage:read"],
    }


@pytest.mark.parametrize(
    "body, org",
    [
        pytest.param({"user": "member_other"}, "org_other", id="fixture-user-keeps-its-org"),
        pytest.param({"user": "member_other", "org": "org_default"}, "org_default", id="explicit-org-wins"),
    ],
)
def test_mint_fixture_user_organisation(web: TestClient, body: dict[str, Any], org: str) -> None:
    assert web.post("/_emulator/tokens", json=body).json()["org"] == org


def test_mint_same_new_user_stays_in_one_org(web: TestClient) -> None:
    first = web.post("/_emulator/tokens", json={"user": "user_bob"}).json()
    second = web.post("/_emulator/tokens", json={"user": "user_bob"}).json()
    assert first["org"] == second["org"] and first["org"].startswith("org_")


def test_mint_new_org_sees_a_copy_of_the_fixtures_and_working_usage(web: TestClient) -> None:
    token = mint(web)
    datasets = web.get("/v1/datasets", headers=bearer(token))
    assert datasets.status_code == 200
    assert datasets.json()["items"] == web.get("/v1/datasets", headers=AUTH).json()["items"]  # same ids as org_default
    assert web.get("/v1/chats", headers=bearer(token)).json()["items"] == []
    usage = web.get("/v1/usage", headers=bearer(token)).json()
    assert usage["credits"]["available"] == 42500 and usage["plan"]["tier"] == "pro"  # org_default's plan and credits
    assert usage["credits"]["periodStart"] == "2025-01-01T00:00:00Z"
    assert usage["credits"]["periodEnd"] == "2025-01-31T23:59:59Z"


def test_mint_new_org_cannot_see_other_orgs_ids(web: TestClient) -> None:
    created = web.post("/v1/datasets", json={"name": "Private"}, headers=AUTH)
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]
    chat = web.post("/v1/chats", json={"modelId": CATALOG_MODEL, "messages": [{"role": "user", "content": "hi"}]}, headers=AUTH)
    assert chat.status_code in (200, 201), chat.text
    token = mint(web)
    for path in (f"/v1/datasets/{dataset_id}", f"/v1/chats/{chat.json()['id']}"):
        response = web.get(path, headers=bearer(token))
        assert response.status_code == 404, path
        assert response.json()["title"] == "Not Found"
    assert web.get(f"/v1/datasets/{dataset_id}", headers=AUTH).status_code == 200  # its owner still sees it


def test_mint_new_org_can_chat_and_create(web: TestClient) -> None:
    token = mint(web)
    created = web.post("/v1/datasets", json={"name": "Mine"}, headers=bearer(token))
    assert created.status_code == 201
    assert [d["name"] for d in web.get("/v1/datasets", headers=bearer(token)).json()["items"]][-1] == "Mine"
    assert created.json()["id"] not in {d["id"] for d in web.get("/v1/datasets", headers=AUTH).json()["items"]}
    chat = web.post(
        "/v1/chats", json={"modelId": CATALOG_MODEL, "messages": [{"role": "user", "content": "hi"}]}, headers=bearer(token)
    )
    assert chat.status_code in (200, 201), chat.text
    assert web.get("/v1/usage", headers=bearer(token)).json()["credits"]["used"] > 0


def test_mint_empty_scopes_grant_nothing(web: TestClient) -> None:
    token = mint(web, scopes=[])
    response = web.get("/v1/datasets", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["detail"] == "Missing required scope: datasets:read"


def test_mint_token_survives_reset_with_a_fresh_copy_of_the_fixtures(web: TestClient, jwt_app: Any) -> None:
    token = mint(web, org="org_fresh")
    assert web.post("/v1/datasets", json={"name": "Gone"}, headers=bearer(token)).status_code == 201
    assert web.post("/_emulator/reset").status_code == 204
    response = web.get("/v1/datasets", headers=bearer(token))
    assert response.status_code == 200 and "Gone" not in [d["name"] for d in response.json()["items"]]
    assert len(response.json()["items"]) == len(web.get("/v1/datasets", headers=AUTH).json()["items"])
    assert web.get("/v1/usage", headers=bearer(token)).json()["credits"]["available"] == 42500


@pytest.mark.parametrize(
    "body, pointer",
    [
        pytest.param({"expiresIn": 0}, "/expiresIn", id="zero-expiry"),
        pytest.param({"expiresIn": -5}, "/expiresIn", id="negative-expiry"),
        pytest.param({"expiresIn": 1.5}, "/expiresIn", id="fractional-expiry"),
        pytest.param({"expiresIn": 10**9}, "/expiresIn", id="absurd-expiry"),
        pytest.param({"scopes": "chat:read"}, "/scopes", id="scopes-not-a-list"),
        pytest.param({"scopes": ["chat:read usage:read"]}, "/scopes/0", id="scope-with-space"),
        pytest.param({"user": ""}, "/user", id="empty-user"),
        pytest.param({"org": "org with spaces"}, "/org", id="org-with-spaces"),
        pytest.param({"tenant": "x"}, "/tenant", id="unknown-field"),
    ],
)
def test_mint_rejects_bad_bodies_with_422(web: TestClient, body: dict[str, Any], pointer: str) -> None:
    response = web.post("/_emulator/tokens", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["pointer"] == pointer


def test_mint_rejects_non_json_bodies(web: TestClient) -> None:
    assert web.post("/_emulator/tokens", content=b"user=x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert web.post("/_emulator/tokens", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400


def test_mint_same_seed_same_token_bytes() -> None:
    tokens = []
    for _ in range(2):
        app = create_app(Config(clock="manual", seed=42, rate_limit="off"))
        with TestClient(app, base_url="http://emulator") as client:
            tokens.append((mint(client), mint(client, user="user_z", scopes=["chat:read"], expiresIn=60)))
    assert tokens[0] == tokens[1]
    assert tokens[0][0] != tokens[0][1]
