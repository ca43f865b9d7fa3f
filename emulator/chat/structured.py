"""Deterministic JSON-Schema instances: tool-call arguments and ``responseFormat`` replies.

:func:`instance_for` walks a JSON Schema (the subset tool definitions and structured outputs use:
objects with ``properties``/``required``, strings with ``enum``/``const``/length/format, numbers
and integers with bounds, booleans, arrays with item bounds, ``anyOf``/``oneOf``/``allOf`` and local
``$ref``) and builds a value from a seeded ``random.Random``. :func:`checked_instance` validates the
result with ``jsonschema`` and turns an unusable schema into a 422 problem.
"""

from __future__ import annotations

import math
import random
from typing import Any

from ..errors import invalid

_WORDS = (
    "alpha",
    "amber",
    "harbor",
    "maple",
    "orbit",
    "cedar",
    "delta",
    "ember",
    "falcon",
    "garnet",
    "horizon",
    "island",
    "juniper",
    "lumen",
    "meadow",
    "nova",
    "opal",
    "prairie",
    "quartz",
    "river",
)
_BY_NAME = {
    "location": ("Paris", "Berlin", "San Francisco", "Tokyo", "Lisbon"),
    "city": ("Paris", "Berlin", "San Francisco", "Tokyo", "Lisbon"),
    "country": ("France", "Germany", "Japan", "Portugal", "Canada"),
    "name": ("Ada Lovelace", "Grace Hopper", "Alan Turing", "iPhone 15 Pro", "Acme Widget"),
    "query": ("latest release notes", "refund policy", "opening hours", "pricing tiers"),
    "summary": ("A short summary of the conversation so far.", "The user asked for a concise overview."),
    "language": ("en", "fr", "de", "es"),
    "unit": ("celsius", "fahrenheit"),
}
_FORMATS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}
_MAX_DEPTH = 12
#: Bounds on what a schema may ask the generator for: a request body must not buy minutes of CPU.
MAX_ITEMS = 100
MAX_LENGTH = 10_000
MAX_PROPERTIES = 100


class _TooLarge(Exception):
    """A schema asks for more than the generator's bounds allow."""


def instance_for(schema: Any, rng: random.Random, *, root: Any = None, name: str = "", depth: int = 0) -> Any:
    """A value of ``schema`` drawn from ``rng`` (same schema and rng state, same value)."""
    root = schema if root is None else root
    if schema is True or schema is None or schema == {}:
        return _word(rng)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return instance_for(_resolve(root, schema["$ref"]), rng, root=root, name=name, depth=depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0] if len(schema["enum"]) == 1 else rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            non_null = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return instance_for((non_null or options)[0], rng, root=root, name=name, depth=depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            if isinstance(part, dict):
                part = _resolve(root, part["$ref"]) if "$ref" in part else part
                merged = _merge(merged, part)
        return instance_for(merged, rng, root=root, name=name, depth=depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, rng, root, depth)
    if kind == "array":
        return _array(schema, rng, root, name, depth)
    if kind == "string":
        return _string(schema, rng, name)
    if kind in ("integer", "number"):
        return _number(schema, rng, integer=kind == "integer")
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return _word(rng)


def checked_instance(schema: Any, rng: random.Random, pointer: str) -> Any:
    """An instance of ``schema`` that ``jsonschema`` accepts.

    Raises UnprocessableEntity (422, naming ``pointer``) when ``schema`` is not a valid JSON Schema
    or when the emulator cannot build a value for it (e.g. a ``pattern`` it cannot satisfy).
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from referencing.exceptions import Unresolvable

    if not isinstance(schema, (dict, bool)):
        raise invalid(pointer, "must be a JSON Schema object")
    try:
        Draft202012Validator.check_schema(schema)
        value = instance_for(schema, rng)
        error = next(iter(Draft202012Validator(schema).iter_errors(value)), None)
    except SchemaError as exc:
        raise invalid(pointer, f"invalid JSON Schema: {exc.message}") from None
    except Unresolvable as exc:
        raise invalid(pointer, f"unresolvable $ref: {exc}") from None
    except RecursionError:
        raise invalid(pointer, "the schema nests or refers to itself too deeply") from None
    except _TooLarge as exc:
        raise invalid(pointer, str(exc)) from None
    if error is not None:
        raise invalid(pointer, f"the emulator cannot generate a value for this schema ({error.message})")
    return value


def _type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        concrete = [k for k in kind if k != "null"]
        return concrete[0] if concrete else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def _resolve(root: Any, ref: str) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#"):
        return {}
    node = root
    for part in ref.lstrip("#").strip("/").split("/") if ref not in ("#", "#/") else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    out = {**left, **{k: v for k, v in right.items() if k not in ("properties", "required")}}
    out["properties"] = {**left.get("properties", {}), **right.get("properties", {})}
    out["required"] = sorted(set(left.get("required", [])) | set(right.get("required", [])))
    if not out["properties"]:
        del out["properties"]
    if not out["required"]:
        del out["required"]
    return out


def _object(schema: dict[str, Any], rng: random.Random, root: Any, depth: int) -> dict[str, Any]:
    raw_properties = schema.get("properties")
    properties: dict[str, Any] = raw_properties if isinstance(raw_properties, dict) else {}
    required = [k for k in schema.get("required", []) if isinstance(k, str)]
    out: dict[str, Any] = {}
    for key in required:
        out[key] = instance_for(properties.get(key, {}), rng, root=root, name=key, depth=depth + 1)
    minimum = schema.get("minProperties", 0) if isinstance(schema.get("minProperties"), int) else 0
    if minimum > MAX_PROPERTIES:
        raise _TooLarge(f"minProperties {minimum} is more than the emulator generates ({MAX_PROPERTIES})")
    for key, sub in properties.items():  # optional properties: include some, deterministically
        if key not in out and (len(out) < minimum or rng.random() < 0.5):
            out[key] = instance_for(sub, rng, root=root, name=key, depth=depth + 1)
    extra = schema.get("additionalProperties", True)
    index = 0
    while len(out) < minimum and extra is not False:
        out[f"field_{index}"] = instance_for(extra if isinstance(extra, dict) else {}, rng, root=root, depth=depth + 1)
        index += 1
    return out


def _array(schema: dict[str, Any], rng: random.Random, root: Any, name: str, depth: int) -> list[Any]:
    low = schema.get("minItems", 1) if isinstance(schema.get("minItems"), int) else 1
    if low > MAX_ITEMS:
        raise _TooLarge(f"minItems {low} is more than the emulator generates ({MAX_ITEMS})")
    high = schema.get("maxItems", max(low, 3)) if isinstance(schema.get("maxItems"), int) else max(low, 3)
    count = rng.randint(min(low, high), max(low, min(high, low + 2)))
    raw_prefix = schema.get("prefixItems")
    prefix: list[Any] = raw_prefix if isinstance(raw_prefix, list) else []
    items = schema.get("items", {})
    out: list[Any] = []
    for index in range(count):
        sub = prefix[index] if index < len(prefix) else items
        sub = sub if sub is not False else {}
        value = instance_for(sub, rng, root=root, name=name, depth=depth + 1)
        attempts = 0
        while schema.get("uniqueItems") and value in out and attempts < 8:
            value = instance_for(sub, rng, root=root, name=name, depth=depth + 1)
            attempts += 1
        if schema.get("uniqueItems") and value in out:
            unused = [v for v in sub.get("enum", ()) if v not in out] if isinstance(sub, dict) else []
            if unused:
                value = unused[0]
            elif isinstance(value, str) and not (isinstance(sub, dict) and "enum" in sub):
                value = f"{value}-{index}"
            else:
                break  # cannot find another distinct value: stop at fewer items
        out.append(value)
    return out


def _string(schema: dict[str, Any], rng: random.Random, name: str) -> str:
    fmt = schema.get("format")
    key = name.lower()
    if isinstance(fmt, str) and fmt in _FORMATS:
        text = _FORMATS[fmt]
    elif key in _BY_NAME:
        text = rng.choice(_BY_NAME[key])
    else:
        text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))
    low = schema.get("minLength", 0) if isinstance(schema.get("minLength"), int) else 0
    if low > MAX_LENGTH:
        raise _TooLarge(f"minLength {low} is more than the emulator generates ({MAX_LENGTH})")
    high = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
    while len(text) < low:
        text += " " + rng.choice(_WORDS)
    if high is not None and len(text) > high:
        text = text[:high].rstrip() if len(text[:high].rstrip()) >= low else text[:high]
    return text


def _number(schema: dict[str, Any], rng: random.Random, *, integer: bool) -> int | float:
    low = _bound(schema, "minimum", "exclusiveMinimum", 1, integer)
    high = _bound(schema, "maximum", "exclusiveMaximum", -1, integer)
    if low is None and high is None:
        low, high = 0, 100
    elif low is None:
        low = high - 100  # type: ignore[operator]
    elif high is None:
        high = low + 100
    assert low is not None and high is not None
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and not isinstance(step, bool) and step > 0:
        first, last = math.ceil(low / step), math.floor(high / step)
        multiple = step * rng.randint(first, max(first, last))
        return int(multiple) if integer or isinstance(step, int) else round(multiple, 10)
    if integer:
        return rng.randint(math.ceil(low), max(math.ceil(low), math.floor(high)))
    if high - low <= 0.02:
        return low
    return min(max(round(rng.uniform(low, high), 2), low), high)


def _bound(schema: dict[str, Any], inclusive: str, exclusive: str, direction: int, integer: bool) -> float | None:
    value = schema.get(inclusive)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    value = schema.get(exclusive)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value + direction * (1 if integer else 0.01)
    return None


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS)
