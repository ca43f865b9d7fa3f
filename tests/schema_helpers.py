"""Response-schema checks shared by the files, particles and system-prompts tests."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from emulator.resources import PACKAGE_DIR

RESPONSES = PACKAGE_DIR / "schemas" / "responses"


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    def retrieve(uri: str) -> Resource:
        return Resource.from_contents(json.loads((RESPONSES / uri).read_text(encoding="utf-8")))

    schema = json.loads((RESPONSES / f"{name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=Registry(retrieve=retrieve))  # type: ignore[call-arg]


def assert_matches(name: str, data: Any) -> None:
    """Fail with every violation when ``data`` does not validate against ``responses/<name>.json``."""
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator(name).iter_errors(data)]
    assert not errors, f"{name}: {errors}"
