"""Issue 11 point 7: journal output redacts credentials by default, keeping a short fingerprint."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.redact import fingerprint, redact_body, redact_header


def _print(value: str) -> str:
    return f"[redacted sha256:{hashlib.sha256(value.encode()).hexdigest()[:8]}]"


def _journal(client: TestClient) -> list[dict[str, object]]:
    response = client.get("/_emulator/requests")
    assert response.status_code == 200
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_hardening_journal_redacts_tokens_keeping_fingerprints(client: TestClient) -> None:
    client.get("/v1/models", headers={"Cookie": "session=abc"})
    client.get("/v1/models", headers={"Authorization": "Bearer other-org-token"})
    first, second = _journal(client)[-2:]
    assert first["requestHeaders"]["authorization"] == f"Bearer {_print('test-token')}"  # type: ignore[index]
    assert first["requestHeaders"]["cookie"] == _print("session=abc")  # type: ignore[index]
    assert second["requestHeaders"]["authorization"] == f"Bearer {_print('other-org-token')}"  # type: ignore[index]
    assert "test-token" not in str(_journal(client)) and "other-org-token" not in str(_journal(client))


@pytest.mark.parametrize(
    ("content", "content_type", "secret"),
    [
        pytest.param(
            b"grant_type=client_credentials&client_id=m2m-test-client&client_secret=m2m-test-secret",
            "application/x-www-form-urlencoded",
            "m2m-test-secret",
            id="form",
        ),
        pytest.param(
            b'{"grant_type": "client_credentials", "client_id": "m2m-test-client", "client_secret": "m2m-test-secret"}',
            "application/json",
            "m2m-test-secret",
            id="json",
        ),
    ],
)
def test_hardening_journal_redacts_client_secrets(anon: TestClient, content: bytes, content_type: str, secret: str) -> None:
    assert anon.post("/v1/oauth2/token", content=content, headers={"Content-Type": content_type}).status_code == 200
    [entry] = [e for e in _journal(anon) if e["path"] == "/v1/oauth2/token"]
    body = str(entry["requestBody"])
    assert secret not in body and _print(secret) in body
    assert "m2m-test-client" in body  # the client id is not a secret


def test_hardening_journal_redacts_basic_auth(anon: TestClient) -> None:
    basic = base64.b64encode(b"m2m-test-client:m2m-test-secret").decode()
    headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"}
    assert anon.post("/v1/oauth2/token", content=b"grant_type=client_credentials", headers=headers).status_code == 200
    [entry] = [e for e in _journal(anon) if e["path"] == "/v1/oauth2/token"]
    assert entry["requestHeaders"]["authorization"] == f"Basic {_print(basic)}"  # type: ignore[index]


def test_hardening_show_credentials_option_shows_them(make_app: Callable[..., EmulatorApp]) -> None:
    with TestClient(make_app(show_credentials=True), headers={"Authorization": "Bearer test-token"}) as client:
        client.get("/v1/models")
        assert _journal(client)[-1]["requestHeaders"]["authorization"] == "Bearer test-token"  # type: ignore[index]


def test_hardening_in_memory_journal_keeps_values_for_in_process_tests(app: EmulatorApp, client: TestClient) -> None:
    client.get("/v1/models")
    assert list(app.state.journal)[-1].request_headers["authorization"] == "Bearer test-token"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        pytest.param("Authorization", "Bearer abc", f"Bearer {_print('abc')}", id="bearer"),
        pytest.param("authorization", "bearer abc", f"bearer {_print('abc')}", id="lowercase-scheme"),
        pytest.param("Authorization", "Token abc", _print("Token abc"), id="other-scheme"),
        pytest.param("Set-Cookie", "a=b; HttpOnly", _print("a=b; HttpOnly"), id="set-cookie"),
        pytest.param("Content-Type", "application/json", "application/json", id="not-a-credential"),
    ],
)
def test_hardening_redact_header(name: str, value: str, expected: str) -> None:
    assert redact_header(name, value) == expected


def test_hardening_redact_body_leaves_other_fields() -> None:
    body = r'{"name": "x", "password": "p\"w", "maxTokens": 5, "nested": {"clientSecret": "s"}}'
    assert redact_body(body) == (
        r'{"name": "x", "password": "'
        + fingerprint(r"p\"w")
        + r'", "maxTokens": 5, "nested": {"clientSecret": "'
        + _print("s")
        + '"}}'
    )
