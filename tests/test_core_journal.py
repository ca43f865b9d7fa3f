"""The journal records every API request with its outcome; it is bounded."""

from __future__ import annotations

from starlette.testclient import TestClient

from emulator.journal import Journal
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


def _finished(pending: tuple, status: int, org: str | None = None) -> tuple:  # type: ignore[type-arg]
    return (*pending, b"", status, [], org, None, None, 0.25, False, b"{}", None, None, ())


def test_core_journal_keeps_a_request_in_flight_then_its_record_in_its_place() -> None:
    journal = Journal(3)
    first = journal.begin(1.0, "GET", "/v1/models", "", [(b"host", b"x")])
    second = journal.begin(2.0, "POST", "/v1/chats", "", [])
    assert [(e.seq, e.status) for e in journal] == [(1, None), (2, None)]  # in flight, in arrival order
    journal.finish(second, _finished(second, 201))
    journal.finish(first, _finished(first, 200))
    entries = list(journal)
    assert [(e.seq, e.method, e.status, e.duration_ms) for e in entries] == [(1, "GET", 200, 250.0), (2, "POST", 201, 250.0)]
    assert entries[0].request_headers == {"host": "x"} and journal.get(2) == entries[1]
    assert all(type(item) is tuple for item in journal._entries)  # formatted only when read


def test_core_journal_finish_never_lands_on_another_request() -> None:
    journal = Journal(2)
    old = journal.begin(1.0, "GET", "/a", "", [])
    journal.clear()  # a reset while ``old`` was in flight: the numbers start over
    new = journal.begin(2.0, "GET", "/b", "", [])
    journal.finish(old, _finished(old, 500))
    assert [(e.path, e.status) for e in journal] == [("/b", None)]
    kept = journal.begin(3.0, "GET", "/c", "", [])
    journal.finish(new, _finished(new, 200, org="org_t1"))
    journal.forget_org("org_t1")  # numbers are no longer dense: the record still finds its place
    journal.finish(kept, _finished(kept, 204))
    assert [(e.path, e.status) for e in journal] == [("/c", 204)]
    for n in range(3):  # ``kept`` leaves the ring
        journal.begin(4.0 + n, "GET", f"/d{n}", "", [])
    journal.finish(kept, _finished(kept, 200))
    assert [e.path for e in journal] == ["/d1", "/d2"]
