"""Request-body validation against the JSON Schemas shipped in ``emulator/schemas/requests``.

Each schema gets two validators, built once per app on first use: a ``fastjsonschema`` function
(compiled to Python; a valid body passes in a few microseconds) and a ``jsonschema`` validator that
only runs when the fast one rejects a body, to name every failing field. jsonschema stays the
authority: if it finds nothing wrong, the body is accepted. The request schemas use only keywords
whose meaning is the same in draft 7 (fastjsonschema) and 2020-12.
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
        self._fast: dict[str, Any] = {}

    def fast(self, name: str) -> Any:
        check = self._fast.get(name)
        if check is None:
            import fastjsonschema

            schema = {k: v for k, v in load_schema(f"requests/{name}.json").items() if k != "$schema"}
            check = self._fast[name] = fastjsonschema.compile(schema)
        return check

    def is_valid(self, name: str, data: Any) -> bool:
        from fastjsonschema import JsonSchemaException

        try:
            self.fast(name)(data)
        except JsonSchemaException:
            return False
        return True

    def get(self, name: str) -> Any:
        validator = self._compiled.get(name)
        if validator is None:
            from jsonschema import Draft202012Validator

            schema = load_schema(f"requests/{name}.json")
            validator = self._compiled[name] = Draft202012Validator(schema)
        return validator

    def validate(self, name: str, data: Any) -> None:
        """Raise a 422 problem naming every failing field (``errors`` holds JSON pointers)."""
        if self.is_valid(name, data):
            return
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
