"""Helpers for the auth tests: one JWT-ready app per test module, token builders and forgers.

Deriving the signing key costs a fraction of a second, so modules share one app (``jwt_app``) and
reset it before every test (the key survives a reset: it depends on the seed only).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Config, EmulatorApp, create_app

UNAUTHORIZED = {"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "Invalid or expired token."}
INVALID_TOKEN = 'Bearer error="invalid_token"'
START = 1735689600  # the manual clock's start, 2025-01-01T00:00:00Z


@pytest.fixture(scope="module")
def shared_app() -> EmulatorApp:
    return create_app(Config(clock="manual", rate_limit="off"))


@pytest.fixture
def jwt_app(shared_app: EmulatorApp) -> Iterator[EmulatorApp]:
    shared_app.state.reset()
    yield shared_app
    assert not shared_app.state.server_errors, shared_app.state.server_errors


@pytest.fixture
def web(jwt_app: EmulatorApp) -> Iterator[TestClient]:
    """A client of the shared app that sends no token unless a test passes one."""
    with TestClient(jwt_app, base_url="http://emulator") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def mint(client: TestClient, **body: Any) -> str:
    """A token from ``POST /_emulator/tokens``."""
    response = client.post("/_emulator/tokens", json=body)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(data: dict[str, Any]) -> str:
    return b64url(json.dumps(data, separators=(",", ":")).encode())


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (unverified) header and payload of a JWT."""
    header, payload, _ = token.split(".")
    return json.loads(_unb64(header)), json.loads(_unb64(payload))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: str = "") -> str:
    return f"{b64url_json(header)}.{b64url_json(payload)}.{signature}"


def hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    """An HS256 token: the classic algorithm-confusion attack uses the RSA public key as HMAC secret."""
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"
