"""Inputs found by a break-it review: each must be a clear 4xx, never a 500, a hang or lost state."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import SUPPORT_BOT


def _tool(parameters: object) -> dict[str, object]:
    return {
        "modelId": SUPPORT_BOT,
        "messages": [{"role": "user", "content": "go"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": parameters}}],
    }


def _nested(depth: int) -> dict[str, object]:
    schema: dict[str, object] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "array", "items": schema, "minItems": 1}
    return schema


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param({"$ref": "#/nope"}, id="pointer-to-nowhere"),
        pytest.param({"$ref": "http://127.0.0.1:1/x.json"}, id="remote-ref"),
        pytest.param({"type": "object", "properties": {"a": {"$ref": "#"}}, "required": ["a"]}, id="self-reference"),
        pytest.param(
            {"type": "object", "properties": {"a": {"type": "array", "minItems": 10_000_000}}, "required": ["a"]},
            id="huge-minItems",
        ),
        pytest.param(
            {"type": "object", "properties": {"a": {"type": "string", "minLength": 100_000_000}}, "required": ["a"]},
            id="huge-minLength",
        ),
        pytest.param({"type": "object", "minProperties": 1_000_000}, id="huge-minProperties"),
        pytest.param(_nested(400), id="deep-nesting"),
    ],
)
def test_hostile_tool_schemas_are_422(client: TestClient, parameters: object) -> None:
    response = client.post("/v1/chats", json=_tool(parameters))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/chats").json()["items"] == []  # nothing stored, nothing billed


@pytest.mark.parametrize(
    ("yaml", "fragment"),
    [
        pytest.param(
            "name: a\nbase: &b {path: /v1/models}\nrules:\n  - match: {<<: *b, method: GET}\n    error: 503\n",
            "merge keys",
            id="merge-key",
        ),
        pytest.param("name: a\nrules: &r [*r]\n", "recursive alias", id="recursive-alias"),
        pytest.param(
            "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
            "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
            "nodes",
            id="billion-laughs",
        ),
        pytest.param(
            "name: a\nrules:\n  - respond: {status: 200, body: !!binary aGVsbG8=}\n", "unsupported YAML type", id="binary"
        ),
        pytest.param("name: a\nrules:\n  - when: {probability: .nan}\n    error: 500\n", "finite", id="nan"),
        pytest.param("name: a\nrules:\n  - delay: 99999999999999999999s\n", "longer than a week", id="huge-duration"),
        pytest.param(
            'name: a\nrules:\n  - respond: {status: 200, headers: {"X-A": "x\\r\\nInjected: y"}}\n',
            "single-line",
            id="header-injection",
        ),
        pytest.param(
            'name: a\nrules:\n  - respond: {status: 200, headers: {"Bad Header": "x"}}\n', "header name", id="bad-header-name"
        ),
        pytest.param(
            "name: a\nrules:\n  - respond: {status: 200, headers: {Content-Length: '5'}}\n",
            "set by the server",
            id="framing-header",
        ),
        pytest.param("name: a\nrules:\n  - respond: {status: 204, body: {a: 1}}\n", "has no body", id="204-with-body"),
        pytest.param("name: a\nrules:\n  - respond: {status: 101}\n", "status", id="informational-status"),
        pytest.param('name: a\nrules:\n  - respond: {status: 200, headers: {X-A: "é€"}}\n', "latin-1", id="non-latin1-value"),
    ],
)
def test_hostile_scenario_uploads_are_422_naming_the_problem(client: TestClient, yaml: str, fragment: str) -> None:
    response = client.post("/_emulator/scenarios", content=yaml.encode(), headers={"Content-Type": "application/yaml"})
    assert response.status_code == 422, response.text
    assert fragment in response.json()["detail"]
    assert client.get("/_emulator/scenarios").json()["active"] == []


def test_hostile_token_expiring_after_year_9999_is_422(client: TestClient) -> None:
    assert client.post("/_emulator/clock", json={"set": "9999-12-31T23:00:00Z"}).status_code == 200
    response = client.post("/_emulator/tokens", json={})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/expiresIn"
