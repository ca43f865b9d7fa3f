"""The fast request-body check (jsonschema_rs) against the authority (jsonschema), on every request schema.

A body the fast check accepts is accepted without asking jsonschema, so the fast check must never accept
what jsonschema refuses. The bodies are built from each schema: a valid base, then every property set to
each of a list of boundary values (lengths around the bounds, astral characters, numbers around the
limits, 1.0 for an integer, booleans for numbers, wrong types), a required property left out, an unknown
property added, and arrays around their item bounds with a valid and an invalid item.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from emulator.resources import load_schema
from emulator.validation import Validators

SCHEMAS = sorted(p.stem for p in (Path(__file__).parent.parent / "emulator" / "schemas" / "requests").glob("*.json"))
#: Strings for a property with a ``pattern``; each schema's pattern accepts some of them and refuses others.
PATTERNED = ["abc", "a-b_c.d:e*", "+15551234567", "+0123", "https://example.com/x", "http://a b", "a b", "", "abc\n"]


def _samples(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> list[Any]:
    """Values for ``schema``: a valid one first (when the subset of keywords allows it), then boundary ones."""
    if "$ref" in schema:
        return _samples(defs[schema["$ref"].rsplit("/", 1)[1]], defs, depth)
    if "enum" in schema:
        return [*schema["enum"], "zzz", None, 1]
    types = schema.get("type", ["string", "integer", "object", "null"])
    types = [types] if isinstance(types, str) else types
    out: list[Any] = []
    for kind in types:
        if kind == "string":
            low, high = schema.get("minLength", 0), schema.get("maxLength", 300)
            if "pattern" in schema:
                out += sorted(PATTERNED, key=lambda s: re.search(schema["pattern"], s) is None)
            else:
                out += ["a" * max(low, 1), "a" * high, "a" * (high + 1), "😀" * high, "😀" * (high + 1)]
                out += ["a" * (low - 1)] if low > 0 else []
        elif kind in ("integer", "number"):
            low, high = schema.get("minimum", 0), schema.get("maximum", 10**6)
            out += [low, high, low - 1, high + 1, float(low), float(high), low + 0.5, True, -(2**63)]
        elif kind == "boolean":
            out += [True, False, 0, "true"]
        elif kind == "null":
            out += [None]
        elif kind == "array":
            items = _samples(schema.get("items", {}), defs, depth + 1) if depth < 3 else [1]
            low, high = schema.get("minItems", 0), min(schema.get("maxItems", 3), 1001)
            out += [[items[0]] * max(low, 1), [items[0]] * high, [items[0]] * (high + 1), [items[-1]], []]
        elif kind == "object":
            out += _objects(schema, defs, depth + 1) if depth < 3 else [{}]
    out += [{"x": 1}, [1], "s", 2.5, None]
    return out


def _objects(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> list[dict[str, Any]]:
    properties = schema.get("properties", {})
    samples = {name: _samples(sub, defs, depth) for name, sub in properties.items()}
    base = {name: samples[name][0] for name in schema.get("required", [])}
    out = [base, {**base, "unknownField": 1}]
    out += [{k: v for k, v in base.items() if k != name} for name in base]
    out += [{**base, name: value} for name, values in samples.items() for value in values]
    return out


def _bodies(name: str) -> list[Any]:
    schema = load_schema(f"requests/{name}.json")
    return _objects(schema, schema.get("$defs", {}), 0) + [[], "body", 1, None]


@pytest.mark.parametrize("name", SCHEMAS)
def test_validation_fast_check_never_accepts_what_jsonschema_refuses(name: str) -> None:
    authority = Draft202012Validator(load_schema(f"requests/{name}.json"))
    fast = Validators().fast(name)
    accepted = refused = 0
    for body in _bodies(name):
        verdict = authority.is_valid(body)
        assert not (fast(body) and not verdict), f"{name}: fast check accepts {body!r}"
        accepted += verdict
        refused += not verdict
    assert accepted and refused  # the bodies reach both sides of the schema


@pytest.mark.parametrize("name", SCHEMAS)
def test_validation_fast_check_accepts_what_jsonschema_accepts(name: str) -> None:
    """The fast path is taken for valid bodies (a body it refuses costs a jsonschema run); the one known
    difference: a pattern's ``$`` also matches before a final newline in Python, not in Rust."""
    authority = Draft202012Validator(load_schema(f"requests/{name}.json"))
    fast = Validators().fast(name)
    for body in _bodies(name):
        if authority.is_valid(body) and "\\n" not in repr(body):
            assert fast(body), f"{name}: fast check refuses the valid {body!r}"


def test_validation_chat_body_accepted_by_fast_check() -> None:
    body = {"modelId": "m", "stream": False, "messages": [{"role": "user", "content": "Hello!"}], "maxTokens": 5}
    assert Validators().is_valid("chat_create", body)
    assert not Validators().is_valid("chat_create", {**body, "maxTokens": 0})
