"""The scenario JSON Schema (shipped next to this module) and the mapping of its errors to
:class:`~emulator.yamlsource.SourceError` naming file, line and key path."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from ..yamlsource import Located, SourceError

SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")
_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


@cache
def schema() -> dict[str, Any]:
    """The scenario JSON Schema (read once)."""
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # lazy: keeps start-up fast without scenarios

    return Draft202012Validator(schema())


_FORMS = {
    "error": "a status code (503) or an object with 'status'",
    "status": "a status code (503) or a list of status codes",
    "delay": "a duration (800ms, 1.5s, 2) or {duration: ..., after_handling: true}",
    "method": "a method (POST) or a list of methods",
    "path": "a path ('/v1/models/{id}', 'regex:^/v1/') or {regex: ...}",
}


def _describe(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _message(error: Any) -> tuple[tuple[str | int, ...], str]:
    path: tuple[str | int, ...] = tuple(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            return path + (extra[0],), f"unknown key '{extra[0]}' (allowed: {', '.join(allowed)})"
    if kind == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        if missing:
            return path, f"missing required key '{missing[0]}'"
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path, f"expected {expected}, got {_describe(error.instance)}"
    if kind == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return path, f"{error.instance!r} is not one of: {options}"
    if kind == "oneOf":
        forms = _FORMS.get(str(path[-1]) if path and not isinstance(path[-1], int) else "", "one of the accepted forms")
        if len(path) >= 2 and path[-2] in ("headers", "query") and path[:1] == ("rules",):
            forms = "a string or {regex: ...}"
        return path, f"got {_describe(error.instance)} {error.instance!r}; expected {forms}"
    return path, error.message


def validate(located: Located) -> None:
    """Check ``located.data`` against the schema; raise :class:`SourceError` for the most relevant error."""
    from jsonschema.exceptions import best_match

    if not isinstance(located.data, dict):
        raise located.error((), f"a scenario must be a mapping, got {_describe(located.data)}")
    error = best_match(_validator().iter_errors(located.data))
    if error is None:
        return
    path, message = _message(error)
    raise SourceError(located.filename, located.line_of(path), path, message)
