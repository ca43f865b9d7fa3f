"""CORS: browser apps on another origin call the API (and the control plane) with a bearer token."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.cli import build_config
from emulator.pipeline.cors import EXPOSED_HEADERS, origin_matcher
from tests.conftest import AUTH

LOCAL = "http://localhost:5173"


def preflight(
    origin: str,
    method: str = "POST",
    headers: str = "authorization, content-type, idempotency-key",
) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


@pytest.fixture
def browser(app: Any) -> TestClient:
    return TestClient(app, base_url="http://emulator")


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("http://localhost:5173", id="localhost"),
        pytest.param("http://127.0.0.1:8080", id="ipv4-loopback"),
        pytest.param("http://[::1]:3000", id="ipv6-loopback"),
        pytest.param("https://localhost", id="https-no-port"),
    ],
)
def test_cors_preflight_from_localhost_is_answered_before_auth(browser: TestClient, origin: str) -> None:
    response = browser.options("/v1/chats", headers=preflight(origin))
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == origin
    assert set(response.headers["access-control-allow-methods"].split(", ")) >= {"GET", "POST"}
    assert response.headers["access-control-allow-headers"] == "authorization, content-type, idempotency-key"
    assert response.headers["access-control-max-age"] == "600"
    assert "Origin" in response.headers["vary"]


def test_cors_preflight_for_a_path_with_parameters_lists_its_methods(browser: TestClient) -> None:
    response = browser.options("/v1/chats/chat_1", headers=preflight(LOCAL, "PATCH"))
    assert response.status_code == 204
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE"}


def test_cors_preflight_for_an_unknown_path_allows_the_asked_method(browser: TestClient) -> None:
    response = browser.options("/v1/nowhere", headers=preflight(LOCAL, "GET"))
    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "GET"


def test_cors_preflight_from_a_foreign_origin_is_refused(browser: TestClient) -> None:
    response = browser.options("/v1/chats", headers=preflight("https://evil.example"))
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert response.json()["detail"] == "Origin https://evil.example is not allowed (see --cors-origins)."


def test_cors_plain_options_is_not_a_preflight(browser: TestClient) -> None:
    response = browser.options("/v1/chats", headers={"Origin": LOCAL})
    assert response.status_code == 405
    assert response.headers["access-control-allow-origin"] == LOCAL


@pytest.mark.parametrize(
    "method, path, headers, status",
    [
        pytest.param("GET", "/v1/usage", AUTH, 200, id="success"),
        pytest.param("GET", "/v1/usage", {}, 401, id="unauthorized-problem"),
        pytest.param("GET", "/v1/nowhere", AUTH, 404, id="not-found-problem"),
        pytest.param("POST", "/v1/datasets", AUTH, 422, id="validation-problem"),
        pytest.param("POST", "/v1/oauth2/token", {}, 400, id="oauth-error"),
        pytest.param("GET", "/_emulator/clock", {}, 200, id="control-plane"),
    ],
)
def test_cors_responses_expose_headers_to_allowed_origins(
    browser: TestClient, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    response = browser.request(method, path, headers={**headers, "Origin": LOCAL}, json={} if method == "POST" else None)
    assert response.status_code == status
    assert response.headers["access-control-allow-origin"] == LOCAL
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert exposed >= {
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "idempotent-replayed",
        "x-chat-id",
        "x-vercel-ai-ui-message-stream",
    }
    assert "Origin" in [v.strip() for v in response.headers["vary"].split(",")]


def test_cors_streamed_chat_carries_cors_headers(browser: TestClient) -> None:
    from tests.conftest import chat_body

    response = browser.post(
        "/v1/chats", json=chat_body(stream=True), headers={**AUTH, "Origin": LOCAL, "X-Stream-Format": "ai-sdk"}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == LOCAL
    assert response.headers["access-control-expose-headers"] == EXPOSED_HEADERS


def test_cors_disallowed_origin_gets_no_allow_origin(browser: TestClient) -> None:
    response = browser.get("/v1/usage", headers={**AUTH, "Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["vary"] == "Origin"


def test_cors_no_origin_no_cors_headers(browser: TestClient) -> None:
    response = browser.get("/v1/usage", headers=AUTH)
    assert not [h for h in response.headers if h.startswith("access-control-")]
    assert "vary" not in response.headers


@pytest.mark.parametrize(
    "configured, origin, allowed",
    [
        pytest.param((), "http://localhost:3000", True, id="default-localhost"),
        pytest.param((), "http://LOCALHOST:3000", True, id="default-case-insensitive"),
        pytest.param((), "http://localhost.evil.example", False, id="default-lookalike"),
        pytest.param((), "http://127.0.0.2:3000", False, id="default-other-loopback-ip"),
        pytest.param((), "null", False, id="default-null-origin"),
        pytest.param(("https://app.example",), "https://app.example", True, id="listed"),
        pytest.param(("https://app.example/",), "https://app.example", True, id="listed-trailing-slash"),
        pytest.param(("https://app.example",), "http://localhost:3000", False, id="list-replaces-default"),
        pytest.param(("*",), "https://anything.example", True, id="star"),
    ],
)
def test_cors_origin_matcher(configured: tuple[str, ...], origin: str, allowed: bool) -> None:
    assert origin_matcher(configured)(origin) is allowed


def test_cors_configured_origins_apply_to_preflight_and_responses(make_app: Any) -> None:
    client = TestClient(make_app(cors_origins=("https://app.example", "https://admin.example")), base_url="http://emulator")
    assert client.options("/v1/usage", headers=preflight("https://admin.example", "GET")).status_code == 204
    assert client.options("/v1/usage", headers=preflight(LOCAL, "GET")).status_code == 403
    response = client.get("/v1/usage", headers={**AUTH, "Origin": "https://app.example"})
    assert response.headers["access-control-allow-origin"] == "https://app.example"


def test_cors_star_allows_any_origin(make_app: Any) -> None:
    client = TestClient(make_app(cors_origins=("*",)), base_url="http://emulator")
    response = client.options("/_emulator/tokens", headers=preflight("https://x.example", "POST", "content-type"))
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://x.example"


@pytest.mark.parametrize(
    "option, expected",
    [
        pytest.param("", (), id="unset"),
        pytest.param("*", ("*",), id="star"),
        pytest.param("https://a.example, https://b.example,", ("https://a.example", "https://b.example"), id="list"),
    ],
)
def test_cors_cli_option_builds_config(option: str, expected: tuple[str, ...]) -> None:
    assert build_config(cors_origins=option).cors_origins == expected


def test_cors_cli_reads_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from emulator import cli

    seen: dict[str, Any] = {}

    def capture(**options: Any) -> None:
        seen.update(options)
        raise SystemExit(0)  # stop before a server starts

    monkeypatch.setattr(cli, "build_config", capture)
    result = CliRunner().invoke(cli.main, ["serve"], env={"EMULATOR_CORS_ORIGINS": "https://app.example"})
    assert result.exit_code == 0
    assert seen["cors_origins"] == "https://app.example"
