"""Request-body validation against the JSON Schemas shipped in ``emulator/schemas/requests``.

Each schema gets two validators, built once per app on first use: a ``jsonschema_rs`` validator
(compiled in Rust; a chat body passes in ~5k instructions, against ~57k for the generated Python
of ``fastjsonschema``) and a ``jsonschema`` validator that only runs when the fast one rejects a
body, to name every failing field. jsonschema stays the authority: if it finds nothing wrong, the
body is accepted. ``tests/test_validation_fast.py`` checks that the two agree on every request
schema (a body the fast path accepts, jsonschema accepts too).

Unknown fields: the schemas say ``additionalProperties: false`` (they list what the emulator knows),
but production ignores fields it does not know. :meth:`Validators.ignore_unknown` removes them and
names each one in a warning; the body step calls it unless strict mode is on (docs/fidelity.md).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from .errors import unprocessable
from .resources import load_schema


def _pointer(path: Any) -> str:
    return "".join(f"/{part}" for part in path)


def _field(path: Sequence[Any]) -> str:
    return ".".join(["body", *map(str, path)])


def _unknown_fields(error: Any) -> list[str]:
    """The keys an ``additionalProperties`` error is about (empty for any other error)."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return []
    allowed = set(error.schema.get("properties", {}))
    return sorted(k for k in error.instance if k not in allowed)


class Validators:
    """Compiled request validators, keyed by schema name."""

    def __init__(self) -> None:
        self._compiled: dict[str, Any] = {}
        self._fast: dict[str, Callable[[Any], bool]] = {}

    def fast(self, name: str) -> Callable[[Any], bool]:
        """The fast check of schema ``name``: True for a valid body (False may still be accepted, see
        :meth:`validate`). Formats are annotations, as for jsonschema without a format checker."""
        check = self._fast.get(name)
        if check is None:
            import jsonschema_rs

            schema = load_schema(f"requests/{name}.json")
            check = self._fast[name] = jsonschema_rs.Draft202012Validator(schema, validate_formats=False).is_valid
        return check

    def is_valid(self, name: str, data: Any) -> bool:
        check = self._fast.get(name) or self.fast(name)
        return check(data)

    def get(self, name: str) -> Any:
        validator = self._compiled.get(name)
        if validator is None:
            from jsonschema import Draft202012Validator

            schema = load_schema(f"requests/{name}.json")
            validator = self._compiled[name] = Draft202012Validator(schema)
        return validator

    def ignore_unknown(self, name: str, data: Any) -> tuple[Any, tuple[str, ...]]:
        """``data`` without the fields its schema does not know, and one warning per field removed.

        Runs the full validator (call it only for a body :meth:`is_valid` refused). A body without
        unknown fields comes back as it is (not copied). The warnings
        read ``body.<path>: unknown field, ignored`` (``body.messages.0.extra`` for a nested one).
        """
        unknown = [
            (list(error.absolute_path), key) for error in self.get(name).iter_errors(data) for key in _unknown_fields(error)
        ]
        if not unknown:
            return data, ()
        stripped = copy.deepcopy(data)
        for path, key in unknown:
            node = stripped
            for part in path:
                node = node[part]
            node.pop(key, None)
        return stripped, tuple(sorted(f"{_field([*path, key])}: unknown field, ignored" for path, key in unknown))

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
            elif extra := _unknown_fields(error):
                pointer = f"{pointer}/{extra[0]}"
                message = "unknown field"
            problems.append({"pointer": pointer or "/", "detail": message})
        raise unprocessable(problems)
