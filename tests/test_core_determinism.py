"""Same seed, same request sequence => byte-identical responses; reset restores the fixtures."""

from __future__ import annotations

from starlette.testclient import TestClient

from emulator import Config, create_app
from tests.conftest import AUTH, chat_body


def _session(seed: int) -> list[bytes]:
    app = create_app(Config(seed=seed, clock="manual"))
    out: list[bytes] = []
    with TestClient(app, headers=AUTH) as c:
        out.append(c.get("/v1/models").content)
        out.append(c.post("/v1/datasets", json={"name": "A"}).content)
        first = c.post("/v1/chats", json=chat_body("Hello"))
        out.append(first.content)
        chat_id = first.json()["id"]
        with c.stream(
            "POST", "/v1/chats", json={"chatId": chat_id, "stream": True, "messages": [{"role": "user", "content": "more"}]}
        ) as r:
            out.append(r.read())
        with c.stream("POST", "/v1/chats", headers={"X-Stream-Format": "ai-sdk"}, json=chat_body("sdk", stream=True)) as r:
            out.append(r.read())
        out.append(
            c.post("/v1/models", json={"parentModelId": "0b6c7a52-5d4e-4c1f-9a57-2f4b8e1d6a01", "displayName": "M"}).content
        )
        out.append(c.get(f"/v1/chats/{chat_id}").content)
        out.append(c.get("/v1/chats", params={"limit": 1}).content)
        out.append(c.get("/v1/usage").content)
    return out


def test_core_determinism_same_seed_gives_identical_bytes() -> None:
    assert _session(42) == _session(42)


def test_core_determinism_other_seed_gives_other_ids() -> None:
    assert _session(1)[1] != _session(2)[1]


def test_core_determinism_reset_restores_fixtures_and_rng(make_app) -> None:
    app = make_app()
    with TestClient(app, headers=AUTH) as c:
        baseline = c.get("/v1/datasets").content
        created = c.post("/v1/datasets", json={"name": "temp"}).content
        c.post("/v1/chats", json=chat_body("hi"))
        app.state.clock.advance(100)
        assert c.post("/_emulator/reset").status_code == 204
        assert c.get("/v1/datasets").content == baseline
        assert c.get("/v1/chats").json()["items"] == []
        assert c.post("/v1/datasets", json={"name": "temp"}).content == created  # same ids, same clock
        assert len(app.state.journal) == 3  # the journal was cleared by the reset


def test_core_determinism_two_apps_in_one_process_are_independent(make_app) -> None:
    first, second = make_app(), make_app()
    with TestClient(first, headers=AUTH) as a, TestClient(second, headers=AUTH) as b:
        a.post("/v1/datasets", json={"name": "only in first"})
        assert len(a.get("/v1/datasets").json()["items"]) == 3
        assert len(b.get("/v1/datasets").json()["items"]) == 2


def test_core_determinism_ids_derive_from_the_tenants_own_requests_only(make_app) -> None:
    quiet, busy = make_app(), make_app()
    with TestClient(quiet, headers=AUTH) as q, TestClient(busy, headers=AUTH) as b:
        for n in range(3):  # another organisation's requests do not move the tenant's ids or order
            assert b.post("/v1/datasets", json={"name": f"other {n}"}).status_code == 201
        made = [client.post("/_tenant/t-one/v1/datasets", json={"name": "mine"}) for client in (q, b)]
        assert made[0].status_code == 201 and made[0].content == made[1].content
        pages = [client.get("/_tenant/t-one/v1/datasets", params={"limit": 1}) for client in (q, b)]
        assert pages[0].content == pages[1].content and pages[0].json()["nextCursor"]


def test_core_determinism_two_tenants_never_share_a_generated_id(make_app) -> None:
    with TestClient(make_app(), headers=AUTH) as c:
        first = c.post("/_tenant/t-a/v1/chats", json=chat_body("same words")).json()
        second = c.post("/_tenant/t-b/v1/chats", json=chat_body("same words")).json()
    assert first["id"] != second["id"]
    assert first["message"]["id"] != second["message"]["id"]
