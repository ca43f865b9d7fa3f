"""The journal records every API request with its outcome; it is bounded."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import AUTH


def test_core_journal_records_requests_with_status_and_caller(client: TestClient, app) -> None:
    client.get("/v1/models")
    client.get("/v1/nope")
    client.post("/v1/datasets", json={"name": "x"})
    entries = list(app.state.journal)
    assert [(e.method, e.path, e.status) for e in entries] == [
        ("GET", "/v1/models", 200),
        ("GET", "/v1/nope", 404),
        ("POST", "/v1/datasets", 201),
    ]
    assert entries[0].org_id == "org_default" and entries[0].user_id == "member_default"
    assert entries[2].request_body == b'{"name":"x"}'


def test_core_journal_is_bounded(make_app) -> None:
    app = make_app(journal_size=5)
    with TestClient(app, headers=AUTH) as c:
        for _ in range(12):
            c.get("/v1/health/liveness")
    assert len(app.state.journal) == 5
    assert [e.seq for e in app.state.journal] == [8, 9, 10, 11, 12]


def test_core_journal_skips_the_control_plane(client: TestClient, app) -> None:
    client.get("/_emulator/health")
    assert len(app.state.journal) == 0
