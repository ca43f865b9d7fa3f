"""The clock control plane: GET/POST /_emulator/clock."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from tests.auth_helpers import START, UNAUTHORIZED, bearer, mint


@pytest.fixture
def control(app: EmulatorApp) -> TestClient:
    return TestClient(app, base_url="http://emulator")


def test_clock_get_manual_starts_at_the_fixed_instant(control: TestClient) -> None:
    response = control.get("/_emulator/clock")
    assert response.status_code == 200
    assert response.json() == {"now": "2025-01-01T00:00:00Z", "epoch": float(START), "mode": "manual"}


def test_clock_advance_moves_time_forward(control: TestClient, app: EmulatorApp) -> None:
    response = control.post("/_emulator/clock", json={"advance": 90.5})
    assert response.status_code == 200
    assert response.json() == {"now": "2025-01-01T00:01:30Z", "epoch": START + 90.5, "mode": "manual"}
    assert app.state.clock.now() == START + 90.5
    assert control.post("/_emulator/clock", json={"advance": 0}).json()["epoch"] == START + 90.5
    assert control.get("/_emulator/clock").json()["epoch"] == START + 90.5


@pytest.mark.parametrize(
    "value, epoch",
    [
        pytest.param("2025-06-01T12:00:00Z", 1748779200.0, id="zulu"),
        pytest.param("2025-06-01T14:00:00+02:00", 1748779200.0, id="offset"),
        pytest.param("2025-06-01T12:00:00.250Z", 1748779200.25, id="fraction"),
        pytest.param("2024-12-31T00:00:00Z", 1735603200.0, id="backwards"),
    ],
)
def test_clock_set_jumps_to_an_instant(control: TestClient, value: str, epoch: float) -> None:
    response = control.post("/_emulator/clock", json={"set": value})
    assert response.status_code == 200
    assert response.json()["epoch"] == epoch and response.json()["mode"] == "manual"


@pytest.mark.parametrize(
    "body, pointer",
    [
        pytest.param({"advance": -1}, "/advance", id="negative-advance"),
        pytest.param({"advance": "60"}, "/advance", id="string-advance"),
        pytest.param({"advance": True}, "/advance", id="boolean-advance"),
        pytest.param({"advance": 1e300}, "/advance", id="past-year-9999"),
        pytest.param({"set": "yesterday"}, "/set", id="bad-date"),
        pytest.param({"set": "2025-13-01T00:00:00Z"}, "/set", id="month-13"),
        pytest.param({"set": "1969-12-31T23:59:59Z"}, "/set", id="before-epoch"),
        pytest.param({"set": 1735689600}, "/set", id="set-number"),
        pytest.param({"rewind": 5}, "/rewind", id="unknown-field"),
        pytest.param({}, None, id="neither"),
        pytest.param({"advance": 1, "set": "2025-06-01T00:00:00Z"}, None, id="both"),
    ],
)
def test_clock_bad_requests_are_422(control: TestClient, app: EmulatorApp, body: dict[str, Any], pointer: str | None) -> None:
    response = control.post("/_emulator/clock", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Unprocessable Entity"
    if pointer is not None:
        assert problem["errors"][0]["pointer"] == pointer
    assert app.state.clock.now() == START  # unchanged


def test_clock_malformed_json_is_400(control: TestClient) -> None:
    response = control.post("/_emulator/clock", content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_clock_system_clock_reads_but_refuses_to_move(make_app: Any) -> None:
    control = TestClient(make_app(clock="system"), base_url="http://emulator")
    body = control.get("/_emulator/clock").json()
    assert body["mode"] == "system" and abs(body["epoch"] - time.time()) < 60
    response = control.post("/_emulator/clock", json={"advance": 5})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Conflict" and "--clock manual" in response.json()["detail"]


def test_clock_reset_rewinds_to_the_start(control: TestClient) -> None:
    control.post("/_emulator/clock", json={"advance": 3600})
    assert control.post("/_emulator/reset").status_code == 204
    assert control.get("/_emulator/clock").json()["epoch"] == float(START)


def test_clock_advancing_through_the_control_plane_expires_tokens(control: TestClient) -> None:
    token = mint(control, expiresIn=60)
    assert control.get("/v1/usage", headers=bearer(token)).status_code == 200
    control.post("/_emulator/clock", json={"advance": 90})  # exp + 30 s leeway
    assert control.get("/v1/usage", headers=bearer(token)).status_code == 200
    control.post("/_emulator/clock", json={"advance": 1})
    response = control.get("/v1/usage", headers=bearer(token))
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
