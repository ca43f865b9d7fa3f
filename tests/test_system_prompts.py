"""System prompts: CRUD, templates and copy, compose order, particles of a prompt, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.schema_helpers import assert_matches


def particle(client: TestClient, category: str, content: str, **extra: Any) -> str:
    response = client.post(
        "/v1/particles",
        json={"name": f"{category} {content[:10]}", "category": category, "content": content, **extra},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def prompt(client: TestClient, name: str = "Support Bot", **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/system-prompts", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_system_prompts_round_trip(client: TestClient) -> None:
    created = [prompt(client, f"Prompt {i}") for i in range(3)]
    first = created[0]
    assert (first["isSystem"], first["enabled"], first["particleCount"], first["totalTokenCount"]) == (
        False,
        True,
        0,
        0,
    )
    assert first["id"].startswith("sp_") and first["particles"] is None
    assert client.get(f"/v1/system-prompts/{first['id']}").json() == first

    page = client.get("/v1/system-prompts", params={"limit": 2}).json()
    rest = client.get("/v1/system-prompts", params={"limit": 2, "cursor": page["nextCursor"]}).json()
    assert [p["id"] for p in page["items"] + rest["items"]] == [p["id"] for p in created]
    assert (page["hasMore"], rest["hasMore"]) == (True, False)

    updated = client.patch(f"/v1/system-prompts/{first['id']}", json={"name": "Renamed", "description": "d"})
    assert updated.status_code == 200
    got = client.get(f"/v1/system-prompts/{first['id']}").json()
    assert (got["name"], got["description"]) == ("Renamed", "d")

    assert client.delete(f"/v1/system-prompts/{first['id']}").status_code == 204
    assert client.get(f"/v1/system-prompts/{first['id']}").status_code == 404


def test_system_prompts_compose_orders_by_category_then_order(client: TestClient) -> None:
    fmt = particle(client, "format", "Respond in markdown.")
    guard = particle(client, "guardrails", "Never share PII.")
    tone_b = particle(client, "tone", "Be concise.")
    tone_a = particle(client, "tone", "Be friendly.")
    role = particle(client, "role", "You are a support agent.")
    body = prompt(
        client,
        particles=[
            {"particleId": fmt},
            {"particleId": guard},
            {"particleId": tone_b, "order": 2},
            {"particleId": tone_a, "order": 1},
            {"particleId": role, "order": 9},
        ],
    )
    assert [p["particleId"] for p in body["particles"]] == [role, tone_a, tone_b, guard, fmt]
    composed = client.get(f"/v1/system-prompts/{body['id']}/compose").json()
    assert composed["composedContent"] == (
        "You are a support agent.\n\nBe friendly.\n\nBe concise.\n\nNever share PII.\n\nRespond in markdown."
    )
    assert composed["particleCount"] == 5 and composed["systemPromptId"] == body["id"]
    assert composed["totalTokenCount"] == sum(p["tokenCount"] for p in body["particles"])
    assert client.get(f"/v1/system-prompts/{body['id']}").json()["totalTokenCount"] == composed["totalTokenCount"]


def test_system_prompts_add_update_remove_particle(client: TestClient) -> None:
    role = particle(client, "role", "You are v1.")
    client.put(f"/v1/particles/{role}", json={"content": "You are v2."})
    versions = client.get(f"/v1/particles/{role}/versions").json()
    tone = particle(client, "tone", "Be calm.")
    sp = prompt(client)["id"]

    added = client.post(f"/v1/system-prompts/{sp}/particles", json={"particleId": role, "order": 1})
    assert added.status_code == 201
    assert {k: added.json()[k] for k in ("particleId", "order", "particleVersionId", "pinnedVersion", "particleCategory")} == {
        "particleId": role,
        "order": 1,
        "particleVersionId": None,
        "pinnedVersion": None,
        "particleCategory": "role",
    }
    assert added.json()["id"].startswith("spa_")
    assert client.post(f"/v1/system-prompts/{sp}/particles", json={"particleId": role}).status_code == 409
    client.post(f"/v1/system-prompts/{sp}/particles", json={"particleId": tone})
    assert client.get(f"/v1/system-prompts/{sp}/compose").json()["composedContent"] == "You are v2.\n\nBe calm."

    pinned = client.patch(f"/v1/system-prompts/{sp}/particles/{role}", json={"particleVersionId": versions[0]["id"]})
    assert pinned.status_code == 200
    assert (pinned.json()["pinnedVersion"], pinned.json()["order"]) == (1, 1)
    assert client.get(f"/v1/system-prompts/{sp}/compose").json()["composedContent"] == "You are v1.\n\nBe calm."

    by_association = client.patch(
        f"/v1/system-prompts/{sp}/particles/{added.json()['id']}",
        json={"particleVersionId": None, "order": 0},
    )
    assert (by_association.json()["pinnedVersion"], by_association.json()["order"]) == (None, 0)
    bad_pin = client.patch(f"/v1/system-prompts/{sp}/particles/{role}", json={"particleVersionId": "pv_nope"})
    assert bad_pin.status_code == 422

    assert client.delete(f"/v1/system-prompts/{sp}/particles/{role}").status_code == 204
    assert client.get(f"/v1/system-prompts/{sp}/compose").json()["composedContent"] == "Be calm."
    assert client.delete(f"/v1/system-prompts/{sp}/particles/{role}").status_code == 404
    assert client.post(f"/v1/system-prompts/{sp}/particles", json={"particleId": "part_nope"}).status_code == 404


def test_system_prompts_skip_disabled_and_deleted_particles(client: TestClient) -> None:
    role = particle(client, "role", "You are here.")
    tone = particle(client, "tone", "Be quiet.")
    fmt = particle(client, "format", "Use lists.")
    sp = prompt(client, particles=[{"particleId": p} for p in (role, tone, fmt)])["id"]
    client.patch(f"/v1/particles/{tone}", json={"enabled": False})
    client.delete(f"/v1/particles/{fmt}")
    composed = client.get(f"/v1/system-prompts/{sp}/compose").json()
    assert (composed["composedContent"], composed["particleCount"]) == ("You are here.", 1)


def test_system_prompts_templates_and_copy(client: TestClient) -> None:
    templates = client.get("/v1/system-prompts", params={"isSystem": "true", "expand[]": "particles"}).json()["items"]
    assert templates and all(t["isSystem"] for t in templates)
    assert all(t["particles"] for t in templates)
    assert all(not p["isSystem"] for p in client.get("/v1/system-prompts").json()["items"])
    template = templates[0]
    original = client.get(f"/v1/system-prompts/{template['id']}/compose").json()["composedContent"]
    assert original

    assert client.patch(f"/v1/system-prompts/{template['id']}", json={"name": "x"}).status_code == 403
    assert client.delete(f"/v1/system-prompts/{template['id']}").status_code == 403

    copied = client.post(f"/v1/system-prompts/{template['id']}/copy")
    assert copied.status_code == 201
    copy = copied.json()
    assert (copy["name"], copy["isSystem"]) == (f"Copy of {template['name']}", False)
    assert client.get(f"/v1/system-prompts/{copy['id']}/compose").json()["composedContent"] == original
    named = client.post(f"/v1/system-prompts/{copy['id']}/copy", json={"name": "Mine"}).json()
    assert named["name"] == "Mine"
    assert [p["id"] for p in client.get("/v1/system-prompts").json()["items"]] == [copy["id"], named["id"]]


def test_system_prompts_enabled_filter(client: TestClient) -> None:
    on = prompt(client, "On")["id"]
    off = prompt(client, "Off", enabled=False)["id"]
    assert [p["id"] for p in client.get("/v1/system-prompts").json()["items"]] == [on]
    assert [p["id"] for p in client.get("/v1/system-prompts", params={"enabled": "false"}).json()["items"]] == [on, off]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("/v1/system-prompts", {"name": ""}, id="empty-name"),
        pytest.param("/v1/system-prompts", {"name": "x", "particles": [{"order": 1}]}, id="particle-without-id"),
        pytest.param(
            "/v1/system-prompts",
            {"name": "x", "particles": [{"particleId": "p", "order": -1}]},
            id="negative-order",
        ),
    ],
)
def test_system_prompts_validation(client: TestClient, path: str, body: dict[str, Any]) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_system_prompts_are_tenant_scoped(app: Any, client: TestClient) -> None:
    role = particle(client, "role", "Private role.")
    sp = prompt(client, particles=[{"particleId": role}])["id"]
    with TestClient(app, base_url="http://emulator", headers={"Authorization": "Bearer other-org-token"}) as other:
        for method, path in [
            ("GET", f"/v1/system-prompts/{sp}"),
            ("GET", f"/v1/system-prompts/{sp}/compose"),
            ("POST", f"/v1/system-prompts/{sp}/copy"),
            ("DELETE", f"/v1/system-prompts/{sp}"),
        ]:
            assert other.request(method, path).status_code == 404, path
        own = other.post("/v1/system-prompts", json={"name": "Theirs"}).json()["id"]
        assert other.post(f"/v1/system-prompts/{own}/particles", json={"particleId": role}).status_code == 404
        assert [p["id"] for p in other.get("/v1/system-prompts").json()["items"]] == [own]


def test_system_prompts_survive_reset_templates_only(app: Any, client: TestClient) -> None:
    prompt(client, "Temporary")
    app.state.reset()
    assert client.get("/v1/system-prompts").json()["items"] == []
    assert client.get("/v1/system-prompts", params={"isSystem": "true"}).json()["items"]


def test_system_prompts_responses_match_their_schemas(client: TestClient) -> None:
    role = particle(client, "role", "You are a tester.")
    created = prompt(client, particles=[{"particleId": role}])
    assert_matches("system_prompt", created)
    sp = created["id"]
    assert_matches("system_prompt", client.get(f"/v1/system-prompts/{sp}", params={"expand[]": "particles"}).json())
    assert_matches("system_prompt_list", client.get("/v1/system-prompts", params={"isSystem": "true"}).json())
    assert_matches("system_prompt_compose", client.get(f"/v1/system-prompts/{sp}/compose").json())
    tone = particle(client, "tone", "Be kind.")
    added = client.post(f"/v1/system-prompts/{sp}/particles", json={"particleId": tone})
    assert_matches("system_prompt_particle", added.json())
    assert_matches(
        "system_prompt_particle",
        client.patch(f"/v1/system-prompts/{sp}/particles/{tone}", json={"order": 3}).json(),
    )
    assert_matches("system_prompt", client.post(f"/v1/system-prompts/{sp}/copy").json())
