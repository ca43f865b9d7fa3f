"""Request-body validation against the JSON Schemas shipped in ``emulator/schemas/requests``.

Validators are compiled once per app, on first use of each schema (jsonschema is imported lazily so
that start-up stays fast).
"""

from __future__ import annotations

from typing import Any

from .errors import UnprocessableEntity
from .resources import load_schema


def _pointer(path: Any) -> str:
    return "".join(f"/{part}" for part in path)


class Validators:
    """Compiled request validators, keyed by schema name."""

    def __init__(self) -> None:
        self._compiled: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        validator = self._compiled.get(name)
        if validator is None:
            from jsonschema import Draft202012Validator

            schema = load_schema(f"requests/{name}.json")
            validator = self._compiled[name] = Draft202012Validator(schema)
        return validator

    def validate(self, name: str, data: Any) -> None:
        """Raise a 422 problem naming every failing field (``errors`` holds JSON pointers)."""
        errors = list(self.get(name).iter_errors(data))
        if not errors:
            return
        problems = []
        for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
            pointer = _pointer(error.absolute_path)
            message = error.message
            if error.validator == "required" and isinstance(error.validator_value, list):
                missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
                if missing:
                    pointer = f"{pointer}/{missing[0]}"
                    message = "field required"
            elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
                allowed = set(error.schema.get("properties", {}))
                extra = sorted(k for k in error.instance if k not in allowed)
                if extra:
                    pointer = f"{pointer}/{extra[0]}"
                    message = "unknown field"
            problems.append({"pointer": pointer or "/", "detail": message})
        first = problems[0]
        field = first["pointer"].lstrip("/").replace("/", ".") or "body"
        raise UnprocessableEntity(f"{field}: {first['detail']}", extensions={"errors": problems})
