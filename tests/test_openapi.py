"""GET /openapi.json: an OpenAPI 3.1 document generated from the live route table and the request schemas."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from emulator import EmulatorApp, openapi
from emulator.routing import route


@pytest.fixture
def doc(anon: TestClient) -> dict[str, Any]:
    response = anon.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return dict(response.json())


def test_openapi_is_served_without_auth_as_openapi_31(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1.")
    assert doc["info"]["title"] and doc["info"]["version"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert "clientCredentials" in schemes["oauth2"]["flows"]


def test_openapi_covers_every_served_operation(app: EmulatorApp, doc: dict[str, Any]) -> None:
    served = {(r.method.lower(), r.path) for r in [*app.api_router.routes, *app.control_router.routes]}
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}

    assert documented == served
    operation_ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_openapi_marks_inferred_operations(app: EmulatorApp, doc: dict[str, Any]) -> None:
    for item in app.api_router.routes:
        op = doc["paths"][item.path][item.method.lower()]
        assert op.get("x-inferred", False) is (not item.documented), (item.method, item.path)


def test_openapi_security_follows_route_scope_and_auth(doc: dict[str, Any]) -> None:
    assert doc["paths"]["/v1/health/liveness"]["get"]["security"] == []
    assert doc["paths"]["/openapi.json"]["get"]["security"] == []
    assert {"oauth2": ["org:admin"]} in doc["paths"]["/v1/channels"]["post"]["security"]
    assert {"oauth2": ["connections:read"]} in doc["paths"]["/v1/sync-jobs"]["get"]["security"]
    assert "org:admin" in doc["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]


def test_openapi_request_bodies_are_the_validation_schemas(doc: dict[str, Any]) -> None:
    body = doc["paths"]["/v1/channels"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]

    assert body["required"] is True
    assert schema["required"] == ["name", "channelType"]
    assert "$schema" not in schema


def test_openapi_hoists_defs_and_cross_file_refs(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    chat_request = schemas["ChatRequest"]

    assert chat_request["properties"]["messages"]["items"] == {"$ref": "#/components/schemas/ChatRequest.MessageCreate"}
    assert "ChatRequest.MessageCreate" in schemas
    assert schemas["ChannelListOut"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/ChannelOut"}
    refs = re.findall(r"'\$ref': '([^']*)'", str(doc))
    assert refs and all(ref.startswith("#/components/schemas/") for ref in refs)
    assert all(ref.rsplit("/", 1)[1] in schemas for ref in refs)


def test_openapi_errors_are_problem_documents(doc: dict[str, Any]) -> None:
    responses = doc["paths"]["/v1/channels/{channel_id}/pause"]["post"]["responses"]

    for status in ("401", "403", "404", "409", "default"):
        assert responses[status]["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert doc["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "detail"]


def test_openapi_success_status_and_response_schema_come_from_the_route(doc: dict[str, Any]) -> None:
    create = doc["paths"]["/v1/channels"]["post"]["responses"]
    delete = doc["paths"]["/v1/channels/{channel_id}"]["delete"]["responses"]

    assert create["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ChannelOut"}
    assert "200" not in create
    assert "content" not in delete["204"]


def test_openapi_headers_and_parameters(doc: dict[str, Any]) -> None:
    def names(path: str, method: str) -> set[str]:
        return {p["name"] for p in doc["paths"][path][method].get("parameters", [])}

    assert "Idempotency-Key" in names("/v1/connections", "post")
    assert "Idempotency-Key" in names("/v1/channels", "post")  # every POST honours it (issue 12)
    assert "Idempotency-Key" not in names("/v1/channels", "get")
    assert {"X-Stream-Format", "Idempotency-Key"} <= names("/v1/chats", "post")
    assert "text/event-stream" in doc["paths"]["/v1/chats"]["post"]["responses"]["200"]["content"]
    assert names("/v1/sync-jobs/{job_id}/items", "get") == {"job_id", "status", "limit", "offset"}
    path_param = doc["paths"]["/v1/channels/{channel_id}"]["get"]["parameters"][0]
    assert path_param == {**path_param, "in": "path", "required": True}


def test_openapi_document_is_built_once_per_app(app: EmulatorApp, client: TestClient, make_app: Any) -> None:
    first = openapi.document(app.state)
    client.get("/openapi.json")

    assert openapi.document(app.state) is first
    assert openapi.document(make_app().state) is not first


def test_openapi_fallback_status_for_routes_that_declare_none() -> None:
    async def handler(ctx: Any) -> Any:
        raise NotImplementedError

    doc = openapi.build_document(
        [
            route("POST", "/v1/things", handler),
            route("DELETE", "/v1/things/{thing_id}", handler),
            route("GET", "/v1/things", handler, auth=False),
        ]
    )

    assert set(doc["paths"]["/v1/things"]["post"]["responses"]) >= {"200", "201"}
    assert "204" in doc["paths"]["/v1/things/{thing_id}"]["delete"]["responses"]
    assert doc["paths"]["/v1/things"]["get"]["responses"]["200"]["content"] == {"*/*": {"schema": {}}}
    assert "401" not in doc["paths"]["/v1/things"]["get"]["responses"]


def test_openapi_response_schema_validates_a_real_body(client: TestClient, doc: dict[str, Any]) -> None:
    channel = client.post("/v1/channels", json={"name": "Slack", "channelType": "slack"}).json()
    schema = openapi.response_schema(doc, "POST", "/v1/channels", 201)
    assert schema is not None
    validator = Draft202012Validator(schema)

    assert not list(validator.iter_errors(channel))
    assert list(validator.iter_errors({**channel, "status": "deleted"}))
    assert list(validator.iter_errors({**channel, "botToken": "leak"}))


def test_openapi_components_are_valid_json_schemas(doc: dict[str, Any]) -> None:
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema({**schema, "components": doc["components"]})


def test_openapi_documents_the_control_plane(doc: dict[str, Any]) -> None:
    clock = doc["paths"]["/_emulator/clock"]["post"]
    assert clock["tags"] == ["Emulator control plane"]
    assert clock["x-emulator-control"] is True
    assert clock["requestBody"]["content"]["application/json"]["schema"]["$ref"].startswith("#/components/schemas/")
    assert "204" in doc["paths"]["/_emulator/scenarios/{name}"]["delete"]["responses"]
    assert "adminToken" in doc["components"]["securitySchemes"]
    assert all(
        op.get("x-emulator-control") for path, ops in doc["paths"].items() if path.startswith("/_emulator") for op in ops.values()
    )
