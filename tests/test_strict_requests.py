"""Unknown body fields: ignored with a journal warning by default (as production), a 422 in strict mode."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.cli import build_config, main
from tests.conftest import AUTH, chat_body

EXTRA_WARNING = "body.extra: unknown field, ignored"


def _journal(client: TestClient, query: str = "") -> list[dict]:
    response = client.get(f"/_emulator/requests{query}")
    assert response.status_code == 200, response.text
    items: list[dict] = response.json()["items"]
    return items


def _other_org(client: TestClient) -> dict[str, str]:
    token = client.post("/_emulator/tokens", json={"org": "org_other"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_strict_requests_default_ignores_unknown_field_and_records_a_warning(client: TestClient) -> None:
    response = client.post("/v1/datasets", json={"name": "kb", "extra": 1})
    assert response.status_code == 201, response.text
    dataset = client.get(f"/v1/datasets/{response.json()['id']}").json()
    assert dataset["name"] == "kb" and "extra" not in dataset
    entry = _journal(client)[0]
    assert (entry["method"], entry["status"], entry["warnings"]) == ("POST", 201, [EXTRA_WARNING])
    assert _journal(client)[1]["warnings"] == []  # the GET had nothing to warn about


def test_strict_requests_nested_unknown_field_is_named_by_its_path(client: TestClient) -> None:
    body = chat_body()
    body["messages"][0]["mood"] = "curious"
    response = client.post("/v1/chats", json={**body, "clientVersion": "1.2"})
    assert response.status_code == 200, response.text
    assert _journal(client)[0]["warnings"] == [
        "body.clientVersion: unknown field, ignored",
        "body.messages.0.mood: unknown field, ignored",
    ]


def test_strict_requests_other_errors_still_422_without_naming_the_ignored_field(client: TestClient) -> None:
    response = client.post("/v1/datasets", json={"name": "", "extra": 1})
    assert response.status_code == 422
    assert [error["pointer"] for error in response.json()["errors"]] == ["/name"]
    assert _journal(client)[0]["warnings"] == [EXTRA_WARNING]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("?warnings=true", [("POST", 201)], id="only-warned"),
        pytest.param("?warnings=false", [("POST", 201), ("GET", 200)], id="only-clean"),
        pytest.param("?warnings=true&method=GET", [], id="combined-with-method"),
        pytest.param("", [("POST", 201), ("POST", 201), ("GET", 200)], id="unfiltered"),
    ],
)
def test_strict_requests_journal_filters_on_warnings(client: TestClient, query: str, expected: list[tuple[str, int]]) -> None:
    client.post("/v1/datasets", json={"name": "a", "extra": 1})
    client.post("/v1/datasets", json={"name": "b"})
    client.get("/v1/datasets")
    assert [(e["method"], e["status"]) for e in _journal(client, query)] == expected


def test_strict_requests_journal_warnings_filter_must_be_a_boolean(client: TestClient) -> None:
    response = client.get("/_emulator/requests?warnings=maybe")
    assert response.status_code == 422 and "warnings" in response.json()["detail"]


def test_strict_requests_config_rejects_unknown_field_naming_it(make_app: Callable[..., EmulatorApp]) -> None:
    with TestClient(make_app(strict_requests=True), base_url="http://emulator", headers=AUTH) as strict:
        before = strict.get("/v1/datasets").json()["totalCount"]
        response = strict.post("/v1/datasets", json={"name": "kb", "extra": 1})
        assert response.status_code == 422
        assert response.json()["detail"] == "extra: unknown field"
        assert response.json()["errors"] == [{"pointer": "/extra", "detail": "unknown field"}]
        assert strict.get("/v1/datasets").json()["totalCount"] == before
        assert _journal(strict)[1]["warnings"] == []  # rejected, not ignored


def test_strict_requests_per_tenant_through_the_control_plane(client: TestClient) -> None:
    other = _other_org(client)
    switched = client.post("/_emulator/strict-requests", json={"strict": True, "org": "org_default"})
    assert switched.json() == {"org": "org_default", "strict": True}
    assert client.post("/v1/datasets", json={"name": "kb", "extra": 1}).status_code == 422
    assert client.post("/v1/datasets", json={"name": "kb", "extra": 1}, headers=other).status_code == 201
    assert client.get("/_emulator/strict-requests?org=org_other").json() == {"org": "org_other", "strict": False}
    assert client.get("/_emulator/strict-requests").json() == {"strict": False, "default": False, "orgs": {"org_default": True}}
    client.post("/_emulator/strict-requests", json={"strict": None, "org": "org_default"})
    assert client.post("/v1/datasets", json={"name": "kb", "extra": 1}).status_code == 201


def test_strict_requests_server_wide_switch_and_tenant_opt_out(client: TestClient) -> None:
    other = _other_org(client)
    client.post("/_emulator/strict-requests", json={"strict": True})
    client.post("/_emulator/strict-requests", json={"strict": False, "org": "org_other"})
    assert client.post("/v1/datasets", json={"name": "kb", "extra": 1}).status_code == 422
    assert client.post("/v1/datasets", json={"name": "kb", "extra": 1}, headers=other).status_code == 201


def test_strict_requests_reset_restores_the_configured_default(client: TestClient) -> None:
    client.post("/_emulator/strict-requests", json={"strict": True})
    client.post("/_emulator/strict-requests", json={"strict": True, "org": "org_default"})
    client.post("/_emulator/reset")
    assert client.get("/_emulator/strict-requests").json() == {"strict": False, "default": False, "orgs": {}}
    assert client.post("/v1/datasets", json={"name": "kb", "extra": 1}).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing-strict"),
        pytest.param({"strict": "yes"}, id="not-a-boolean"),
        pytest.param({"strict": True, "tenant": "x"}, id="unknown-field"),
    ],
)
def test_strict_requests_control_plane_rejects_bad_bodies(client: TestClient, body: dict) -> None:
    assert client.post("/_emulator/strict-requests", json=body).status_code == 422


def test_strict_requests_control_plane_bodies_stay_strict(client: TestClient) -> None:
    response = client.post("/_emulator/clock", json={"advance": 1, "by": "test"})
    assert response.status_code == 422 and response.json()["detail"] == "by: unknown field"


def test_strict_requests_cli_flag_and_env_reach_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_config().strict_requests is False
    seen = []

    def fake_create_app(config):  # stop before a server would start
        seen.append(config)
        raise SystemExit(0)

    monkeypatch.setattr("emulator.app.create_app", fake_create_app)
    assert CliRunner().invoke(main, ["serve", "--strict-requests"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve"], env={"EMULATOR_STRICT_REQUESTS": "true"}).exit_code == 0
    assert CliRunner().invoke(main, ["serve"], env={"EMULATOR_STRICT_REQUESTS": "false"}).exit_code == 0
    assert [config.strict_requests for config in seen] == [True, True, False]


def test_strict_requests_tenant_reset_drops_only_that_tenants_setting(client: TestClient) -> None:
    client.post("/_emulator/tenants", json={"org": "org_a"})
    client.post("/_emulator/tenants", json={"org": "org_b"})
    for org in ("org_a", "org_b"):
        client.post("/_emulator/strict-requests", json={"strict": True, "org": org})
    assert client.post("/_emulator/reset", json={"org": "org_a"}).status_code == 204
    assert client.get("/_emulator/strict-requests").json()["orgs"] == {"org_b": True}
