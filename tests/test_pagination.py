"""Cursor pagination: envelope, keyset stability, tampered and mismatched cursors."""

from __future__ import annotations

import base64

import pytest
from starlette.testclient import TestClient

from emulator.errors import BadRequest
from emulator.pagination import decode_cursor, encode_cursor, query_hash


def walk(client: TestClient, path: str, limit: int, between=None) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, params=params).json()
        assert set(page) >= {"items", "hasMore", "nextCursor"}
        ids += [item["id"] for item in page["items"]]
        if between:
            between()
        if not page["hasMore"]:
            assert page["nextCursor"] is None
            return ids
        cursor = page["nextCursor"]


def test_pagination_walk_45_datasets_exactly_once(client: TestClient) -> None:
    created = [client.post("/v1/datasets", json={"name": f"ds {i}"}).json()["id"] for i in range(45)]
    ids = walk(client, "/v1/datasets", 20)
    assert len(ids) == len(set(ids))
    assert set(created) <= set(ids)
    assert len(ids) == 45 + 2  # plus the two fixture datasets of org_default


def test_pagination_stable_when_items_are_created_between_pages(client: TestClient) -> None:
    created = [client.post("/v1/datasets", json={"name": f"ds {i}"}).json()["id"] for i in range(45)]
    extra: list[str] = []

    def create_one() -> None:
        extra.append(client.post("/v1/datasets", json={"name": "late"}).json()["id"])

    ids = walk(client, "/v1/datasets", 20, between=create_one)
    assert len(ids) == len(set(ids)), "an item was returned twice"
    assert set(created) <= set(ids), "an item was skipped"


def test_pagination_stable_when_items_are_deleted_between_pages(client: TestClient) -> None:
    for i in range(30):
        client.post(
            "/v1/chats",
            json={"modelId": "84d6f2f1-27a5-4b5c-8a53-e2f7f1f5b0a3", "messages": [{"role": "user", "content": f"chat {i}"}]},
        )
    first = client.get("/v1/chats", params={"limit": 10}).json()
    assert first["totalCount"] == 30
    # delete the last item of the first page: the cursor must still resume right after it
    client.delete(f"/v1/chats/{first['items'][-1]['id']}")
    rest = client.get("/v1/chats", params={"limit": 100, "cursor": first["nextCursor"]}).json()
    assert len(rest["items"]) == 20
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in rest["items"]}


def test_pagination_default_limit_is_20(client: TestClient) -> None:
    for i in range(25):
        client.post("/v1/datasets", json={"name": f"ds {i}"})
    page = client.get("/v1/datasets").json()
    assert len(page["items"]) == 20 and page["hasMore"] is True and page["totalCount"] == 27


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5"])
def test_pagination_bad_limit_is_422(client: TestClient, limit: str) -> None:
    response = client.get("/v1/models", params={"limit": limit})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["pointer"] == "#/query/limit"


def _first_cursor(client: TestClient, path: str) -> str:
    cursor = client.get(path, params={"limit": 1}).json()["nextCursor"]
    assert cursor
    return cursor


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda c: c[:-2] + ("A" if c[-2] != "A" else "B") + c[-1], id="flipped-char"),
        pytest.param(lambda c: "not-a-cursor", id="garbage"),
        pytest.param(lambda c: base64.urlsafe_b64encode(b"999.abc.def").decode(), id="forged"),
        pytest.param(lambda c: "%%%", id="bad-base64"),
        pytest.param(lambda c: "", id="empty"),
    ],
)
def test_pagination_tampered_cursor_is_400(client: TestClient, mangle) -> None:
    cursor = mangle(_first_cursor(client, "/v1/models"))
    response = client.get("/v1/models", params={"cursor": cursor})
    if cursor == "":
        assert response.status_code == 200  # an empty cursor means the first page
        return
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "cursor" in response.json()["detail"].lower()


def test_pagination_cursor_from_another_list_is_400(client: TestClient) -> None:
    cursor = _first_cursor(client, "/v1/models/catalog")
    assert client.get("/v1/models", params={"cursor": cursor}).status_code == 400


def test_pagination_cursor_from_another_org_is_400(client: TestClient) -> None:
    cursor = _first_cursor(client, "/v1/models")
    response = client.get("/v1/models", params={"cursor": cursor}, headers={"Authorization": "Bearer other-org-token"})
    assert response.status_code == 400


def test_pagination_cursor_roundtrip_pure() -> None:
    secret = b"k" * 32
    qhash = query_hash("org", "models")
    cursor = encode_cursor(42, qhash, secret)
    assert decode_cursor(cursor, qhash, secret) == 42
    with pytest.raises(BadRequest):
        decode_cursor(cursor, query_hash("org", "other"), secret)
    with pytest.raises(BadRequest):
        decode_cursor(cursor, qhash, b"x" * 32)


def test_pagination_models_list_includes_catalog_then_custom(client: TestClient) -> None:
    ids = walk(client, "/v1/models", 3)
    catalog = walk(client, "/v1/models/catalog", 3)
    assert ids[: len(catalog)] == catalog
    assert "84d6f2f1-27a5-4b5c-8a53-e2f7f1f5b0a3" in ids[len(catalog) :]


def test_pagination_datasets_offset_as_the_official_client_sends(client: TestClient) -> None:
    for i in range(5):
        client.post("/v1/datasets", json={"name": f"ds {i}"})
    page = client.get("/v1/datasets", params={"limit": 3, "offset": 3}).json()
    assert [d["name"] for d in page["items"]] == ["ds 1", "ds 2", "ds 3"]
    assert page["hasMore"] is True and page["totalCount"] == 7
    assert client.get("/v1/datasets", params={"offset": "-1"}).status_code == 422
