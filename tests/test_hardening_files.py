"""Issue 11 point 1 (and the header half of point 10): a file name can never make a response unsendable."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.domain import files as files_domain
from emulator.server import LiveServer
from emulator.wire import InvalidResponseHeader
from tests.conftest import AUTH

BOUNDARY = "hardening-boundary"


def multipart(filename: str, content_type: str = "text/plain", content: bytes = b"hello") -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
    return head.encode("utf-8") + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def post_raw(client: TestClient, body: bytes, path: str = "/v1/files") -> httpx.Response:
    return client.post(path, content=body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})


@pytest.mark.parametrize(
    ("filename", "content_type", "fragment"),
    [
        pytest.param("a\x00b.txt", "text/plain", "control characters", id="nul"),
        pytest.param("a\x01b.txt", "text/plain", "control characters", id="soh"),
        pytest.param("a\x7fb.txt", "text/plain", "control characters", id="del"),
        pytest.param("a\u0085b.txt", "text/plain", "control characters", id="c1-next-line"),
        pytest.param("n" * 256 + ".txt", "text/plain", "longer than 255", id="too-long"),
        pytest.param("ok.txt", "text/plain; charset=\x01", "printable ASCII", id="control-in-part-type"),
        pytest.param("ok.txt", "text/plain; x=\u00e9", "printable ASCII", id="non-ascii-part-type"),
    ],
)
def test_hardening_upload_with_unsendable_name_or_type_is_422(
    client: TestClient, filename: str, content_type: str, fragment: str
) -> None:
    response = post_raw(client, multipart(filename, content_type))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json()["detail"]
    assert response.json()["errors"][0]["pointer"] == "/file"
    assert client.get("/v1/files").json()["items"] == []  # nothing stored


def test_hardening_zip_entries_with_control_characters_are_skipped(client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("good.txt", b"good")
        archive.writestr("bad\x01name.txt", b"bad")
    response = client.post("/v1/files/expand", files={"file": ("x.zip", buffer.getvalue(), "application/zip")})
    assert response.status_code in (200, 201), response.text
    body = response.json()
    assert [f["filename"] for f in body["files"]] == ["good.txt"]
    assert body["skipped"] == [{"filename": "bad\x01name.txt", "reason": "Invalid file name"}]
    for stored in body["files"]:
        assert client.get(f"/v1/files/{stored['id']}/content").status_code == 200


def _stored(app: EmulatorApp, client: TestClient, **changes: str) -> str:
    """Upload a file, then change its stored record as older data or a fixture might have it."""
    file_id: str = post_raw(client, multipart("plain.txt")).json()["id"]
    record = app.state.store.get("org_default", files_domain.KIND, file_id)
    assert record is not None
    app.state.store.replace("org_default", files_domain.KIND, file_id, {**record, **changes})
    return file_id


def test_hardening_stored_control_character_name_still_downloads(app: EmulatorApp, client: TestClient, live: LiveServer) -> None:
    file_id = _stored(app, client, filename="a\x00b\u00e9.txt")
    response = httpx.get(f"{live.url}/v1/files/{file_id}/content", headers=AUTH)
    assert response.status_code == 200
    assert response.content == b"hello"
    assert response.headers["content-disposition"] == "attachment; filename=\"a_b_.txt\"; filename*=UTF-8''a%00b%C3%A9.txt"


def test_hardening_unsendable_header_is_a_recorded_500_problem(app: EmulatorApp, client: TestClient) -> None:
    file_id = _stored(app, client, contentType="text/plain\x01")
    with LiveServer(app) as server:
        response = httpx.get(f"{server.url}/v1/files/{file_id}/content", headers=AUTH)
        healthy = httpx.get(f"{server.url}/_emulator/health")
    assert response.status_code == 500  # an answer, not a dropped connection
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Internal Server Error"
    assert healthy.status_code == 200
    assert [type(e) for e in app.state.server_errors] == [InvalidResponseHeader]
    app.state.server_errors.clear()
