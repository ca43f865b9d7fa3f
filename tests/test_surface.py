"""Acceptance: every operation of the API reference's operations table (index.md §3.2) is served, and 2xx bodies match the schemas.

The table is parsed from ``tests/data/operations.md``, a copy of that section kept in the repository so
the walk runs in a clean clone; where the reference itself sits next to the repository
(``../shared/api/index.md``), a test checks that the copy has not drifted from it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from emulator import EmulatorApp, openapi
from emulator.routing import Route

OPERATIONS = Path(__file__).resolve().parent / "data" / "operations.md"
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "api" / "index.md"
DOCUMENTED_COUNT = 52
_ROW = re.compile(r"^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*(/v1/[^\s|]*)\s*\|\s*([^|]*?)\s*\|")
#: Path parameters that name fixture records, so reads of a single record can answer 2xx.
KNOWN_IDS = {"dataset_id": "ds_product_docs", "model_id": "84d6f2f1-27a5-4b5c-8a53-e2f7f1f5b0a3"}


def operations_section(text: str) -> str:
    """The §3.2 section of the reference's index (or of the copy), up to the next heading."""
    return text.split("### 3.2", 1)[1].split("\n#", 1)[0]


def documented_operations() -> list[tuple[str, str, str]]:
    """``(method, path, title)`` of every row of the §3.2 operations table."""
    section = operations_section(OPERATIONS.read_text(encoding="utf-8"))
    return [match.groups() for line in section.splitlines() if (match := _ROW.match(line))]  # type: ignore[misc]


def concrete(path: str) -> str:
    return re.sub(r"\{([a-z_]+)\}", lambda m: KNOWN_IDS.get(m.group(1), f"missing_{m.group(1)}"), path)


def call(client: TestClient, method: str, path: str) -> Any:
    """The simplest request for an operation: no query, an empty JSON object as the body of a write."""
    if method in ("POST", "PUT", "PATCH"):
        return client.request(method, concrete(path), json={})
    return client.request(method, concrete(path))


def is_unrouted(response: Any) -> bool:
    if response.status_code == 405:
        return True
    if response.status_code != 404:
        return False
    return str(response.json().get("detail", "")).startswith("No route for")


def route_of(app: EmulatorApp, method: str, path: str) -> Route | None:
    return next((r for r in app.api_router.routes if r.method == method and r.path == path), None)


def test_surface_table_parses_to_52_operations() -> None:
    operations = documented_operations()

    assert len(operations) == DOCUMENTED_COUNT
    assert len(set((m, p) for m, p, _ in operations)) == DOCUMENTED_COUNT


def test_surface_operations_copy_matches_the_reference() -> None:
    if not REFERENCE.is_file():
        pytest.skip(f"the API reference is not next to the repository ({REFERENCE}); the copy in tests/data is used alone")
    reference = operations_section(REFERENCE.read_text(encoding="utf-8"))
    copy = operations_section(OPERATIONS.read_text(encoding="utf-8"))

    assert copy.strip() == reference.strip(), "tests/data/operations.md has drifted from the API reference: refresh it"


def test_surface_every_documented_operation_is_routed(app: EmulatorApp, client: TestClient) -> None:
    operations = documented_operations()
    missing = [f"{method} {path} ({title})" for method, path, title in operations if is_unrouted(call(client, method, path))]
    table = {(m, p) for m, p, _ in operations}
    extras = [r for r in app.api_router.routes if (r.method, r.path) not in table and r.path.startswith("/v1/")]

    served = len(operations) - len(missing)
    print(f"\nserved: {served}/{len(operations)} documented + {len(extras)} inferred extras")
    assert not missing, f"{len(missing)} documented operation(s) have no route:\n" + "\n".join(missing)


def test_surface_success_bodies_validate_against_response_schemas(app: EmulatorApp, client: TestClient) -> None:
    doc = openapi.document(app.state)
    checked, problems = 0, []
    for method, path, _ in documented_operations():
        item = route_of(app, method, path)
        if item is None:
            continue  # reported by the routing test
        response = call(client, method, path)
        if not 200 <= response.status_code < 300 or response.status_code == 204:
            continue
        media = response.headers.get("content-type", "").split(";")[0]
        schema = openapi.response_schema(doc, method, path, response.status_code, media)
        if schema is None:
            problems.append(f"{method} {path}: {response.status_code} {media} is not in the document")
            continue
        if item.response is None:
            problems.append(f"{method} {path}: the route declares no response schema")
            continue
        errors = list(Draft202012Validator(schema).iter_errors(response.json()))
        problems.extend(f"{method} {path}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:3])
        checked += 1
    print(f"\nvalidated {checked} success bodies")
    assert checked >= 10
    assert not problems, "\n".join(problems)


def test_surface_every_route_declares_a_response_schema(app: EmulatorApp) -> None:
    """Every JSON-answering Cuadra route names its response schema (raw ``/content`` and OAuth excepted)."""
    lacking = [
        f"{r.method} {r.path}"
        for r in app.api_router.routes
        if r.response is None
        and r.status != 204
        and r.method != "DELETE"
        and r.path.startswith("/v1/")
        and not r.path.endswith("/content")
        and not r.path.startswith("/v1/oauth2/")
    ]

    assert not lacking, "routes without response=:\n" + "\n".join(lacking)
