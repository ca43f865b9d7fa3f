"""Particles: CRUD, versions, category filter, system particles, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.schema_helpers import assert_matches


def create(
    client: TestClient,
    name: str = "Professional Tone",
    category: str = "tone",
    content: str = "Be professional.",
    **extra: Any,
) -> dict[str, Any]:
    response = client.post("/v1/particles", json={"name": name, "category": category, "content": content, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def own_items(page: dict[str, Any]) -> list[str]:
    return [p["id"] for p in page["items"] if not p["isSystem"]]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_particles_round_trip(client: TestClient, method: str) -> None:
    created = [create(client, f"P{i}", content=f"Content {i}.") for i in range(3)]
    first = created[0]
    assert (first["currentVersion"], first["isSystem"], first["enabled"], first["versions"]) == (
        1,
        False,
        True,
        None,
    )
    assert first["id"].startswith("part_") and first["tokenCount"] == 3

    assert client.get(f"/v1/particles/{first['id']}").json() == first

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/particles", params=params).json()
        seen += own_items(page)
        if not page["hasMore"]:
            break
        cursor = page["nextCursor"]
    assert seen == [p["id"] for p in created]

    updated = client.request(
        method,
        f"/v1/particles/{first['id']}",
        json={"content": "Be very professional.", "description": "tone"},
    )
    assert updated.status_code == 200
    assert (updated.json()["currentVersion"], updated.json()["content"]) == (2, "Be very professional.")
    got = client.get(f"/v1/particles/{first['id']}").json()
    assert (got["currentVersion"], got["description"], got["name"]) == (2, "tone", "P0")

    assert client.delete(f"/v1/particles/{first['id']}").status_code == 204
    assert client.get(f"/v1/particles/{first['id']}").status_code == 404


def test_particles_versions_are_kept(client: TestClient) -> None:
    particle = create(client, content="v1 text")
    pid = particle["id"]
    client.put(f"/v1/particles/{pid}", json={"content": "v2 text here"})
    client.put(f"/v1/particles/{pid}", json={"name": "Renamed"})  # metadata only: no new version
    versions = client.get(f"/v1/particles/{pid}/versions")
    assert versions.status_code == 200
    body = versions.json()
    assert isinstance(body, list)
    assert [(v["version"], v["content"], v["createdBy"]) for v in body] == [
        (1, "v1 text", "member_default"),
        (2, "v2 text here", "member_default"),
    ]
    assert all(v["id"].startswith("pv_") for v in body)
    old = client.get(f"/v1/particles/{pid}", params={"version": 1}).json()
    assert (old["content"], old["tokenCount"], old["currentVersion"]) == ("v1 text", body[0]["tokenCount"], 2)
    expanded = client.get(f"/v1/particles/{pid}", params={"expand[]": "versions"}).json()
    assert expanded["versions"] == body and expanded["name"] == "Renamed"
    assert client.get(f"/v1/particles/{pid}", params={"version": 9}).status_code == 404
    assert client.get(f"/v1/particles/{pid}", params={"version": "latest"}).status_code == 422


def test_particles_category_and_enabled_filters(client: TestClient) -> None:
    role = create(client, "Role", "role", "You are a bot.")
    create(client, "Tone", "tone", "Be nice.")
    off = create(client, "Off", "role", "Disabled.", enabled=False)
    assert own_items(client.get("/v1/particles", params={"category": "role"}).json()) == [role["id"]]
    everything = client.get("/v1/particles", params={"category": "role", "enabled": "false"}).json()
    assert own_items(everything) == [role["id"], off["id"]]
    assert client.get("/v1/particles", params={"category": "context"}).status_code == 422
    assert client.get("/v1/particles", params={"enabled": "maybe"}).status_code == 422


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        pytest.param({"name": "x", "category": "context", "content": "c"}, "/category", id="old-category"),
        pytest.param({"name": "x", "category": "tone", "content": ""}, "/content", id="empty-content"),
        pytest.param({"name": "", "category": "tone", "content": "c"}, "/name", id="empty-name"),
        pytest.param({"category": "tone", "content": "c"}, "/name", id="missing-name"),
    ],
)
def test_particles_create_validation(client: TestClient, body: dict[str, Any], pointer: str) -> None:
    response = client.post("/v1/particles", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == pointer


def test_particles_update_cannot_change_category(client: TestClient) -> None:
    created = create(client)
    response = client.patch(f"/v1/particles/{created['id']}", json={"category": "role"})  # not in the body: ignored
    assert response.status_code == 200 and response.json()["category"] == created["category"]
    client.post("/_emulator/strict-requests", json={"strict": True})
    assert client.patch(f"/v1/particles/{created['id']}", json={"category": "role"}).status_code == 422


def test_particles_system_particles_are_listed_read_only_and_hidden(client: TestClient) -> None:
    page = client.get("/v1/particles", params={"limit": 100}).json()
    system = [p for p in page["items"] if p["isSystem"]]
    assert system and all(p["content"] is None for p in system)
    sid = system[0]["id"]
    got = client.get(f"/v1/particles/{sid}", params={"expand[]": "versions"}).json()
    assert got["content"] is None and got["versions"][0]["content"] is None
    assert client.put(f"/v1/particles/{sid}", json={"name": "Mine"}).status_code == 403
    assert client.delete(f"/v1/particles/{sid}").status_code == 403


def test_particles_are_tenant_scoped(app: Any, client: TestClient) -> None:
    pid = create(client)["id"]
    with TestClient(app, base_url="http://emulator", headers={"Authorization": "Bearer other-org-token"}) as other:
        assert other.get(f"/v1/particles/{pid}").status_code == 404
        assert other.get(f"/v1/particles/{pid}/versions").status_code == 404
        assert other.put(f"/v1/particles/{pid}", json={"name": "x"}).status_code == 404
        assert other.delete(f"/v1/particles/{pid}").status_code == 404
        assert own_items(other.get("/v1/particles").json()) == []


def test_particles_scopes(app: Any) -> None:
    with TestClient(app, base_url="http://emulator", headers={"Authorization": "Bearer read-only-token"}) as reader:
        assert reader.get("/v1/particles").status_code == 200
        denied = reader.post("/v1/particles", json={"name": "x", "category": "tone", "content": "c"})
        assert denied.status_code == 403 and "particles:write" in denied.json()["detail"]


def test_particles_responses_match_their_schemas(client: TestClient) -> None:
    created = create(client)
    assert_matches("particle", created)
    updated = client.put(f"/v1/particles/{created['id']}", json={"content": "New."}).json()
    assert_matches("particle", updated)
    assert_matches("particle", client.get(f"/v1/particles/{created['id']}", params={"expand[]": "versions"}).json())
    assert_matches("particle_list", client.get("/v1/particles", params={"limit": 100}).json())
    assert_matches("particle_version_list", client.get(f"/v1/particles/{created['id']}/versions").json())
