"""``/_emulator/scenarios``: list, activate by name or YAML (JSON or raw body), bad uploads, deactivate;
the admin token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from tests.conftest import AUTH
from tests.scenario_helpers import OTHER_ORG, activate

BAD = "name: bad\nrules:\n  - match: {path: /v1/models}\n    when: {times: many}\n    error: 500\n"


def test_control_scenarios_lists_available_with_descriptions(client: TestClient) -> None:
    body = client.get("/_emulator/scenarios").json()
    assert body["active"] == []
    available = {item["name"]: item for item in body["available"]}
    assert {"happy-path", "flaky-5xx", "maintenance", "stream-cut"} <= set(available)
    assert available["flaky-5xx"]["description"] and available["flaky-5xx"]["seed"] == 5


def test_control_scenarios_activate_by_name_returns_summary(client: TestClient) -> None:
    response = client.post("/_emulator/scenarios", json={"name": "maintenance"})
    assert response.status_code == 201
    assert response.json()["name"] == "maintenance" and response.json()["origin"] == "runtime"
    assert client.get("/v1/models").status_code == 503
    client.get("/v1/models")
    active = client.get("/_emulator/scenarios").json()["active"]
    assert active[0]["organizations"] == {"org_default": {"state": "start", "calls": {"maintenance#down": 2}}}


def test_control_scenarios_activate_raw_yaml_body(client: TestClient) -> None:
    text = "name: raw\nrules:\n  - match: {path: /v1/models}\n    error: 500\n"
    response = client.post("/_emulator/scenarios", content=text.encode(), headers={"Content-Type": "application/yaml"})
    assert response.status_code == 201 and response.json()["source"] == "<upload>"
    assert client.get("/v1/models").status_code == 500


@pytest.mark.parametrize("as_raw", [pytest.param(False, id="json"), pytest.param(True, id="raw-yaml")])
def test_control_scenarios_bad_upload_is_422_and_keeps_active(client: TestClient, as_raw: bool) -> None:
    activate(client, "name: keep\nrules:\n  - match: {path: /v1/models}\n    error: 502\n")
    if as_raw:
        response = client.post("/_emulator/scenarios", content=BAD.encode(), headers={"Content-Type": "text/yaml"})
    else:
        response = client.post("/_emulator/scenarios", json={"yaml": BAD})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith("<upload>:4: rules[0].when.times:")
    assert problem["errors"] == [
        {"file": "<upload>", "line": 4, "path": "rules[0].when.times", "detail": "expected integer, got a string"}
    ]
    assert [a["name"] for a in client.get("/_emulator/scenarios").json()["active"]] == ["keep"]
    assert client.get("/v1/models").status_code == 502


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        pytest.param({"name": "no-such-scenario"}, 404, "No scenario named 'no-such-scenario'", id="unknown-name"),
        pytest.param({}, 422, "exactly one of 'name'", id="empty"),
        pytest.param({"name": "a", "yaml": "b"}, 422, "exactly one of", id="both"),
        pytest.param({"name": 3}, 422, "name: expected a non-empty string", id="name-not-string"),
        pytest.param({"nme": "x"}, 422, "nme: unknown field", id="unknown-field"),
        pytest.param([1], 422, "expected an object", id="not-object"),
        pytest.param({"yaml": "name: [\n"}, 422, "invalid YAML", id="yaml-syntax"),
    ],
)
def test_control_scenarios_activate_rejects_bad_requests(client: TestClient, body: object, status: int, detail: str) -> None:
    response = client.post("/_emulator/scenarios", json=body)
    assert response.status_code == status
    assert detail in response.json()["detail"]


def test_control_scenarios_rejects_other_media_types(client: TestClient) -> None:
    response = client.post("/_emulator/scenarios", content=b"name=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_control_scenarios_deactivate(client: TestClient) -> None:
    activate(client, "name: gone\nrules:\n  - error: 500\n")
    assert client.delete("/_emulator/scenarios/gone").status_code == 204
    assert client.get("/v1/models").status_code == 200
    missing = client.delete("/_emulator/scenarios/gone")
    assert missing.status_code == 404 and missing.json()["detail"] == "Scenario 'gone' is not active."


def test_control_scenarios_org_scoped_activation(client: TestClient) -> None:
    summary = activate(client, "name: mine\nrules:\n  - error: 500\n", org="org_default")
    assert summary["org"] == "org_default"
    assert client.get("/v1/models").status_code == 500
    assert client.get("/v1/models", headers=OTHER_ORG).status_code == 200


def test_control_scenarios_scenarios_dir_wins_over_bundled(make_app: Callable[..., EmulatorApp], tmp_path: Path) -> None:
    (tmp_path / "maintenance.yaml").write_text("name: maintenance\ndescription: mine\nrules:\n  - error: 418\n")
    app = make_app(scenarios_dir=tmp_path)
    with TestClient(app, base_url="http://emulator", headers=AUTH) as client:
        listed = {s["name"]: s for s in client.get("/_emulator/scenarios").json()["available"]}
        assert listed["maintenance"]["description"] == "mine"
        assert client.post("/_emulator/scenarios", json={"name": "maintenance"}).status_code == 201
        assert client.get("/v1/models").status_code == 418


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 401, id="missing"),
        pytest.param({"Authorization": "Bearer wrong"}, 401, id="wrong"),
        pytest.param({"Authorization": "Bearer s3cret"}, 200, id="right"),
    ],
)
@pytest.mark.parametrize("path", ["/_emulator/scenarios", "/_emulator/requests", "/_emulator/clock"])
def test_control_admin_token_protects_control_plane(
    make_app: Callable[..., EmulatorApp], path: str, headers: dict[str, str], status: int
) -> None:
    app = make_app(admin_token="s3cret")
    with TestClient(app, base_url="http://emulator") as client:
        response = client.get(path, headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Unauthorized"


def test_control_admin_token_leaves_health_open_for_probes(make_app: Callable[..., EmulatorApp]) -> None:
    app = make_app(admin_token="s3cret")
    with TestClient(app, base_url="http://emulator") as client:
        assert client.get("/_emulator/health").status_code == 200
        assert client.post("/_emulator/reset").status_code == 401


def test_control_admin_token_does_not_touch_the_api(make_app: Callable[..., EmulatorApp]) -> None:
    app = make_app(admin_token="s3cret")
    with TestClient(app, base_url="http://emulator", headers=AUTH) as client:
        assert client.get("/v1/models").status_code == 200
