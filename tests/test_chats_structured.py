"""responseFormat json_schema: message.content is JSON valid against the schema; the instance generator."""

from __future__ import annotations

import json
import random

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from emulator.chat.structured import checked_instance, instance_for
from emulator.errors import UnprocessableEntity
from tests.conftest import chat_body
from tests.resource_helpers import stream

PRODUCT = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
    "required": ["name", "price"],
}
REFERENCE = {
    "additionalProperties": False,
    "type": "object",
    "required": ["summary"],
    "properties": {"summary": {"type": "string"}, "confidence": {"maximum": 1, "minimum": 0, "type": "number"}},
}

SCHEMAS = [
    pytest.param(PRODUCT, id="guide-product"),
    pytest.param(REFERENCE, id="reference-summary"),
    pytest.param({"type": "string", "minLength": 40, "maxLength": 45}, id="string-length"),
    pytest.param({"type": "string", "format": "date-time"}, id="string-format"),
    pytest.param({"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7}, id="integer-exclusive"),
    pytest.param({"type": "number", "minimum": 0.5, "maximum": 0.75, "multipleOf": 0.25}, id="number-multiple"),
    pytest.param({"type": "array", "items": {"type": "boolean"}, "minItems": 4, "maxItems": 4}, id="array-bounds"),
    pytest.param(
        {"type": "array", "items": {"enum": ["a", "b", "c", "d", "e"]}, "uniqueItems": True, "minItems": 2},
        id="array-unique-enum",
    ),
    pytest.param(
        {
            "type": ["null", "object"],
            "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
            "required": ["tags"],
        },
        id="nullable-object",
    ),
    pytest.param(
        {
            "$defs": {"pt": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}},
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/pt"}, "b": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/pt"}]}},
            "required": ["a", "b"],
        },
        id="refs-and-anyOf",
    ),
    pytest.param(
        {
            "allOf": [
                {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
                {"properties": {"n": {"const": 3}}, "required": ["n"]},
            ]
        },
        id="allOf",
    ),
    pytest.param({"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}}, id="min-properties"),
]


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_chats_structured_instance_is_valid(schema: dict, seed: int) -> None:
    value = instance_for(schema, random.Random(seed))
    Draft202012Validator(schema).validate(value)


def test_chats_structured_instance_is_deterministic() -> None:
    assert instance_for(PRODUCT, random.Random(5)) == instance_for(PRODUCT, random.Random(5))


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "object", "properties": {"x": {"type": 7}}}, id="invalid-schema"),
        pytest.param({"type": "string", "pattern": "^[0-9]{5}$"}, id="unsatisfiable-pattern"),
        pytest.param("not a schema", id="not-an-object"),
    ],
)
def test_chats_structured_unusable_schema_is_422(schema: object) -> None:
    with pytest.raises(UnprocessableEntity) as caught:
        checked_instance(schema, random.Random(0), "/responseFormat/json_schema/schema")
    assert caught.value.extensions["errors"][0]["pointer"] == "/responseFormat/json_schema/schema"


@pytest.mark.parametrize(
    "response_format",
    [
        pytest.param(
            {"type": "json_schema", "json_schema": {"name": "product", "strict": True, "schema": PRODUCT}}, id="guide-form"
        ),
        pytest.param({"json_schema": {"name": "product", "schema": PRODUCT, "strict": True}}, id="reference-form"),
    ],
)
def test_chats_structured_content_validates(client: TestClient, response_format: dict) -> None:
    body = chat_body("Extract: iPhone 15 Pro costs $999", responseFormat=response_format)
    response = client.post("/v1/chats", json=body)
    assert response.status_code == 200, response.text
    content = response.json()["message"]["content"]
    Draft202012Validator(PRODUCT).validate(json.loads(content))


def test_chats_structured_stream_concatenates_to_valid_json(client: TestClient) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "r", "schema": REFERENCE}}
    chunks = stream(client, chat_body("Summarise please", responseFormat=fmt))
    content = "".join(c["delta"] for c in chunks)
    Draft202012Validator(REFERENCE).validate(json.loads(content))
    stored = client.get(f"/v1/chats/{chunks[0]['id']}").json()["messages"][-1]
    assert stored["content"] == content


def test_chats_structured_json_object_mode(client: TestClient) -> None:
    content = client.post("/v1/chats", json=chat_body("hi", responseFormat={"type": "json_object"})).json()["message"]["content"]
    assert isinstance(json.loads(content), dict)


@pytest.mark.parametrize(
    ("response_format", "pointer"),
    [
        pytest.param(
            {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "bogus"}}},
            "/responseFormat/json_schema/schema",
            id="invalid-schema",
        ),
        pytest.param({"type": "json_schema"}, "/responseFormat/json_schema", id="missing-json_schema"),
        pytest.param(
            {"type": "json_schema", "json_schema": {"name": "x"}}, "/responseFormat/json_schema/schema", id="missing-schema"
        ),
        pytest.param({"type": "xml"}, "/responseFormat/type", id="unknown-type"),
    ],
)
def test_chats_structured_bad_response_format_is_422(client: TestClient, response_format: dict, pointer: str) -> None:
    response = client.post("/v1/chats", json=chat_body("x", responseFormat=response_format))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == pointer
    assert client.get("/v1/chats").json()["items"] == []  # nothing was stored
