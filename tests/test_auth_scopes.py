"""Scopes per operation (guides.md §1.4), the 401/403 contract, and --auth off."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.auth.scopes import DOCUMENTED_SCOPES, known_scopes, refused_scopes
from emulator.routes import API_ROUTES
from tests import auth_helpers
from tests.auth_helpers import INVALID_TOKEN, UNAUTHORIZED, bearer, mint

shared_app, jwt_app, web = auth_helpers.shared_app, auth_helpers.jwt_app, auth_helpers.web


@pytest.mark.parametrize(
    "method, path, scope",
    [
        pytest.param("POST", "/v1/chats", "chat:invoke", id="create-chat-is-billable"),
        pytest.param("GET", "/v1/chats", "chat:read", id="list-chats"),
        pytest.param("GET", "/v1/chats/c1", "chat:read", id="get-chat"),
        pytest.param("PATCH", "/v1/chats/c1", "chat:write", id="update-chat"),
        pytest.param("DELETE", "/v1/chats/c1", "chat:write", id="delete-chat"),
        pytest.param("GET", "/v1/models", "models:read", id="list-models"),
        pytest.param("GET", "/v1/models/catalog", "models:read", id="model-catalog"),
        pytest.param("POST", "/v1/models", "models:write", id="create-model"),
        pytest.param("GET", "/v1/datasets", "datasets:read", id="list-datasets"),
        pytest.param("POST", "/v1/datasets", "datasets:write", id="create-dataset"),
        pytest.param("GET", "/v1/files", "files:read", id="list-files"),
        pytest.param("POST", "/v1/files", "files:write", id="upload-file"),
        pytest.param("DELETE", "/v1/files/f1", "files:write", id="delete-file"),
        pytest.param("GET", "/v1/files/f1/content", "files:read", id="download-file"),
        pytest.param("GET", "/v1/usage", "usage:read", id="usage"),
    ],
)
def test_scopes_routes_declare_the_documented_scope(jwt_app: EmulatorApp, method: str, path: str, scope: str) -> None:
    route, _ = jwt_app.api_router.match(method, path)
    assert route.scope == scope


@pytest.mark.parametrize(
    "method, path",
    [
        pytest.param("GET", "/v1/health/liveness", id="liveness"),
        pytest.param("POST", "/v1/oauth2/token", id="oauth-token"),
        pytest.param("GET", "/.well-known/jwks.json", id="jwks"),
    ],
)
def test_scopes_public_routes_need_no_token(jwt_app: EmulatorApp, method: str, path: str) -> None:
    route, _ = jwt_app.api_router.match(method, path)
    assert route.auth is False


#: Resource groups §1.4 lists scopes for (it lists none for connectors and channels).
DOCUMENTED_GROUPS = {"chats", "models", "datasets", "files", "particles", "system-prompts", "usage"}


def test_scopes_documented_groups_use_documented_scopes() -> None:
    covered = [r for r in API_ROUTES if r.scope and r.path.split("/")[2] in DOCUMENTED_GROUPS]
    assert covered
    assert {r.scope for r in covered} <= set(DOCUMENTED_SCOPES)
    for r in covered:  # each group's own scope, e.g. /v1/files -> files:*
        group = r.path.split("/")[2]
        assert r.scope.split(":")[0] == ("chat" if group == "chats" else group), (r.method, r.path)


SCOPED = [pytest.param(r, id=f"{r.method} {r.path}") for r in API_ROUTES if r.auth and r.scope]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


@pytest.mark.parametrize("route", SCOPED)
def test_scopes_missing_scope_is_403_with_documented_detail(web: TestClient, route: object) -> None:
    token = mint(web, scopes=[s for s in DOCUMENTED_SCOPES if s not in (route.scope, "org:admin")])  # type: ignore[attr-defined]
    response = web.request(route.method, _concrete(route.path), headers=bearer(token))  # type: ignore[attr-defined]
    assert response.status_code == 403, response.text
    assert response.json() == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": f"Missing required scope: {route.scope}",
    }  # type: ignore[attr-defined]
    assert response.headers["www-authenticate"] == (f'Bearer error="insufficient_scope", scope="{route.scope}"')  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", SCOPED)
def test_scopes_the_one_scope_suffices(web: TestClient, route: object) -> None:
    token = mint(web, scopes=[route.scope])  # type: ignore[attr-defined]
    response = web.request(route.method, _concrete(route.path), headers=bearer(token))  # type: ignore[attr-defined]
    assert response.status_code not in (401, 403), response.text


@pytest.mark.parametrize("scopes", [pytest.param(["*"], id="star"), pytest.param(["org:admin"], id="org-admin")])
def test_scopes_super_scopes_grant_everything(web: TestClient, scopes: list[str]) -> None:
    token = mint(web, scopes=scopes)
    assert web.get("/v1/usage", headers=bearer(token)).status_code == 200
    assert web.post("/v1/datasets", json={"name": "d"}, headers=bearer(token)).status_code == 201


def test_scopes_missing_scope_checked_before_the_body(web: TestClient) -> None:
    token = mint(web, scopes=["chat:read"])
    response = web.post("/v1/chats", content=b"{broken", headers={**bearer(token), "Content-Type": "application/json"})
    assert response.status_code == 403
    assert response.json()["detail"] == "Missing required scope: chat:invoke"


@pytest.mark.parametrize(
    "client_scopes, requested, refused",
    [
        pytest.param(["chat:read"], ["chat:read"], [], id="own-scope"),
        pytest.param(["chat:read"], ["chat:write"], ["chat:write"], id="not-held"),
        pytest.param(["*"], ["usage:read", "files:write"], [], id="star-narrows-to-known"),
        pytest.param(["org:admin"], ["usage:read"], [], id="admin-narrows-to-known"),
        pytest.param(["*"], ["made:up"], ["made:up"], id="unknown-refused"),
    ],
)
def test_scopes_refused_scopes(client_scopes: list[str], requested: list[str], refused: list[str]) -> None:
    assert refused_scopes(client_scopes, requested, known_scopes()) == refused


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer"}, id="empty-bearer"),
        pytest.param({"Authorization": "Basic dGVzdDp0ZXN0"}, id="basic-scheme"),
        pytest.param({"Authorization": "Bearer unknown-token"}, id="unknown-static-token"),
        pytest.param({"Authorization": "test-token"}, id="no-scheme"),
    ],
)
def test_auth_strict_rejects_missing_or_unknown_tokens(web: TestClient, headers: dict[str, str]) -> None:
    response = web.get("/v1/usage", headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response.headers["www-authenticate"] == INVALID_TOKEN


def test_auth_scheme_is_case_insensitive(web: TestClient) -> None:
    assert web.get("/v1/usage", headers={"Authorization": "bearer test-token"}).status_code == 200


@pytest.fixture
def off(make_app: object) -> TestClient:
    app = make_app(auth="off")  # type: ignore[operator]
    return TestClient(app, base_url="http://emulator")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"Authorization": "Bearer whatever"}, id="unknown-token"),
        pytest.param({"Authorization": "Bearer a.b.c"}, id="bad-jwt"),
        pytest.param({"Authorization": "Basic Zm9vOmJhcg=="}, id="other-scheme"),
    ],
)
def test_auth_off_accepts_anything_as_the_default_user(off: TestClient, headers: dict[str, str]) -> None:
    usage = off.get("/v1/usage", headers=headers)
    assert usage.status_code == 200
    assert usage.json()["plan"]["tier"] == "pro"  # org_default, the first fixture token's organisation
    created = off.post("/v1/datasets", json={"name": "anything"}, headers=headers)
    assert created.status_code == 201  # the default user holds every scope


def test_auth_off_still_honours_a_known_token_but_never_refuses(off: TestClient) -> None:
    assert off.get("/v1/usage", headers=bearer("other-org-token")).json()["plan"]["tier"] == "free"
    created = off.post("/v1/datasets", json={"name": "r"}, headers=bearer("read-only-token"))
    assert created.status_code == 201  # the token's user, but no scope check
    no_scopes = mint(off, scopes=[])
    assert off.get("/v1/usage", headers=bearer(no_scopes)).status_code == 200
    token = mint(off, org="org_off")
    names = [d["name"] for d in off.get("/v1/datasets", headers=bearer(token)).json()["items"]]
    assert names == ["Product Docs", "Support FAQ"]  # the token's own (minted) organisation: the fixtures, not "r"
    assert off.get("/_emulator/health").json()["auth"] == "off"
