"""M2M OAuth 2.0 client credentials at POST /v1/oauth2/token (RFC 6749 §4.4, errors per §5.2)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from tests import auth_helpers
from tests.auth_helpers import START, UNAUTHORIZED, bearer, parts

shared_app, jwt_app, web = auth_helpers.shared_app, auth_helpers.jwt_app, auth_helpers.web

TOKEN_URL = "/v1/oauth2/token"
CLIENT = {"client_id": "m2m-test-client", "client_secret": "m2m-test-secret", "grant_type": "client_credentials"}
READONLY = {"client_id": "m2m-readonly-client", "client_secret": "m2m-readonly-secret", "grant_type": "client_credentials"}
ALL_SCOPES = (
    "chat:invoke chat:read chat:write models:read models:write datasets:read datasets:write files:read "
    "files:write particles:read particles:write system-prompts:read system-prompts:write usage:read org:admin"
)


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def assert_token_response(response: Any, scope: str) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("bearer", 3600, scope)
    assert body["access_token"].startswith("eyJhbGciOiJSUzI1NiIs")
    token: str = body["access_token"]
    return token


def test_oauth_json_body_issues_a_working_token(web: TestClient) -> None:
    token = assert_token_response(web.post(TOKEN_URL, json=CLIENT), ALL_SCOPES)
    payload = parts(token)[1]
    assert (payload["sub"], payload["org"], payload["exp"] - payload["iat"]) == ("member_default", "org_default", 3600)
    usage = web.get("/v1/usage", headers=bearer(token))
    assert usage.status_code == 200 and usage.json()["plan"]["tier"] == "pro"


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda c: c.post(TOKEN_URL, data=READONLY), id="form"),
        pytest.param(
            lambda c: c.post(
                TOKEN_URL,
                content=b"grant_type=client_credentials&client_id=m2m-readonly-client&client_secret=m2m-readonly-secret",
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
            ),
            id="form-charset",
        ),
        pytest.param(
            lambda c: c.post(
                TOKEN_URL, data={"grant_type": "client_credentials"}, headers=basic("m2m-readonly-client", "m2m-readonly-secret")
            ),
            id="basic-form",
        ),
        pytest.param(
            lambda c: c.post(
                TOKEN_URL, json={"grant_type": "client_credentials"}, headers=basic("m2m-readonly-client", "m2m-readonly-secret")
            ),
            id="basic-json",
        ),
        pytest.param(lambda c: c.post(TOKEN_URL, json={**READONLY, "audience": "ignored"}), id="json-unknown-param"),
        pytest.param(
            lambda c: c.post(
                TOKEN_URL,
                data={"grant_type": "client_credentials", "client_id": "m2m-readonly-client"},
                headers=basic("m2m-readonly-client", "m2m-readonly-secret"),
            ),
            id="basic-with-same-client-id-in-body",
        ),
        pytest.param(
            lambda c: c.post(
                TOKEN_URL,
                data={"grant_type": "client_credentials"},
                headers=basic("m2m%2Dreadonly%2Dclient", "m2m-readonly-secret"),
            ),
            id="basic-form-urlencoded-credentials",
        ),
    ],
)
def test_oauth_accepts_form_json_and_basic_client_auth(web: TestClient, send: Any) -> None:
    token = assert_token_response(send(web), "chat:read models:read datasets:read usage:read")
    payload = parts(token)[1]
    assert (payload["sub"], payload["org"]) == ("member_reader", "org_default")
    assert web.get("/v1/models", headers=bearer(token)).status_code == 200
    denied = web.post("/v1/datasets", json={"name": "x"}, headers=bearer(token))
    assert denied.status_code == 403
    assert denied.json()["detail"] == "Missing required scope: datasets:write"


def test_oauth_scope_parameter_narrows_the_token(web: TestClient) -> None:
    token = assert_token_response(
        web.post(TOKEN_URL, json={**CLIENT, "scope": "models:read usage:read"}), "models:read usage:read"
    )
    assert web.get("/v1/usage", headers=bearer(token)).status_code == 200
    response = web.post("/v1/chats", json={"modelId": "x", "messages": []}, headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["detail"] == "Missing required scope: chat:invoke"


def test_oauth_token_expires_after_an_hour_of_clock_time(web: TestClient, jwt_app: EmulatorApp) -> None:
    token = assert_token_response(web.post(TOKEN_URL, json=CLIENT), ALL_SCOPES)
    jwt_app.state.clock.advance(3600)
    assert web.get("/v1/usage", headers=bearer(token)).status_code == 200  # exp itself, within the leeway
    jwt_app.state.clock.advance(31)
    expired = web.get("/v1/usage", headers=bearer(token))
    assert expired.status_code == 401 and expired.json() == UNAUTHORIZED
    fresh = assert_token_response(web.post(TOKEN_URL, json=CLIENT), ALL_SCOPES)
    assert parts(fresh)[1]["iat"] == START + 3631
    assert web.get("/v1/usage", headers=bearer(fresh)).status_code == 200


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    "kwargs, status, error",
    [
        pytest.param({"json": {**CLIENT, "client_id": "nobody"}}, 401, "invalid_client", id="unknown-client"),
        pytest.param({"json": {**CLIENT, "client_secret": "wrong"}}, 401, "invalid_client", id="wrong-secret"),
        pytest.param(
            {"json": {"grant_type": "client_credentials", "client_id": "m2m-test-client"}},
            401,
            "invalid_client",
            id="missing-secret",
        ),
        pytest.param({"json": {"grant_type": "client_credentials"}}, 401, "invalid_client", id="no-credentials"),
        pytest.param({"json": {**CLIENT, "client_secret": ""}}, 401, "invalid_client", id="empty-secret"),
        pytest.param(
            {"data": {"grant_type": "client_credentials"}, "headers": basic("m2m-test-client", "nope")},
            401,
            "invalid_client",
            id="basic-wrong-secret",
        ),
        pytest.param(
            {"data": {"grant_type": "client_credentials"}, "headers": {"Authorization": "Basic %%%"}},
            401,
            "invalid_client",
            id="basic-undecodable",
        ),
        pytest.param({"json": {**CLIENT, "grant_type": "password"}}, 400, "unsupported_grant_type", id="password-grant"),
        pytest.param(
            {"data": {**CLIENT, "grant_type": "authorization_code"}}, 400, "unsupported_grant_type", id="code-grant-form"
        ),
        pytest.param(
            {"json": {k: v for k, v in CLIENT.items() if k != "grant_type"}}, 400, "invalid_request", id="missing-grant-type"
        ),
        pytest.param({"content": b"", "headers": {"Content-Type": "application/json"}}, 400, "invalid_request", id="empty-body"),
        pytest.param(
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_request",
            id="malformed-json",
        ),
        pytest.param({"json": [CLIENT]}, 400, "invalid_request", id="json-array"),
        pytest.param({"json": {**CLIENT, "client_secret": 42}}, 400, "invalid_request", id="non-string-value"),
        pytest.param(
            {"content": b"grant_type=client_credentials&grant_type=client_credentials", "headers": FORM},
            400,
            "invalid_request",
            id="repeated-parameter",
        ),
        pytest.param({"content": b"\xff\xfe", "headers": FORM}, 400, "invalid_request", id="form-not-utf8"),
        pytest.param(
            {"content": b"grant_type client_credentials", "headers": {"Content-Type": "text/plain"}},
            400,
            "invalid_request",
            id="unsupported-media-type",
        ),
        pytest.param(
            {"json": CLIENT, "headers": basic("m2m-test-client", "m2m-test-secret")},
            400,
            "invalid_request",
            id="two-client-auth-methods",
        ),
        pytest.param(
            {
                "json": {"grant_type": "client_credentials", "client_id": "m2m-readonly-client"},
                "headers": basic("m2m-test-client", "m2m-test-secret"),
            },
            400,
            "invalid_request",
            id="basic-and-body-name-different-clients",
        ),
        pytest.param({"json": {**READONLY, "scope": "chat:invoke"}}, 400, "invalid_scope", id="scope-not-granted"),
        pytest.param({"json": {**CLIENT, "scope": "models:read bogus:scope"}}, 400, "invalid_scope", id="unknown-scope"),
    ],
)
def test_oauth_errors_follow_rfc6749(web: TestClient, kwargs: dict[str, Any], status: int, error: str) -> None:
    response = web.post(TOKEN_URL, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error and body["error_description"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic ")


def test_oauth_invalid_scope_names_the_refused_scope(web: TestClient) -> None:
    body = web.post(TOKEN_URL, json={**READONLY, "scope": "models:read files:write"}).json()
    assert body == {"error": "invalid_scope", "error_description": "Scope not granted to this client: files:write."}


def test_oauth_token_endpoint_needs_no_bearer_and_ignores_one(web: TestClient) -> None:
    response = web.post(TOKEN_URL, json=CLIENT, headers=bearer("garbage"))
    assert response.status_code == 200


def test_oauth_other_methods_are_405(web: TestClient) -> None:
    response = web.get(TOKEN_URL)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
