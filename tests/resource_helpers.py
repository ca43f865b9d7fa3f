"""Helpers for the chats, models, datasets and files tests: model ids, uploads, links, streams."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from tests.conftest import sse_events

RESEARCH_ANALYST = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"  # custom model of org_default, parent supports reasoning
GPT_4O = "0b6c7a52-5d4e-4c1f-9a57-2f4b8e1d6a01"  # catalog: tools, no reasoning
CLAUDE_SONNET = "2a3b4c5d-7e8f-4a9b-8c0d-e1f2a3b4c503"  # catalog: tools and reasoning
MISTRAL_SMALL = "6b7c8d9e-1f2a-4b3c-8d4e-5f6a7b8c9d07"  # catalog: no tools, no reasoning
OTHER = {"Authorization": "Bearer other-org-token"}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["location", "unit", "days"],
        },
    },
}


def stream(client: TestClient, body: dict[str, Any], *, ai_sdk: bool = False) -> list[dict[str, Any]]:
    """POST /v1/chats with ``stream: true``; the parsed events (the trailing ``[DONE]`` is checked and dropped)."""
    headers = {"X-Stream-Format": "ai-sdk"} if ai_sdk else {}
    with client.stream("POST", "/v1/chats", json={**body, "stream": True}, headers=headers) as response:
        assert response.status_code == 200, response.read()
        events = sse_events(response.read().decode())
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def upload(
    client: TestClient,
    dataset_id: str,
    filename: str = "refund-policy.md",
    content: bytes = b"# Refunds\n\nRefunds are issued within 14 days.\n",
    content_type: str = "text/markdown",
    *,
    wait: bool = True,
) -> dict[str, Any]:
    """Upload a file into a dataset through the files API and (unless ``wait=False``) poll it like a client
    until processing ends (the default lifecycle: ``uploaded``, ``processing``, ``ready`` on the second GET)."""
    response = client.post(
        "/v1/files",
        files={"file": (filename, content, content_type)},
        data={"resource_type": "dataset", "resource_id": dataset_id},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    for _ in range(5):
        if not wait or body["status"] in ("ready", "failed"):
            return body
        body = client.get(f"/v1/files/{body['id']}").json()
    raise AssertionError(f"file {body['id']} still {body['status']} after 5 polls")


def link(client: TestClient, model_id: str, dataset_id: str, **extra: Any) -> dict[str, Any]:
    response = client.post(f"/v1/models/{model_id}/datasets", json={"datasetId": dataset_id, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def custom_model(client: TestClient, parent: str = GPT_4O, name: str = "Docs Bot") -> dict[str, Any]:
    response = client.post("/v1/models", json={"parentModelId": parent, "displayName": name})
    assert response.status_code == 201, response.text
    return response.json()


def assert_schema(name: str, body: Any) -> None:
    """``body`` validates against ``emulator/schemas/responses/<name>.json`` (sibling ``$ref``s resolved)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    from emulator.resources import PACKAGE_DIR, load_schema

    folder = PACKAGE_DIR / "schemas" / "responses"
    registry: Registry = Registry().with_resources(
        (path.name, Resource.from_contents(load_schema(f"responses/{path.name}"))) for path in folder.glob("*.json")
    )
    Draft202012Validator(load_schema(f"responses/{name}.json"), registry=registry).validate(body)
