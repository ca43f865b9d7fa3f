"""Tenants: each minted organisation is a complete copy of the fixture baseline, reset on its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from emulator import Config, EmulatorApp, create_app
from tests.conftest import AUTH, SUPPORT_BOT, chat_body


@pytest.fixture
def tapp() -> EmulatorApp:
    return create_app(Config(clock="manual", rate_limit="on", rate_limit_per_user=6, file_processing="immediate"))


@pytest.fixture
def web(tapp: EmulatorApp) -> Iterator[TestClient]:
    with TestClient(tapp, base_url="http://emulator") as client:
        yield client
    assert not tapp.state.server_errors


def tenant(web: TestClient, org: str) -> dict[str, str]:
    response = web.post("/_emulator/tenants", json={"org": org})
    assert response.status_code in (200, 201), response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def ids(web: TestClient, path: str, headers: dict[str, str]) -> list[str]:
    response = web.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_tenants_create_answers_201_then_200_with_a_token_for_the_fixture_user(web: TestClient) -> None:
    first = web.post("/_emulator/tenants", json={"org": "org_t1"})
    assert first.status_code == 201
    body = first.json()
    assert (body["org"], body["created"], body["template"], body["user"]) == ("org_t1", True, "org_default", "member_default")
    again = web.post("/_emulator/tenants", json={"org": "org_t1"})
    assert again.status_code == 200 and again.json()["created"] is False
    drawn = web.post("/_emulator/tenants")
    assert drawn.status_code == 201 and drawn.json()["org"].startswith("org_")


@pytest.mark.parametrize("path", ["/v1/models", "/v1/datasets", "/v1/system-prompts", "/v1/particles"])
def test_tenants_start_with_the_fixture_data_and_the_same_ids(web: TestClient, path: str) -> None:
    assert ids(web, path, tenant(web, "org_t1")) == ids(web, path, AUTH)


def test_tenants_chat_with_a_fixture_custom_model_and_see_fixture_credits(web: TestClient) -> None:
    headers = tenant(web, "org_t1")
    assert web.get(f"/v1/models/{SUPPORT_BOT}", headers=headers).status_code == 200
    assert web.get("/v1/datasets/ds_product_docs", headers=headers).status_code == 200
    chat = web.post("/v1/chats", json=chat_body(modelId=SUPPORT_BOT), headers=headers)
    assert chat.status_code == 200, chat.text
    mine, fixture = web.get("/v1/usage", headers=headers).json(), web.get("/v1/usage", headers=AUTH).json()
    assert (mine["plan"], mine["credits"]["limit"]) == (fixture["plan"], fixture["credits"]["limit"])
    assert mine["credits"]["used"] > fixture["credits"]["used"] == 7500  # the fixture's 7500 plus this chat


def test_tenants_do_not_see_each_others_new_records(web: TestClient) -> None:
    one, two = tenant(web, "org_t1"), tenant(web, "org_t2")
    created = web.post("/v1/datasets", json={"name": "Mine"}, headers=one)
    assert created.status_code == 201
    assert web.get(f"/v1/datasets/{created.json()['id']}", headers=two).status_code == 404
    assert web.get(f"/v1/datasets/{created.json()['id']}", headers=AUTH).status_code == 404
    web.delete("/v1/datasets/ds_product_docs", headers=one)
    assert web.get("/v1/datasets/ds_product_docs", headers=one).status_code == 404
    assert web.get("/v1/datasets/ds_product_docs", headers=two).status_code == 200  # a copy each


def test_tenants_reset_restores_one_tenant_and_leaves_the_others(web: TestClient) -> None:
    one, two = tenant(web, "org_t1"), tenant(web, "org_t2")
    for headers in (one, two, AUTH):
        assert web.post("/v1/datasets", json={"name": "Extra"}, headers=headers).status_code == 201
        assert web.post("/v1/chats", json=chat_body(modelId=SUPPORT_BOT), headers=headers).status_code == 200
    assert web.post("/_emulator/reset", json={"org": "org_t1"}).status_code == 204
    assert ids(web, "/v1/datasets", one) == ["ds_product_docs", "ds_support_faq"]
    assert ids(web, "/v1/chats", one) == []
    for headers in (two, AUTH):
        assert len(ids(web, "/v1/datasets", headers)) == 3 and len(ids(web, "/v1/chats", headers)) == 1


def test_tenants_reset_forgets_the_tenants_journal_limits_and_scenarios_only(web: TestClient) -> None:
    headers = {org: tenant(web, org) for org in ("org_t1", "org_t2")}
    for org, auth in headers.items():
        assert web.post("/_emulator/scenarios", json={"name": "maintenance", "org": org}).status_code == 201
        statuses = [web.get("/v1/models", headers=auth).status_code for _ in range(7)]
        assert statuses == [503] * 6 + [429]  # six calls a minute per user, scripted 503s count too
    assert web.post("/_emulator/reset", json={"org": "org_t1"}).status_code == 204
    assert {entry["orgId"] for entry in web.get("/_emulator/requests").json()["items"]} == {"org_t2"}
    assert web.get("/v1/models", headers=headers["org_t1"]).status_code == 200  # window and scenario gone
    assert web.get("/v1/models", headers=headers["org_t2"]).status_code == 429  # still limited
    active = {(a["name"], a["org"]) for a in web.get("/_emulator/scenarios").json()["active"]}
    assert active == {("maintenance", "org_t2")}


def test_tenants_reset_of_a_fixture_org_restores_it_and_unknown_org_is_404(web: TestClient) -> None:
    assert web.post("/v1/datasets", json={"name": "Extra"}, headers=AUTH).status_code == 201
    assert web.post("/_emulator/reset", json={"org": "org_default"}).status_code == 204
    assert ids(web, "/v1/datasets", AUTH) == ["ds_product_docs", "ds_support_faq"]
    missing = web.post("/_emulator/reset", json={"org": "org_nobody"})
    assert missing.status_code == 404 and missing.json()["detail"] == "Organization not found: org_nobody"
    bad = web.post("/_emulator/reset", json={"org": "no spaces"})
    assert bad.status_code == 422


def test_tenants_full_reset_forgets_every_tenant(web: TestClient) -> None:
    tenant(web, "org_t1")
    assert web.post("/_emulator/reset").status_code == 204
    assert web.post("/_emulator/tenants", json={"org": "org_t1"}).status_code == 201  # minted anew


def test_tenants_url_prefix_moves_fixture_credentials_into_the_tenant(web: TestClient) -> None:
    base = "/_tenant/org_url"
    created = web.post(f"{base}/v1/datasets", json={"name": "Via URL"}, headers=AUTH)
    assert created.status_code == 201
    assert created.json()["id"] not in ids(web, "/v1/datasets", AUTH)  # org_default untouched
    assert created.json()["id"] in ids(web, f"{base}/v1/datasets", AUTH)
    form = {"grant_type": "client_credentials", "client_id": "m2m-test-client", "client_secret": "m2m-test-secret"}
    token = web.post(f"{base}/v1/oauth2/token", data=form).json()["access_token"]
    assert created.json()["id"] in ids(web, "/v1/datasets", {"Authorization": f"Bearer {token}"})  # the JWT names the tenant
    orgs = [(e["path"], e["orgId"]) for e in web.get("/_emulator/requests", params={"org": "org_url"}).json()["items"]]
    assert ("/v1/oauth2/token", "org_url") in orgs and ("/v1/datasets", "org_url") in orgs
    other = web.get(f"{base}/v1/datasets", headers={"Authorization": "Bearer other-org-token"})
    assert [d["name"] for d in other.json()["items"]] == ["Globex Handbook"]  # another fixture org stays itself
    assert web.post(f"{base}/_emulator/reset").status_code == 404  # no control plane under a tenant URL


def test_tenants_clock_advance_moves_one_tenant_only(web: TestClient) -> None:
    one, two = tenant(web, "org_t1"), tenant(web, "org_t2")
    for _ in range(6):
        web.get("/v1/models", headers=one)
        web.get("/v1/models", headers=two)
    assert web.get("/v1/models", headers=two).status_code == 429
    moved = web.post("/_emulator/clock", json={"org": "org_t1", "advance": 86400})
    assert moved.status_code == 200 and moved.json()["org"] == "org_t1" and moved.json()["offset"] == 86400
    assert moved.json()["now"] == "2025-01-02T00:00:00Z"
    assert web.get("/_emulator/clock").json()["now"] == "2025-01-01T00:00:00Z"  # the server clock stays
    assert web.get("/_emulator/clock", params={"org": "org_t2"}).json()["now"] == "2025-01-01T00:00:00Z"
    assert web.get("/v1/models", headers=one).status_code == 401  # its token (1 h) expired in its own time
    assert web.get("/v1/models", headers=two).status_code == 429  # the other's token and window untouched
    fresh = tenant(web, "org_t1")  # a token minted now is dated by the tenant's clock
    assert web.get("/v1/models", headers=fresh).status_code == 200  # and its window has passed
    created = web.post("/v1/datasets", json={"name": "Later"}, headers=fresh).json()
    assert created["createdAt"] == "2025-01-02T00:00:00Z"


def test_tenants_idempotency_keys_expire_on_their_own_tenants_clock(web: TestClient) -> None:
    two = tenant(web, "org_t2")
    key = {"Idempotency-Key": "kept-by-t2"}
    first = web.post("/v1/datasets", json={"name": "Once"}, headers={**two, **key})
    assert first.status_code == 201
    web.post("/_emulator/clock", json={"org": "org_t1", "advance": 86400 + 120})
    one = tenant(web, "org_t1")  # a token dated by its clock, a day ahead
    later = web.post("/v1/datasets", json={"name": "Later"}, headers={**one, "Idempotency-Key": "t1-key"})
    assert later.status_code == 201  # its keys are swept on its own clock, a day ahead
    again = web.post("/v1/datasets", json={"name": "Once"}, headers={**two, **key})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def test_tenants_reset_forgets_the_tenants_idempotency_keys_only(web: TestClient) -> None:
    headers = {org: tenant(web, org) for org in ("org_t1", "org_t2")}
    key = {"Idempotency-Key": "same-key"}
    made = {org: web.post("/v1/datasets", json={"name": "Once"}, headers={**h, **key}).json()["id"] for org, h in headers.items()}
    assert web.post("/_emulator/reset", json={"org": "org_t1"}).status_code == 204
    anew = web.post("/v1/datasets", json={"name": "Once"}, headers={**headers["org_t1"], **key})
    assert anew.status_code == 201 and "idempotent-replayed" not in anew.headers  # done again, not a replay
    # the reset restarted the tenant's ids (like a full reset): the same first request mints the same id again
    assert anew.json()["id"] == made["org_t1"] and ids(web, "/v1/datasets", headers["org_t1"]).count(anew.json()["id"]) == 1
    kept = web.post("/v1/datasets", json={"name": "Once"}, headers={**headers["org_t2"], **key})
    assert kept.headers["idempotent-replayed"] == "true" and kept.json()["id"] == made["org_t2"]


def test_tenants_stream_pacing_moves_only_the_streaming_tenants_clock(web: TestClient) -> None:
    one, _ = tenant(web, "org_t1"), tenant(web, "org_t2")
    assert web.post("/_emulator/scenarios", json={"name": "slow-first-token", "org": "org_t1"}).status_code == 201
    streamed = web.post("/v1/chats", json=chat_body(modelId=SUPPORT_BOT, stream=True), headers=one)
    assert streamed.status_code == 200 and "[DONE]" in streamed.text
    start = 1735689600.0
    assert web.get("/_emulator/clock", params={"org": "org_t1"}).json()["epoch"] >= start + 1.5  # its waits jumped
    assert web.get("/_emulator/clock", params={"org": "org_t2"}).json()["epoch"] == start  # the other's time stays
    assert web.get("/_emulator/clock").json()["epoch"] == start  # and so does the server's


def test_tenants_reset_puts_the_tenant_back_on_the_server_clock(web: TestClient) -> None:
    tenant(web, "org_t1")
    web.post("/_emulator/clock", json={"org": "org_t1", "set": "2030-06-01T00:00:00Z"})
    assert web.get("/_emulator/clock", params={"org": "org_t1"}).json()["now"] == "2030-06-01T00:00:00Z"
    assert web.post("/_emulator/reset", json={"org": "org_t1"}).status_code == 204
    assert web.get("/_emulator/clock", params={"org": "org_t1"}).json()["offset"] == 0
    web.post("/_emulator/clock", json={"advance": 60})  # a server-wide move shifts every tenant
    assert web.get("/_emulator/clock", params={"org": "org_t1"}).json()["now"] == "2025-01-01T00:01:00Z"


def test_tenants_file_processing_follows_the_tenants_clock() -> None:
    app = create_app(Config(clock="manual", file_processing="seconds:30"))
    with TestClient(app, base_url="http://emulator") as web:
        one, two = tenant(web, "org_t1"), tenant(web, "org_t2")
        files = {}
        for org, headers in (("org_t1", one), ("org_t2", two)):
            upload = web.post("/v1/files", files={"file": ("a.txt", b"hello", "text/plain")}, headers=headers)
            assert upload.status_code in (200, 201, 202), upload.text
            files[org] = upload.json()["id"]
        web.post("/_emulator/clock", json={"org": "org_t1", "advance": 31})
        assert web.get(f"/v1/files/{files['org_t1']}", headers=one).json()["status"] == "ready"
        assert web.get(f"/v1/files/{files['org_t2']}", headers=two).json()["status"] != "ready"


def test_tenants_clock_moves_per_tenant_on_the_system_clock_too() -> None:
    app = create_app(Config(clock="system"))
    with TestClient(app, base_url="http://emulator") as web:
        headers = tenant(web, "org_t1")
        assert web.post("/_emulator/clock", json={"advance": 10}).status_code == 409
        moved = web.post("/_emulator/clock", json={"org": "org_t1", "advance": 7200})
        assert moved.status_code == 200 and moved.json()["mode"] == "system" and moved.json()["offset"] == 7200
        assert web.get("/v1/models", headers=headers).status_code == 401  # expired in the tenant's time
        assert web.get("/v1/models", headers=AUTH).status_code == 200


def test_tenants_settings_override_limits_and_file_processing_for_one_tenant(web: TestClient) -> None:
    settings = {"rate_limit_per_user": 2, "file_processing": "seconds:10"}
    created = web.post("/_emulator/tenants", json={"org": "org_t1", "settings": settings})
    assert created.status_code == 201 and created.json()["settings"] == settings
    one = {"Authorization": f"Bearer {created.json()['token']}"}
    two = tenant(web, "org_t2")
    assert [web.get("/v1/models", headers=one).status_code for _ in range(3)] == [200, 200, 429]
    assert [web.get("/v1/models", headers=two).status_code for _ in range(3)] == [200, 200, 200]  # the server's 6
    upload = web.post("/v1/files", files={"file": ("a.txt", b"hello", "text/plain")}, headers=two)
    assert upload.json()["status"] == "ready"  # the server's immediate processing
    off = web.post("/_emulator/tenants", json={"org": "org_t2", "settings": {"rate_limit": "off"}})
    assert off.status_code == 200 and off.json()["settings"] == {"rate_limit": "off"}
    assert all(web.get("/v1/models", headers=two).status_code == 200 for _ in range(8))
    assert web.post("/_emulator/reset", json={"org": "org_t2"}).status_code == 204
    assert [web.get("/v1/models", headers=two).status_code for _ in range(7)][-1] == 429  # settings gone


@pytest.mark.parametrize(
    ("settings", "detail"),
    [
        pytest.param({"auth": "off"}, "settings.auth: not a per-tenant setting", id="process-wide"),
        pytest.param({"rate_limit": "maybe"}, "settings.rate_limit: expected 'on' or 'off'", id="bad-switch"),
        pytest.param({"rate_limit_per_user": -1}, "settings.rate_limit_per_user: expected a non-negative", id="negative"),
        pytest.param({"file_processing": "later"}, "settings.file_processing: invalid lifecycle", id="bad-lifecycle"),
    ],
)
def test_tenants_settings_refuse_what_is_not_per_tenant(web: TestClient, settings: dict[str, object], detail: str) -> None:
    response = web.post("/_emulator/tenants", json={"org": "org_t1", "settings": settings})
    assert response.status_code == 422 and response.json()["detail"].startswith(detail)


def test_tenants_settings_clock_system_makes_the_tenants_time_flow() -> None:
    app = create_app(Config(clock="manual"))
    with TestClient(app, base_url="http://emulator") as web:
        web.post("/_emulator/tenants", json={"org": "org_t1", "settings": {"clock": "system"}})
        first = web.get("/_emulator/clock", params={"org": "org_t1"}).json()["epoch"]
        assert first == 1735689600.0 or first > 1735689600.0  # continues from the server's instant
        assert web.get("/_emulator/clock", params={"org": "org_t1"}).json()["epoch"] > first  # and flows
        assert web.get("/_emulator/clock").json()["epoch"] == 1735689600.0  # the server clock stays
