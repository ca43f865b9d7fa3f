"""Connectors: OAuth connections (managed activation), remote browsing, sync configs, sync jobs and items."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp

AUTH = {"Authorization": "Bearer test-token"}
DRIVE = {"connectorSlug": "google_drive", "redirectUrl": "https://app.test/oauth/callback"}


@pytest.fixture
def open_client(make_app: Callable[..., EmulatorApp]) -> Iterator[Callable[..., TestClient]]:
    """Clients for apps built with custom config; each app's server errors are checked at the end."""
    apps: list[EmulatorApp] = []
    clients: list[TestClient] = []

    def factory(**config: Any) -> TestClient:
        app = make_app(**config)
        apps.append(app)
        client = TestClient(app, base_url="http://emulator", headers=AUTH)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()
    for app in apps:
        assert not app.state.server_errors, app.state.server_errors


def connect(client: TestClient, body: dict[str, Any] | None = None) -> str:
    response = client.post("/v1/connections", json=body or DRIVE)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def first_folder(client: TestClient, connection_id: str) -> dict[str, Any]:
    items = client.get(f"/v1/connections/{connection_id}/resources").json()["items"]
    return next(item for item in items if item["hasChildren"])


def sync_config(client: TestClient, connection_id: str, **overrides: Any) -> dict[str, Any]:
    folder = first_folder(client, connection_id)
    body = {
        "name": "Docs",
        "remoteResourceId": folder["id"],
        "remoteResourceType": folder["type"],
        "targetDatasetId": "ds_product_docs",
        **overrides,
    }
    response = client.post(f"/v1/connections/{connection_id}/sync-configs", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_connections_initiate_returns_pending_with_authorization_url(client: TestClient) -> None:
    response = client.post("/v1/connections", json={**DRIVE, "scopes": ["drive.file"]})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["id"].startswith("conn_")
    assert body["expiresAt"] == "2025-01-01T00:10:00Z"
    url = urlparse(body["authorizationUrl"])
    assert url.netloc == "accounts.google.com"
    query = parse_qs(url.query)
    assert query["redirect_uri"] == [DRIVE["redirectUrl"]]
    assert query["scope"] == ["drive.file"]
    assert query["state"][0]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        pytest.param({"connectorSlug": "dropbox", "redirectUrl": "https://a.test"}, "/connectorSlug", id="unknown-connector"),
        pytest.param({"connectorSlug": "notion"}, "/redirectUrl", id="missing-redirect"),
        pytest.param({"connectorSlug": "notion", "redirectUrl": "not a url"}, "/redirectUrl", id="bad-redirect"),
    ],
)
def test_connections_initiate_rejects_invalid_body(client: TestClient, body: dict[str, Any], pointer: str) -> None:
    response = client.post("/v1/connections", json=body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == pointer


def test_connections_become_active_on_first_read_by_default(client: TestClient) -> None:
    connection_id = connect(client)

    connection = client.get(f"/v1/connections/{connection_id}").json()

    assert connection["status"] == "active"
    assert connection["accountEmail"].endswith("@example.com")
    assert connection["accountName"]
    assert set(connection) == {
        "id",
        "connectorSlug",
        "status",
        "createdAt",
        "updatedAt",
        "accountEmail",
        "accountName",
        "lastError",
    }


@pytest.mark.parametrize(
    ("mode", "advance", "reads_pending"),
    [
        pytest.param("polls:3", 0, 2, id="after-3-reads"),
        pytest.param("seconds:30", 30, 0, id="after-30-seconds"),
    ],
)
def test_connections_activation_is_configurable(
    open_client: Callable[..., TestClient], mode: str, advance: float, reads_pending: int
) -> None:
    client = open_client(connection_activation=mode)
    connection_id = connect(client)
    path = f"/v1/connections/{connection_id}"
    clock = client.app.state.clock  # type: ignore[attr-defined]

    for _ in range(reads_pending):
        assert client.get(path).json()["status"] == "pending"
    if mode.startswith("seconds"):
        assert client.get(path).json()["status"] == "pending"
        clock.advance(advance)
    connection = client.get(path).json()
    assert connection["status"] == "active"


def test_connections_immediate_activation_answers_active(open_client: Callable[..., TestClient]) -> None:
    client = open_client(connection_activation="immediate")

    assert client.post("/v1/connections", json=DRIVE).json()["status"] == "active"


def test_connections_pending_cannot_be_browsed(open_client: Callable[..., TestClient]) -> None:
    client = open_client(connection_activation="seconds:60")
    connection_id = connect(client)

    response = client.get(f"/v1/connections/{connection_id}/resources")

    assert response.status_code == 409
    assert "pending" in response.json()["detail"]


def test_connections_list_filters_by_provider_and_delete(client: TestClient) -> None:
    drive = connect(client)
    notion = connect(client, {"connectorSlug": "notion", "redirectUrl": "https://app.test/cb"})

    listing = client.get("/v1/connections").json()
    assert [c["id"] for c in listing["items"]] == [drive, notion]
    assert (listing["hasMore"], listing["nextCursor"]) == (False, None)
    assert [c["id"] for c in client.get("/v1/connections?provider=notion").json()["items"]] == [notion]

    assert client.delete(f"/v1/connections/{drive}").status_code == 204
    assert client.get(f"/v1/connections/{drive}").status_code == 404
    assert [c["id"] for c in client.get("/v1/connections").json()["items"]] == [notion]


def test_connections_browse_walks_a_deterministic_tree(client: TestClient, make_app: Callable[..., EmulatorApp]) -> None:
    connection_id = connect(client)
    root = client.get(f"/v1/connections/{connection_id}/resources").json()["items"]
    folder = next(item for item in root if item["type"] == "folder")

    children = client.get(f"/v1/connections/{connection_id}/resources", params={"parentId": folder["id"]}).json()

    assert {item["type"] for item in root} == {"folder", "file"}
    assert all(item["parentId"] is None for item in root)
    assert children["items"] and all(item["parentId"] == folder["id"] for item in children["items"])
    with TestClient(make_app(), headers=AUTH) as twin:  # same seed: same ids, same drive
        assert twin.get(f"/v1/connections/{connect(twin)}/resources").json()["items"] == root


@pytest.mark.parametrize("parent", ["folder_missing", "FILE"])
def test_connections_browse_unknown_or_file_parent_is_404(client: TestClient, parent: str) -> None:
    connection_id = connect(client)
    root = client.get(f"/v1/connections/{connection_id}/resources").json()["items"]
    if parent == "FILE":
        parent = next(item["id"] for item in root if not item["hasChildren"])

    response = client.get(f"/v1/connections/{connection_id}/resources", params={"parentId": parent})

    assert response.status_code == 404


def test_connections_notion_tree_has_databases_and_pages(client: TestClient) -> None:
    connection_id = connect(client, {"connectorSlug": "notion", "redirectUrl": "https://app.test/cb"})

    root = client.get(f"/v1/connections/{connection_id}/resources").json()["items"]

    assert {item["type"] for item in root} == {"database", "page"}


def test_sync_configs_round_trip(client: TestClient) -> None:
    connection_id = connect(client)
    config = sync_config(client, connection_id, syncFrequency="daily")
    path = f"/v1/sync-configs/{config['id']}"

    assert config["id"].startswith("config_")
    assert (config["connectionId"], config["syncFrequency"], config["status"]) == (connection_id, "daily", "active")
    assert client.get(path).json() == config
    listed = client.get(f"/v1/connections/{connection_id}/sync-configs").json()["items"]
    assert [c["id"] for c in listed] == [config["id"]]
    updated = client.patch(path, json={"name": "Renamed", "syncFrequency": "weekly"}).json()
    assert (updated["name"], updated["syncFrequency"]) == ("Renamed", "weekly")
    assert client.get(path).json()["name"] == "Renamed"
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        pytest.param({"remoteResourceId": "folder_missing"}, "/remoteResourceId", id="unknown-remote"),
        pytest.param({"remoteResourceType": "file"}, "/remoteResourceType", id="wrong-type"),
        pytest.param({"targetDatasetId": "ds_missing"}, "/targetDatasetId", id="unknown-dataset"),
        pytest.param({"syncFrequency": "hourly"}, "/syncFrequency", id="unknown-frequency"),
    ],
)
def test_sync_configs_create_rejects_bad_targets(client: TestClient, overrides: dict[str, Any], pointer: str) -> None:
    connection_id = connect(client)
    folder = first_folder(client, connection_id)
    body = {
        "name": "Docs",
        "remoteResourceId": folder["id"],
        "remoteResourceType": "folder",
        "targetDatasetId": "ds_product_docs",
        **overrides,
    }

    response = client.post(f"/v1/connections/{connection_id}/sync-configs", json=body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == pointer


def test_sync_configs_deleted_with_their_connection(client: TestClient) -> None:
    connection_id = connect(client)
    config = sync_config(client, connection_id)

    client.delete(f"/v1/connections/{connection_id}")

    assert client.get(f"/v1/sync-configs/{config['id']}").status_code == 404


def test_sync_jobs_progress_queued_running_completed_by_polls(client: TestClient) -> None:
    config = sync_config(client, connect(client))

    triggered = client.post(f"/v1/sync-configs/{config['id']}/sync")
    assert triggered.status_code == 200
    job = triggered.json()
    assert (job["status"], job["itemsTotal"], job["startedAt"]) == ("queued", None, None)
    assert client.get(f"/v1/sync-configs/{config['id']}").json()["lastSyncJobId"] == job["id"]

    running = client.get(f"/v1/sync-jobs/{job['id']}").json()
    assert running["status"] == "running"
    assert 0 < running["progress"] < 100
    assert running["itemsTotal"] > 0

    done = client.get(f"/v1/sync-jobs/{job['id']}").json()
    assert done["status"] == "completed"
    assert done["progress"] == 100
    assert done["completedAt"] is not None
    assert done["itemsCompleted"] + done["itemsSkipped"] + done["itemsFailed"] == done["itemsTotal"]
    assert done["bytesProcessed"] > 0


def test_sync_jobs_progress_by_clock(open_client: Callable[..., TestClient]) -> None:
    client = open_client(sync_processing="seconds:10")
    config = sync_config(client, connect(client))
    job_id = client.post(f"/v1/sync-configs/{config['id']}/sync").json()["id"]
    clock = client.app.state.clock  # type: ignore[attr-defined]

    clock.advance(5)
    assert client.get(f"/v1/sync-jobs/{job_id}").json()["progress"] == 50
    clock.advance(5)
    job = client.get(f"/v1/sync-jobs/{job_id}").json()
    assert (job["status"], job["completedAt"]) == ("completed", "2025-01-01T00:00:10Z")


def test_sync_jobs_completed_items_are_real_files_in_the_dataset(client: TestClient) -> None:
    config = sync_config(client, connect(client))
    job_id = client.post(f"/v1/sync-configs/{config['id']}/sync").json()["id"]
    client.get(f"/v1/sync-jobs/{job_id}")
    assert client.get(f"/v1/sync-jobs/{job_id}").json()["status"] == "completed"

    items = client.get(f"/v1/sync-jobs/{job_id}/items").json()["items"]
    completed = [item for item in items if item["status"] == "completed"]
    assert completed and all(item["fileId"] and item["processedAt"] for item in completed)
    file = client.get(f"/v1/files/{completed[0]['fileId']}")
    assert file.status_code == 200
    assert file.json()["source"] == "connector"
    dataset_files = client.get("/v1/files", params={"resourceType": "dataset", "resourceId": "ds_product_docs"})
    assert completed[0]["fileId"] in {f["id"] for f in dataset_files.json()["items"]}
    content = client.get(f"/v1/files/{completed[0]['fileId']}/content")
    assert len(content.content) == file.json()["sizeBytes"]


def test_sync_jobs_skip_unsupported_documents(client: TestClient) -> None:
    connection_id = connect(client)
    root = client.get(f"/v1/connections/{connection_id}/resources").json()["items"]
    form = next(item for item in root if item["mimeType"] == "application/vnd.google-apps.form")
    config = sync_config(client, connection_id, remoteResourceId=form["id"], remoteResourceType="file")
    job_id = client.post(f"/v1/sync-configs/{config['id']}/sync").json()["id"]
    client.get(f"/v1/sync-jobs/{job_id}")

    job = client.get(f"/v1/sync-jobs/{job_id}").json()
    skipped = client.get(f"/v1/sync-jobs/{job_id}/items", params={"status": "skipped"}).json()["items"]

    assert (job["itemsTotal"], job["itemsSkipped"], job["itemsCompleted"]) == (1, 1, 0)
    assert skipped[0]["fileId"] is None
    assert "Unsupported file type" in skipped[0]["errorMessage"]


def test_sync_trigger_conflicts(client: TestClient) -> None:
    config = sync_config(client, connect(client))
    path = f"/v1/sync-configs/{config['id']}"
    job_id = client.post(f"{path}/sync").json()["id"]

    assert client.post(f"{path}/sync").status_code == 409  # still queued
    client.get(f"/v1/sync-jobs/{job_id}")
    client.get(f"/v1/sync-jobs/{job_id}")
    assert client.post(f"{path}/sync").status_code == 200  # the first one completed
    client.patch(path, json={"status": "paused"})
    assert client.post(f"{path}/sync").status_code == 409
    assert client.post("/v1/sync-configs/config_missing/sync").status_code == 404


def test_sync_jobs_list_newest_first_with_filters_and_limit(open_client: Callable[..., TestClient]) -> None:
    client = open_client(sync_processing="immediate")
    connection_id = connect(client)
    first, second = sync_config(client, connection_id), sync_config(client, connection_id, name="Two")
    jobs = [client.post(f"/v1/sync-configs/{c['id']}/sync").json()["id"] for c in (first, second, first)]

    listing = client.get("/v1/sync-jobs").json()
    assert [j["id"] for j in listing["items"]] == jobs[::-1]
    assert (listing["hasMore"], listing["nextCursor"]) == (False, None)
    only_first = client.get("/v1/sync-jobs", params={"syncConfigId": first["id"]}).json()["items"]
    assert [j["id"] for j in only_first] == [jobs[2], jobs[0]]
    limited = client.get("/v1/sync-jobs", params={"limit": 2}).json()
    assert (len(limited["items"]), limited["hasMore"]) == (2, True)
    assert client.get("/v1/sync-jobs", params={"status": "running"}).json()["items"] == []


@pytest.mark.parametrize(
    ("path", "query"),
    [
        pytest.param("/v1/sync-jobs", "limit=0", id="jobs-limit-0"),
        pytest.param("/v1/sync-jobs", "limit=101", id="jobs-limit-101"),
        pytest.param("/v1/sync-jobs", "status=exploded", id="jobs-bad-status"),
    ],
)
def test_sync_jobs_list_rejects_bad_query(client: TestClient, path: str, query: str) -> None:
    assert client.get(f"{path}?{query}").status_code == 422


def test_sync_items_limit_and_offset(open_client: Callable[..., TestClient]) -> None:
    client = open_client(sync_processing="immediate")
    config = sync_config(client, connect(client))
    job_id = client.post(f"/v1/sync-configs/{config['id']}/sync").json()["id"]
    everything = client.get(f"/v1/sync-jobs/{job_id}/items").json()

    page = client.get(f"/v1/sync-jobs/{job_id}/items", params={"limit": 2, "offset": 1}).json()

    assert len(everything["items"]) > 3
    assert page["items"] == everything["items"][1:3]
    assert page["hasMore"] is True
    assert client.get(f"/v1/sync-jobs/{job_id}/items", params={"limit": 1001}).status_code == 422
    assert client.get(f"/v1/sync-jobs/{job_id}/items", params={"offset": -1}).status_code == 422


def test_sync_jobs_of_a_queued_job_have_no_items_yet(client: TestClient) -> None:
    config = sync_config(client, connect(client))
    job = client.post(f"/v1/sync-configs/{config['id']}/sync").json()

    assert job["status"] == "queued"
    # the items call is itself a poll: the job is running by the time items are listed
    items = client.get(f"/v1/sync-jobs/{job['id']}/items").json()["items"]
    assert items and {item["status"] for item in items} <= {"pending", "completed", "skipped"}


def test_connectors_scopes_and_tenancy(client: TestClient) -> None:
    connection_id = connect(client)
    reader = {"Authorization": "Bearer read-only-token"}
    other = {"Authorization": "Bearer other-org-token"}

    assert client.get("/v1/connections", headers=reader).status_code == 403
    assert client.get(f"/v1/connections/{connection_id}", headers=other).status_code == 404
    assert client.get("/v1/connections", headers=other).json()["items"] == []
    assert client.get("/v1/sync-jobs", headers=other).json()["items"] == []
