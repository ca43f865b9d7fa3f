"""Datasets: get with expand[], update, delete, snapshots (create/list), tenancy."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import SUPPORT_BOT
from tests.resource_helpers import OTHER, upload


def test_datasets_round_trip(client: TestClient) -> None:
    created = client.post("/v1/datasets", json={"name": "Legal", "description": "Contracts"}).json()
    got = client.get(f"/v1/datasets/{created['id']}").json()
    assert got == created and got["items"] is None and got["snapshots"] is None
    ids, cursor = [], None
    while True:
        page = client.get("/v1/datasets", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        ids += [d["id"] for d in page["items"]]
        if not page["hasMore"]:
            break
        cursor = page["nextCursor"]
    assert ids[-1] == created["id"] and len(ids) == page["totalCount"] == 3
    patched = client.patch(f"/v1/datasets/{created['id']}", json={"name": "Legal KB", "description": None})
    assert patched.status_code == 200 and patched.json()["name"] == "Legal KB" and patched.json()["description"] is None
    again = client.get(f"/v1/datasets/{created['id']}").json()
    assert again["name"] == "Legal KB" and again["updatedAt"] == patched.json()["updatedAt"]
    assert client.delete(f"/v1/datasets/{created['id']}").status_code == 204
    assert client.get(f"/v1/datasets/{created['id']}").status_code == 404
    assert client.delete(f"/v1/datasets/{created['id']}").status_code == 404
    assert created["id"] not in [d["id"] for d in client.get("/v1/datasets").json()["items"]]


def test_datasets_update_validation(client: TestClient) -> None:
    assert client.patch("/v1/datasets/ds_product_docs", json={"name": ""}).status_code == 422
    assert client.patch("/v1/datasets/ds_product_docs", json={"name": "x" * 201}).status_code == 422
    ignored = client.patch("/v1/datasets/ds_product_docs", json={"other": 1})  # unknown fields: ignored, as production
    assert ignored.status_code == 200 and ignored.json()["name"] == "Product Docs" and "other" not in ignored.json()
    kept = client.patch("/v1/datasets/ds_product_docs", json={"name": None}).json()
    assert kept["name"] == "Product Docs"


def test_datasets_expand_items_and_snapshots(client: TestClient) -> None:
    stored = upload(client, "ds_product_docs", "a.md", b"alpha")
    assert client.get("/v1/datasets/ds_product_docs", params={"expand[]": "items"}).json()["snapshots"] is None
    snapshot = client.post("/v1/datasets/ds_product_docs/snapshots", json={"notes": "first"})
    assert snapshot.status_code == 201
    got = client.get("/v1/datasets/ds_product_docs", params=[("expand[]", "items"), ("expand[]", "snapshots")]).json()
    assert [f["id"] for f in got["items"]] == [stored["id"]]
    assert got["items"][0]["filename"] == "a.md" and got["items"][0]["status"] == "ready"
    assert not any(key.startswith("_") for key in got["items"][0])
    assert got["snapshots"] == [snapshot.json()]


def test_datasets_snapshots_version_and_capture(client: TestClient) -> None:
    base = "/v1/datasets/ds_support_faq/snapshots"
    empty = client.post(base).json()  # the body is optional
    assert empty["id"].startswith("snap_") and empty["version"] == 1 and empty["recordCount"] == 0
    assert empty["status"] == "active" and empty["datasetId"] == "ds_support_faq" and "notes" not in empty
    upload(client, "ds_support_faq", "one.md", b"1")
    upload(client, "ds_support_faq", "two.md", b"2")
    second = client.post(base, json={"notes": "two files"}).json()
    assert second["version"] == 2 and second["recordCount"] == 2
    page = client.get(base, params={"limit": 1}).json()
    assert page["totalCount"] == 2 and page["hasMore"] is True and page["items"] == [empty]
    rest = client.get(base, params={"limit": 1, "cursor": page["nextCursor"]}).json()
    assert rest["items"] == [second] and rest["hasMore"] is False
    assert client.post(base, json={"notes": "x" * 2001}).status_code == 422
    assert client.get("/v1/datasets/ds_product_docs/snapshots").json()["items"] == []


def test_datasets_delete_drops_links_and_snapshots(client: TestClient) -> None:
    client.post("/v1/datasets/ds_product_docs/snapshots")
    client.post(f"/v1/models/{SUPPORT_BOT}/datasets", json={"datasetId": "ds_product_docs"})
    assert client.delete("/v1/datasets/ds_product_docs").status_code == 204
    assert client.get(f"/v1/models/{SUPPORT_BOT}/datasets").json()["items"] == []
    assert client.get("/v1/datasets/ds_product_docs/snapshots").status_code == 404
    assert list(client.app.state.store.collection("org_default", "dataset_snapshots").values()) == []


def test_datasets_are_private_to_their_organisation(client: TestClient) -> None:
    for method, path in [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/snapshots"), ("POST", "/snapshots")]:
        response = client.request(
            method, f"/v1/datasets/ds_product_docs{path}", headers=OTHER, json={} if method in ("PATCH", "POST") else None
        )
        assert response.status_code == 404, (method, path)
    theirs = client.get("/v1/datasets", headers=OTHER).json()["items"]
    assert [d["name"] for d in theirs] == ["Globex Handbook"]
    assert client.get("/v1/datasets/ds_product_docs").status_code == 200
