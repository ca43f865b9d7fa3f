"""RAG sources: a model with linked datasets cites the stored, ready files of those datasets."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import AUTH, SUPPORT_BOT, chat_body
from tests.resource_helpers import link, stream, upload


def _dataset(client: TestClient, name: str = "Policies") -> str:
    return client.post("/v1/datasets", json={"name": name}).json()["id"]


def test_chats_sources_cite_a_linked_ready_file(client: TestClient) -> None:
    dataset_id = _dataset(client)
    stored_file = upload(client, dataset_id, "refund-policy.md")
    link(client, SUPPORT_BOT, dataset_id)
    message = client.post("/v1/chats", json=chat_body("What is the refund policy?")).json()["message"]
    (source,) = message["sources"]
    assert source["filename"] == "refund-policy.md" and source["datasetId"] == dataset_id
    assert source["contentType"] == "prose" and 0 <= source["score"] <= 1
    assert source["chunkId"] and source["sourceId"]
    assert source["sourceUrl"] == f"/v1/files/{stored_file['id']}/content"
    assert client.get(source["sourceUrl"]).status_code == 200


def test_chats_sources_native_first_chunk_and_ai_sdk_source_document(client: TestClient) -> None:
    dataset_id = _dataset(client)
    upload(client, dataset_id, "guide.csv", b"a,b\n1,2\n", "text/csv")
    link(client, SUPPORT_BOT, dataset_id)
    chunks = stream(client, chat_body("question"))
    assert chunks[0]["sources"][0]["filename"] == "guide.csv"
    assert chunks[0]["sources"][0]["contentType"] == "tabular"
    assert all("sources" not in c for c in chunks[1:])
    assert "".join(c["delta"] for c in chunks) == client.get(f"/v1/chats/{chunks[0]['id']}").json()["messages"][-1]["content"]
    parts = stream(client, chat_body("question"), ai_sdk=True)
    documents = [p for p in parts if p["type"] == "source-document"]
    assert documents == [
        {"type": "source-document", "sourceId": chunks[0]["sources"][0]["sourceId"], "mediaType": "file", "title": "guide.csv"}
    ]
    types = [p["type"] for p in parts]
    assert types.index("source-document") < types.index("text-start")


def test_chats_sources_absent_without_links(client: TestClient) -> None:
    upload(client, _dataset(client))
    message = client.post("/v1/chats", json=chat_body("q")).json()["message"]
    assert "sources" not in message
    assert all("sources" not in c for c in stream(client, chat_body("q")))


def test_chats_sources_only_ready_files(make_app) -> None:
    app = make_app(file_processing="polls:2")
    with TestClient(app, headers=AUTH) as client:
        dataset_id = _dataset(client)
        stored_file = upload(client, dataset_id, wait=False)
        assert stored_file["status"] == "uploaded"
        link(client, SUPPORT_BOT, dataset_id)
        assert "sources" not in client.post("/v1/chats", json=chat_body("q")).json()["message"]
        while client.get(f"/v1/files/{stored_file['id']}").json()["status"] != "ready":
            pass
        assert client.post("/v1/chats", json=chat_body("q")).json()["message"]["sources"][0]["filename"] == "refund-policy.md"


def test_chats_sources_pinned_snapshot_limits_the_files(client: TestClient) -> None:
    dataset_id = _dataset(client)
    upload(client, dataset_id, "old.md", b"old content")
    snapshot = client.post(f"/v1/datasets/{dataset_id}/snapshots", json={"notes": "v1"}).json()
    upload(client, dataset_id, "new.md", b"new content")
    link(client, SUPPORT_BOT, dataset_id, datasetSnapshotId=snapshot["id"])
    names = {s["filename"] for s in client.post("/v1/chats", json=chat_body("q")).json()["message"]["sources"]}
    assert names == {"old.md"}
    client.patch(f"/v1/models/{SUPPORT_BOT}/datasets/{dataset_id}", json={"datasetSnapshotId": None})
    names = {s["filename"] for s in client.post("/v1/chats", json=chat_body("q")).json()["message"]["sources"]}
    assert names == {"old.md", "new.md"}


def test_chats_sources_at_most_three_highest_priority_first(client: TestClient) -> None:
    low, high = _dataset(client, "low"), _dataset(client, "high")
    for i in range(3):
        upload(client, low, f"low-{i}.md", f"low {i}".encode())
    upload(client, high, "high.md", b"high")
    link(client, SUPPORT_BOT, low, priority=1)
    link(client, SUPPORT_BOT, high, priority=50)
    sources = client.post("/v1/chats", json=chat_body("q")).json()["message"]["sources"]
    assert len(sources) == 3
    scores = [s["score"] for s in sources]
    assert scores == sorted(scores, reverse=True)
    assert "high.md" in {s["filename"] for s in sources}  # the high-priority dataset is searched first
    again = client.post("/v1/chats", json=chat_body("q")).json()["message"]["sources"]
    assert [s["chunkId"] for s in again] == [s["chunkId"] for s in sources]  # same conversation, same citations
