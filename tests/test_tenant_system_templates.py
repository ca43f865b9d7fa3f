"""The system particles and prompt templates (``isSystem: true``) are shared by every organisation and
read-only: a tenant's writes never reach them, so its reset restores exactly its own view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Config, EmulatorApp, create_app
from emulator.domain.models import SYSTEM_ORG
from emulator.domain.particles import KIND as PARTICLES
from emulator.domain.system_prompts import KIND as PROMPTS
from tests.test_tenants import tenant

PROMPT, PARTICLE = "sp_sys_customer_support", "part_sys_role_support"


@pytest.fixture
def tapp() -> EmulatorApp:
    return create_app(Config(clock="manual", rate_limit="off"))


@pytest.fixture
def web(tapp: EmulatorApp) -> Iterator[TestClient]:
    with TestClient(tapp, base_url="http://emulator") as client:
        yield client
    assert not tapp.state.server_errors


def view(web: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """What a tenant sees of prompts and particles: lists (own and system), each template and its composition."""
    seen: dict[str, Any] = {}
    for path in ("/v1/system-prompts?isSystem=true", "/v1/system-prompts", "/v1/particles?limit=100"):
        response = web.get(path, headers=headers)
        assert response.status_code == 200, response.text
        seen[path] = response.json()
    for item in seen["/v1/system-prompts?isSystem=true"]["items"]:
        for suffix in ("", "/compose", "?expand=particles"):
            seen[item["id"] + suffix] = web.get(f"/v1/system-prompts/{item['id']}{suffix}", headers=headers).json()
    return seen


def system_records(tapp: EmulatorApp) -> list[Any]:
    store = tapp.state.store
    return [sorted(map(repr, store.collection(SYSTEM_ORG, kind).values())) for kind in (PROMPTS, PARTICLES)]


def test_tenant_system_templates_refuse_every_write_and_reset_restores_the_tenants_view(
    web: TestClient, tapp: EmulatorApp
) -> None:
    one, two = tenant(web, "org_t1"), tenant(web, "org_t2")
    before, shared = view(web, one), system_records(tapp)
    writes = [
        ("PATCH", f"/v1/system-prompts/{PROMPT}", {"name": "Hijacked", "enabled": False}),
        ("DELETE", f"/v1/system-prompts/{PROMPT}", None),
        ("POST", f"/v1/system-prompts/{PROMPT}/particles", {"particleId": "part_sys_constraints_brief"}),
        ("PATCH", f"/v1/system-prompts/{PROMPT}/particles/{PARTICLE}", {"order": 9}),
        ("DELETE", f"/v1/system-prompts/{PROMPT}/particles/{PARTICLE}", None),
        ("PATCH", f"/v1/particles/{PARTICLE}", {"content": "Be rude."}),
        ("PUT", f"/v1/particles/{PARTICLE}", {"name": "Mine", "category": "role", "content": "Be rude."}),
        ("DELETE", f"/v1/particles/{PARTICLE}", None),
    ]
    for method, path, body in writes:
        response = web.request(method, path, json=body, headers=one)
        assert response.status_code in (403, 404, 422), (method, path, response.status_code, response.text)
    assert system_records(tapp) == shared  # nothing reached the shared templates
    # what a tenant may do with them: copy a template, compose its own prompt from system particles
    copied = web.post(f"/v1/system-prompts/{PROMPT}/copy", json={"name": "My support"}, headers=one)
    assert copied.status_code == 201 and copied.json()["isSystem"] is False
    own = web.post("/v1/system-prompts", json={"name": "Own", "particles": [{"particleId": PARTICLE}]}, headers=one)
    assert own.status_code == 201
    assert web.get(f"/v1/system-prompts/{copied.json()['id']}", headers=two).status_code == 404
    assert view(web, one) != before and view(web, two) == before
    assert web.post("/_emulator/reset", json={"org": "org_t1"}).status_code == 204
    assert view(web, one) == before == view(web, two)
    assert system_records(tapp) == shared
