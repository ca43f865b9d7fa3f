"""Issue 3's end-to-end path: upload 1 MB, poll until ready, link its dataset, chat, see the source and the usage."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import AUTH, SUPPORT_BOT, chat_body

MEGABYTE = 1024 * 1024


def test_acceptance_upload_poll_link_chat_cites_file_and_usage_counts(make_app) -> None:
    app = make_app(file_processing="seconds:30")
    with TestClient(app, base_url="http://emulator", headers=AUTH) as client:
        before = client.get("/v1/usage").json()
        dataset_id = client.post("/v1/datasets", json={"name": "Handbook"}).json()["id"]
        line = b"Refunds are accepted within 30 days of purchase.\n"
        content = (line * (MEGABYTE // len(line) + 1))[:MEGABYTE]
        assert len(content) == MEGABYTE
        uploaded = client.post(
            "/v1/files",
            files={"file": ("handbook.txt", content, "text/plain")},
            data={"resource_type": "dataset", "resource_id": dataset_id},
        )
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["status"] == "uploaded"
        file_id = uploaded.json()["id"]
        statuses = []
        for _ in range(10):  # poll like a client, moving virtual time instead of sleeping
            status = client.get(f"/v1/files/{file_id}").json()["status"]
            statuses.append(status)
            if status == "ready":
                break
            app.state.clock.advance(10)
        # no clock time yet: still uploaded; then processing until 30 s have passed
        assert statuses == ["uploaded", "processing", "processing", "ready"]
        assert client.get(f"/v1/files/{file_id}/content").content == content
        linked = client.post(f"/v1/models/{SUPPORT_BOT}/datasets", json={"datasetId": dataset_id})
        assert linked.status_code == 201, linked.text
        reply = client.post("/v1/chats", json=chat_body("How long do I have for a refund?")).json()
        sources = reply["message"]["sources"]
        assert [s["filename"] for s in sources] == ["handbook.txt"]
        assert sources[0]["datasetId"] == dataset_id
        after = client.get("/v1/usage").json()
    assert after["storage"]["used"] - before["storage"]["used"] == MEGABYTE
    per_model = {m["modelId"]: m for m in after["models"]}[SUPPORT_BOT]
    assert per_model["totalTokens"] == reply["usage"]["totalTokens"]
    assert after["credits"]["used"] - before["credits"]["used"] == per_model["credits"]
