"""``/_emulator/requests``: the journal with filters, clearing it, and ``verify`` with near-misses."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import chat_body
from tests.scenario_helpers import activate


@pytest.fixture
def traffic(client: TestClient) -> TestClient:
    activate(client, "name: j\nrules:\n  - name: boom\n    match: {path: /v1/usage}\n    error: 500\n")
    client.get("/v1/models")
    client.post("/v1/chats", json=chat_body("one"))
    client.post("/v1/chats", json=chat_body("two"))
    client.get("/v1/usage")
    client.get("/v1/chats/chat_missing")
    return client


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(
            {}, ["GET /v1/models", "POST /v1/chats", "POST /v1/chats", "GET /v1/usage", "GET /v1/chats/chat_missing"], id="all"
        ),
        pytest.param({"method": "post"}, ["POST /v1/chats", "POST /v1/chats"], id="method"),
        pytest.param({"path": "/v1/chats/{id}"}, ["GET /v1/chats/chat_missing"], id="template"),
        pytest.param({"path": "regex:^/v1/(usage|models)"}, ["GET /v1/models", "GET /v1/usage"], id="regex"),
        pytest.param({"status": "404"}, ["GET /v1/chats/chat_missing"], id="status"),
        pytest.param({"method": "GET", "status": "200"}, ["GET /v1/models"], id="combined"),
    ],
)
def test_control_journal_filters(traffic: TestClient, params: dict[str, str], expected: list[str]) -> None:
    items = traffic.get("/_emulator/requests", params=params).json()["items"]
    assert [f"{i['method']} {i['path']}" for i in items] == expected


def test_control_journal_names_the_rule_that_acted(traffic: TestClient) -> None:
    items = traffic.get("/_emulator/requests").json()["items"]
    assert [i["rule"] for i in items] == [None, None, None, "j#boom", None]
    assert items[3]["status"] == 500 and items[3]["orgId"] == "org_default"


def test_control_journal_bad_status_filter_is_422(client: TestClient) -> None:
    assert client.get("/_emulator/requests", params={"status": "ok"}).status_code == 422


def test_control_journal_clear(traffic: TestClient) -> None:
    assert traffic.delete("/_emulator/requests").status_code == 204
    assert traffic.get("/_emulator/requests").json()["items"] == []


def test_control_verify_success(traffic: TestClient) -> None:
    response = traffic.post("/_emulator/requests/verify", json={"method": "POST", "path": "/v1/chats", "count": 2})
    assert response.status_code == 200
    assert response.json()["matched"] == 2 and response.json()["requests"] == [2, 3]
    at_least = traffic.post("/_emulator/requests/verify", json={"path": "/v1/models"})
    assert at_least.status_code == 200


def test_control_verify_failure_lists_near_misses(traffic: TestClient) -> None:
    response = traffic.post("/_emulator/requests/verify", json={"method": "POST", "path": "/v1/chats", "count": 3})
    assert response.status_code == 417
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Expectation Failed" and problem["matched"] == 2
    assert problem["detail"] == "Expected 3 request(s) matching POST /v1/chats; found 2."
    assert problem["expected"] == {"method": "POST", "path": "/v1/chats", "count": 3}
    near = problem["nearMisses"]
    assert 1 <= len(near) <= 3
    assert near[0]["path"] == "/v1/chats/chat_missing"  # closest: same prefix, wrong method
    assert [n["distance"] for n in near] == sorted(n["distance"] for n in near)


def test_control_verify_never_called(client: TestClient) -> None:
    response = client.post("/_emulator/requests/verify", json={"method": "DELETE", "path": "/v1/chats/{id}"})
    assert response.status_code == 417 and response.json()["nearMisses"] == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param({"count": -1}, "count: expected a non-negative integer", id="negative-count"),
        pytest.param({"count": "3"}, "count: expected a non-negative integer", id="count-string"),
        pytest.param({"method": 1}, "method: expected a string", id="method-int"),
        pytest.param({"paht": "/v1"}, "paht: unknown field", id="unknown-field"),
        pytest.param([], "expected an object", id="not-object"),
    ],
)
def test_control_verify_rejects_bad_bodies(client: TestClient, body: object, detail: str) -> None:
    response = client.post("/_emulator/requests/verify", json=body)
    assert response.status_code == 422 and detail in response.json()["detail"]


def test_control_verify_requires_json(client: TestClient) -> None:
    assert client.post("/_emulator/requests/verify").status_code == 400
    assert (
        client.post("/_emulator/requests/verify", content=b"{oops", headers={"content-type": "application/json"}).status_code
        == 400
    )
