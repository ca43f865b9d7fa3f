"""Files: upload, list, get, content, delete, associations, limits, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.domain import files as files_domain
from tests.schema_helpers import assert_matches

MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def upload(
    client: TestClient,
    name: str = "notes.txt",
    content: bytes = b"hello world",
    content_type: str = "text/plain",
    **fields: str,
) -> Any:
    return client.post("/v1/files", files={"file": (name, content, content_type)}, data=fields or None)


def test_files_round_trip(client: TestClient) -> None:
    created = [upload(client, f"doc{i}.md", f"# Doc {i}\n".encode(), "text/markdown") for i in range(3)]
    assert [r.status_code for r in created] == [201, 201, 201]
    first = created[0].json()
    assert first["filename"] == "doc0.md" and first["contentType"] == "text/markdown"
    assert first["sizeBytes"] == len(b"# Doc 0\n") and first["status"] == "uploaded" and first["source"] == "api"
    file_id = first["id"]
    assert file_id.startswith("file_")

    got = client.get(f"/v1/files/{file_id}")
    assert got.status_code == 200 and got.json()["id"] == file_id and got.json()["status"] == "processing"
    assert client.get(f"/v1/files/{file_id}").json()["status"] == "ready"  # the default: ready on the second GET

    seen, cursor = [], None
    while True:
        page = client.get("/v1/files", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["id"] for item in page["items"]]
        if not page["hasMore"]:
            assert page["nextCursor"] is None
            break
        cursor = page["nextCursor"]
    assert seen == [r.json()["id"] for r in created]

    linked = client.post(
        f"/v1/files/{file_id}/associations",
        data={"resource_type": "dataset", "resource_id": "ds_product_docs"},
    )
    assert linked.status_code == 200
    assert [(a["resourceType"], a["resourceId"]) for a in client.get(f"/v1/files/{file_id}").json()["associations"]] == [
        ("dataset", "ds_product_docs")
    ]

    deleted = client.delete(f"/v1/files/{file_id}")
    assert deleted.status_code == 204 and deleted.content == b""
    missing = client.get(f"/v1/files/{file_id}")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert client.delete(f"/v1/files/{file_id}").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "declared", "stored"),
    [
        pytest.param("image.png", PNG, "image/png", "image/png", id="binary"),
        pytest.param("data.json", b'{"a": [1, 2]}', "application/octet-stream", "application/json", id="typed-by-ext"),
        pytest.param("r\u00e9sum\u00e9.txt", "caf\u00e9".encode(), "text/plain", "text/plain", id="non-ascii-name"),
    ],
)
def test_files_content_returns_the_uploaded_bytes(
    client: TestClient, name: str, content: bytes, declared: str, stored: str
) -> None:
    file_id = upload(client, name, content, declared).json()["id"]
    got = client.get(f"/v1/files/{file_id}/content")
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-type"] == stored
    assert got.headers["content-disposition"].startswith("attachment; filename=")
    if name.isascii():
        assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
    else:
        assert "filename*=UTF-8''r%C3%A9sum%C3%A9.txt" in got.headers["content-disposition"]


@pytest.mark.parametrize(
    ("mode", "step"),
    [
        pytest.param("immediate", None, id="immediate"),
        pytest.param("polls:3", None, id="polls"),
        pytest.param("seconds:30", 10.0, id="seconds"),
    ],
)
def test_files_one_megabyte_upload_becomes_ready(make_app: Any, mode: str, step: float | None) -> None:
    app = make_app(file_processing=mode)
    content = (b"The quick brown fox jumps over the lazy dog.\n" * (MB // 45 + 1))[:MB]
    with TestClient(app, base_url="http://emulator", headers={"Authorization": "Bearer test-token"}) as client:
        created = upload(client, "big.txt", content)
        assert created.status_code == 201 and created.json()["sizeBytes"] == MB
        statuses = [created.json()["status"]]
        file_id = created.json()["id"]
        while statuses[-1] != "ready":
            assert len(statuses) < 10, statuses
            if step:
                app.state.clock.advance(step)
            body = client.get(f"/v1/files/{file_id}").json()
            statuses.append(body["status"])
            if body["status"] == "processing":
                assert body["processedAt"] is None and 0 <= body["processingStatus"]["progress"] < 100
        assert body_of(client, file_id)["processedAt"] is not None
        assert client.get(f"/v1/files/{file_id}/content").content == content
    expected = {
        "immediate": ["ready"],
        "polls:3": ["uploaded", "processing", "processing", "ready"],
        "seconds:30": ["uploaded", "processing", "processing", "ready"],
    }[mode]
    assert statuses == expected


def body_of(client: TestClient, file_id: str) -> dict[str, Any]:
    return client.get(f"/v1/files/{file_id}").json()


def test_files_seconds_mode_sets_processed_at_to_the_deadline(make_app: Any) -> None:
    app = make_app(file_processing="seconds:5")
    with TestClient(app, base_url="http://emulator", headers={"Authorization": "Bearer test-token"}) as client:
        file_id = upload(client).json()["id"]
        app.state.clock.advance(60)
        body = body_of(client, file_id)
    assert body["status"] == "ready"
    assert (body["createdAt"], body["processedAt"]) == ("2025-01-01T00:00:00Z", "2025-01-01T00:00:05Z")


def test_files_list_does_not_count_as_a_poll(make_app: Any) -> None:
    app = make_app(file_processing="polls:1")
    with TestClient(app, base_url="http://emulator", headers={"Authorization": "Bearer test-token"}) as client:
        file_id = upload(client).json()["id"]
        assert client.get("/v1/files").json()["items"][0]["status"] == "uploaded"
        assert client.get("/v1/files", params={"statusFilter": "ready"}).json()["items"] == []
        assert [f["id"] for f in client.get("/v1/files", params={"status": "uploaded"}).json()["items"]] == [file_id]
        assert body_of(client, file_id)["status"] == "ready"
        assert [f["id"] for f in client.get("/v1/files", params={"status": "ready"}).json()["items"]] == [file_id]


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        pytest.param("empty.txt", b"", "File is empty", id="empty"),
        pytest.param("fake.pdf", b"not a pdf", "Failed to extract text from PDF", id="bad-pdf"),
        pytest.param("broken.json", b"{nope", "Failed to parse JSON", id="bad-json"),
        pytest.param("latin.csv", b"caf\xe9", "Failed to decode text: the file is not valid UTF-8", id="not-utf8"),
        pytest.param("photo.png", b"GIF89a....", "Failed to decode image: not a valid .png file", id="bad-image"),
    ],
)
def test_files_unreadable_upload_fails_processing(client: TestClient, name: str, content: bytes, error: str) -> None:
    created = upload(client, name, content, "application/octet-stream").json()
    assert (created["status"], created["processingStatus"]) == ("uploaded", {"progress": 0, "error": None})
    assert body_of(client, created["id"])["status"] == "processing"
    body = body_of(client, created["id"])
    assert body["status"] == "failed"
    assert body["processingStatus"]["error"] == error and body["processedAt"] is None
    assert client.get("/v1/files", params={"statusFilter": "failed"}).json()["items"][0]["id"] == body["id"]


def test_files_unsupported_type_is_415(client: TestClient) -> None:
    response = upload(client, "tool.exe", b"MZ", "application/x-msdownload")
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert "pdf" in response.json()["supportedExtensions"]


def test_files_image_over_20_mb_is_413(client: TestClient) -> None:
    response = upload(client, "huge.png", b"\x89PNG\r\n\x1a\n" + bytes(20 * MB), "image/png")
    assert response.status_code == 413
    assert response.json()["limitBytes"] == 20 * MB
    assert client.get("/v1/files").json()["items"] == []


def test_files_request_over_the_route_limit_is_413(client: TestClient) -> None:
    response = client.post(
        "/v1/files",
        content=b"--x\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(51 * MB)},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("kwargs", "status", "pointer"),
    [
        pytest.param(
            {"data": {"resource_type": "dataset"}, "files": {"other": ("a.txt", b"x")}},
            422,
            "/file",
            id="no-file",
        ),
        pytest.param(
            {"data": {"resource_type": "dataset"}, "files": {"file": ("a.txt", b"x")}},
            422,
            "/resource_id",
            id="type-without-id",
        ),
        pytest.param(
            {"data": {"resource_type": "model", "resource_id": "m1"}, "files": {"file": ("a.txt", b"x")}},
            422,
            "/resource_type",
            id="bad-resource-type",
        ),
        pytest.param(
            {
                "data": {"resource_type": "dataset", "resource_id": "ds_nope"},
                "files": {"file": ("a.txt", b"x")},
            },
            404,
            None,
            id="unknown-dataset",
        ),
        pytest.param({"json": {"file": "x"}}, 415, None, id="json-body"),
        pytest.param(
            {"content": b"garbage", "headers": {"Content-Type": "multipart/form-data; boundary=zz"}},
            400,
            None,
            id="malformed-multipart",
        ),
    ],
)
def test_files_upload_bad_request(client: TestClient, kwargs: dict[str, Any], status: int, pointer: str | None) -> None:
    response = client.post("/v1/files", **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if pointer:
        assert response.json()["errors"][0]["pointer"] == pointer


def test_files_usage_storage_grows_by_uploaded_bytes(client: TestClient) -> None:
    before = client.get("/v1/usage").json()["storage"]["used"]
    upload(client, "a.txt", b"x" * 1000)
    upload(client, "b.png", PNG, "image/png")
    assert client.get("/v1/usage").json()["storage"]["used"] == before + 1000 + len(PNG)


def test_files_identical_bytes_are_deduplicated(client: TestClient) -> None:
    first = upload(client, "a.txt", b"same bytes").json()
    second = upload(client, "b.txt", b"same bytes").json()
    assert (first["isDuplicate"], first["storageCharged"]) == (False, 10)
    assert (second["isDuplicate"], second["storageCharged"]) == (True, 0)
    assert first["sha256"] == second["sha256"] and len(first["sha256"]) == 64


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"data": {"resource_type": "dataset", "resource_id": "ds_support_faq"}}, id="form"),
        pytest.param({"json": {"datasetId": "ds_support_faq"}}, id="guide-json"),
        pytest.param({"json": {"resourceType": "dataset", "resourceId": "ds_support_faq"}}, id="camel-json"),
    ],
)
def test_files_associate_accepts_form_and_json(client: TestClient, kwargs: dict[str, Any]) -> None:
    file_id = upload(client).json()["id"]
    response = client.post(f"/v1/files/{file_id}/associations", **kwargs)
    assert response.status_code == 200
    assert response.json()["associations"][0]["resourceId"] == "ds_support_faq"
    again = client.post(f"/v1/files/{file_id}/associations", **kwargs)
    assert len(again.json()["associations"]) == 1
    listed = client.get("/v1/files", params={"resourceType": "dataset", "resourceId": "ds_support_faq"}).json()
    assert [f["id"] for f in listed["items"]] == [file_id]


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        pytest.param({"data": {"resource_type": "dataset"}}, 422, id="missing-id"),
        pytest.param({"json": {"datasetId": "ds_unknown"}}, 404, id="unknown-dataset"),
        pytest.param({"content": b"x", "headers": {"Content-Type": "text/plain"}}, 415, id="text-body"),
        pytest.param({"content": b"{", "headers": {"Content-Type": "application/json"}}, 400, id="bad-json"),
        pytest.param({"json": {"datasetId": 5}}, 422, id="non-string"),
    ],
)
def test_files_associate_bad_request(client: TestClient, kwargs: dict[str, Any], status: int) -> None:
    file_id = upload(client).json()["id"]
    assert client.post(f"/v1/files/{file_id}/associations", **kwargs).status_code == status


def test_files_remove_association(client: TestClient) -> None:
    file_id = upload(client, resource_type="dataset", resource_id="ds_product_docs").json()["id"]
    params = {"resource_type": "dataset", "resource_id": "ds_product_docs"}
    assert client.delete(f"/v1/files/{file_id}/associations", params=params).status_code == 204
    assert body_of(client, file_id)["associations"] == []
    assert client.delete(f"/v1/files/{file_id}/associations", params=params).status_code == 404


def test_files_list_filters_and_cursor_binding(client: TestClient) -> None:
    in_docs = [
        upload(client, f"d{i}.txt", f"doc {i}".encode(), resource_type="dataset", resource_id="ds_product_docs").json()["id"]
        for i in range(3)
    ]
    upload(client, "other.txt", b"other")
    page = client.get("/v1/files", params={"resourceType": "dataset", "resourceId": "ds_product_docs", "limit": 2}).json()
    assert [f["id"] for f in page["items"]] == in_docs[:2] and page["hasMore"]
    rest = client.get(
        "/v1/files",
        params={
            "resourceType": "dataset",
            "resourceId": "ds_product_docs",
            "limit": 2,
            "cursor": page["nextCursor"],
        },
    ).json()
    assert [f["id"] for f in rest["items"]] == in_docs[2:]
    mismatched = client.get("/v1/files", params={"cursor": page["nextCursor"]})
    assert mismatched.status_code == 400
    assert client.get("/v1/files", params={"statusFilter": "done"}).status_code == 422


def test_files_in_dataset_returns_associated_records(app: Any, client: TestClient) -> None:
    wanted = upload(client, "kb.md", b"# KB", "text/markdown", resource_type="dataset", resource_id="ds_support_faq")
    upload(client, "loose.txt", b"loose")
    records = files_domain.files_in_dataset(app.state.store, "org_default", "ds_support_faq")
    assert [(r["id"], r["filename"], r["contentType"], r["sizeBytes"], r["status"]) for r in records] == [
        (wanted.json()["id"], "kb.md", "text/markdown", 4, "uploaded")  # the status as last observed
    ]
    assert files_domain.content_of(records[0]) == b"# KB"


def test_files_are_tenant_scoped(app: Any, client: TestClient) -> None:
    file_id = upload(client).json()["id"]
    with TestClient(app, base_url="http://emulator", headers={"Authorization": "Bearer other-org-token"}) as other:
        for method, path in [
            ("GET", f"/v1/files/{file_id}"),
            ("GET", f"/v1/files/{file_id}/content"),
            ("DELETE", f"/v1/files/{file_id}"),
        ]:
            assert other.request(method, path).status_code == 404, path
        assert other.get("/v1/files").json()["items"] == []
        assert upload(other, resource_type="dataset", resource_id="ds_product_docs").status_code == 404
    assert client.get(f"/v1/files/{file_id}").status_code == 200


def test_files_scopes(app: Any) -> None:
    with TestClient(app, base_url="http://emulator", headers={"Authorization": "Bearer read-only-token"}) as reader:
        assert reader.get("/v1/files").status_code == 200
        denied = upload(reader)
        assert denied.status_code == 403 and "files:write" in denied.json()["detail"]


def test_files_responses_match_their_schemas(client: TestClient) -> None:
    created = upload(client, "kb.md", b"# KB", "text/markdown", resource_type="dataset", resource_id="ds_product_docs")
    assert_matches("file", created.json())
    failed = upload(client, "empty.txt", b"")
    assert_matches("file", failed.json())
    assert_matches("file", client.get(f"/v1/files/{created.json()['id']}").json())
    assert_matches("file_list", client.get("/v1/files").json())
    linked = client.post(f"/v1/files/{failed.json()['id']}/associations", json={"datasetId": "ds_support_faq"})
    assert_matches("file", linked.json())
