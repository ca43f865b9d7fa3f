"""POST /v1/files/expand: a ZIP archive becomes one file per supported entry."""

from __future__ import annotations

import io
import zipfile

import pytest
from starlette.testclient import TestClient

from tests.schema_helpers import assert_matches


def make_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_files_expand_creates_one_file_per_supported_entry(client: TestClient) -> None:
    archive = make_zip(
        {
            "docs/guide.md": b"# Guide",
            "data.csv": b"a,b\n1,2\n",
            "empty.txt": b"",
            "tool.exe": b"MZ",
            "inner.zip": make_zip({"x.txt": b"x"}),
            "__MACOSX/._guide.md": b"junk",
        }
    )
    response = client.post(
        "/v1/files/expand",
        files={"file": ("bundle.zip", archive, "application/zip")},
        data={"resource_type": "dataset", "resource_id": "ds_product_docs"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(f["filename"], f["status"]) for f in body["files"]] == [
        ("guide.md", "uploaded"),
        ("data.csv", "uploaded"),
        ("empty.txt", "uploaded"),
    ]
    finals = [[client.get(f"/v1/files/{f['id']}").json()["status"] for _ in range(2)][-1] for f in body["files"]]
    assert finals == ["ready", "ready", "failed"]  # each entry goes through the documented lifecycle
    assert all(f["associations"][0]["resourceId"] == "ds_product_docs" for f in body["files"])
    assert {s["filename"]: s["reason"] for s in body["skipped"]} == {
        "tool.exe": "Unsupported file type",
        "inner.zip": "Nested ZIP archives are not supported",
        "__MACOSX/._guide.md": "Hidden or system file",
    }
    guide_id = body["files"][0]["id"]
    assert client.get(f"/v1/files/{guide_id}/content").content == b"# Guide"
    listed = client.get("/v1/files", params={"resourceType": "dataset", "resourceId": "ds_product_docs"}).json()
    assert len(listed["items"]) == 3


def test_files_expand_fully_skipped_is_200(client: TestClient) -> None:
    response = client.post("/v1/files/expand", files={"file": ("x.zip", make_zip({"a.exe": b"MZ"}), "application/zip")})
    assert response.status_code == 200
    assert response.json() == {
        "files": [],
        "skipped": [{"filename": "a.exe", "reason": "Unsupported file type"}],
    }


@pytest.mark.parametrize(
    ("name", "content", "content_type", "status"),
    [
        pytest.param("broken.zip", b"PK\x03\x04 definitely not a zip", "application/zip", 422, id="bad-zip"),
        pytest.param("notes.txt", b"hello", "text/plain", 415, id="not-a-zip"),
    ],
)
def test_files_expand_rejects_bad_archives(client: TestClient, name: str, content: bytes, content_type: str, status: int) -> None:
    response = client.post("/v1/files/expand", files={"file": (name, content, content_type)})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/files").json()["items"] == []


def test_files_expand_response_matches_its_schema(client: TestClient) -> None:
    archive = make_zip({"a.txt": b"a", "b.exe": b"MZ"})
    response = client.post("/v1/files/expand", files={"file": ("x.zip", archive, "application/zip")})
    assert_matches("file_expand", response.json())
