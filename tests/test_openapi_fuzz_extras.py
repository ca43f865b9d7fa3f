"""Generated requests with reference-style extra body fields: accepted like production, warned about, strict rejects.

The reference schemas allow additional properties, so a client may send fields the emulator does
not know. For every operation with a JSON body, schemathesis generates valid bodies from the
emulator's own ``/openapi.json``; each is sent as it is to one emulator and with extra fields (top
level and in nested objects) to a twin with the same seed, and to a third one in strict mode:

- default mode: the twin answers exactly what the first one answers (status and body: no valid request
  is rejected, and the extras change nothing), and its journal names each extra field in ``warnings``;
- strict mode: the same request is refused with the route's bad-input status naming an extra field.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from emulator import Config, EmulatorApp, create_app  # noqa: E402
from emulator.resources import load_schema  # noqa: E402
from emulator.routing import Route  # noqa: E402
from tests.conftest import AUTH  # noqa: E402
from tests.test_openapi_fuzz import fuzz_settings  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLES = 6
#: Field names real clients add that the reference does not list (tracing, client metadata, typos).
REFERENCE_EXTRAS = ("metadata", "clientRequestId", "extra", "tags", "source", "x_trace_id", "max_tokens", "modelID")
NESTED_EXTRA = {"note": "added by the client"}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
EXTRAS = st.dictionaries(st.sampled_from(REFERENCE_EXTRAS), JSON_VALUES, min_size=1, max_size=3)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = root["$defs"][ref.rsplit("/", 1)[-1]]
        return resolved
    return schema


def inject(
    body: Any, schema: dict[str, Any], root: dict[str, Any], extras: dict[str, Any], path: tuple[str, ...] = ()
) -> list[str]:
    """Add ``extras`` to ``body`` where its schema closes the object, and one level down (an object or the
    first object of an array); return the warnings the emulator should record, sorted."""
    if not isinstance(body, dict) or schema.get("additionalProperties") is not False:
        return []
    known = schema.get("properties", {})
    warnings = []
    for key, value in extras.items():
        if key not in known:
            body[key] = value
            warnings.append(f"body.{'.'.join((*path, key))}: unknown field, ignored")
    if not path:
        for key, sub in known.items():
            value, sub = body.get(key), _resolve(sub, root)
            if isinstance(value, dict):
                warnings += inject(value, sub, root, NESTED_EXTRA, (key,))
            elif isinstance(value, list) and value:
                warnings += inject(value[0], _resolve(sub.get("items", {}), root), root, NESTED_EXTRA, (key, "0"))
    return sorted(warnings)


class Twins:
    """The same requests to three emulators: as generated, with extras (default mode), with extras (strict)."""

    def __init__(self) -> None:
        config = Config(clock="manual", rate_limit="off")
        self.apps = [create_app(config), create_app(config), create_app(config.with_(strict_requests=True))]
        self.clients = [TestClient(app, base_url="http://emulator", headers=AUTH) for app in self.apps]
        self.warned = 0

    def send(self, case: Any, route: Route, extras: dict[str, Any]) -> None:
        # the client's own token (not a generated one); no Idempotency-Key (replays are not what is compared here)
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ("authorization", "idempotency-key")}
        request = {"params": case.query or None, "headers": headers}
        original = case.body if isinstance(case.body, dict) else {}  # an optional body left out: send {} instead
        body = copy.deepcopy(original)
        schema = load_schema(f"requests/{route.body}.json")
        warnings = inject(body, schema, schema, extras)
        plain, extended, strict = (
            client.request(case.method, case.formatted_path, json=payload, **request)
            for client, payload in zip(self.clients, (original, body, body), strict=True)
        )
        label = f"{case.method} {case.formatted_path} {body!r}"
        assert extended.status_code == plain.status_code, (
            f"{label}: {extended.status_code} with extras, {plain.status_code} without: {extended.text}"
        )
        assert extended.content == plain.content, f"{label}: the extras changed the answer"
        if plain.status_code == 400 and plain.json()["detail"].startswith("Malformed JSON"):
            return  # e.g. an integer beyond 64 bits in a free-form object: refused before validation, extras or not
        entry = list(self.apps[1].state.journal)[-1]
        assert list(entry.warnings) == warnings, f"{plain.status_code} {plain.text[:300]} {label}"
        self.warned += bool(warnings)
        if warnings:
            assert strict.status_code == route.invalid_body_status, f"{label}: strict mode answered {strict.status_code}"
            field = strict.json()["detail"].removesuffix(": unknown field")
            assert f"body.{field}: unknown field, ignored" in warnings, f"{label}: {strict.json()['detail']}"

    def close(self) -> None:
        for client in self.clients:
            client.close()


def _route(app: EmulatorApp, method: str, path: str) -> Route:
    return next(r for r in app.api_router.routes if r.method == method and r.path == path)


def _fuzz(twins: Twins, operation: Any, route: Route) -> None:
    @given(case=operation.as_strategy(GenerationMode.POSITIVE), extras=EXTRAS)
    @fuzz_settings(EXAMPLES)
    def run(case: Any, extras: dict[str, Any]) -> None:
        twins.send(case, route, extras)

    run()


def test_openapi_fuzz_extra_fields_are_accepted_warned_about_and_rejected_when_strict() -> None:
    twins = Twins()
    schema = schemathesis.openapi.from_asgi("/openapi.json", twins.apps[0])
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/_emulator"):  # the API only: control-plane bodies are always strict
            continue
        route = _route(twins.apps[0], operation.method.upper(), operation.path)
        if route.body is None:
            continue
        operations += 1
        _fuzz(twins, operation, route)
    twins.close()
    assert operations >= 25, operations
    assert twins.warned >= operations * 2, twins.warned  # most cases carried extras the emulator warned about
    for app in twins.apps:
        assert not app.state.server_errors, app.state.server_errors
    with TestClient(twins.apps[1], base_url="http://emulator") as control:
        listed = control.get("/_emulator/requests", params={"warnings": "true"}).json()["items"]
    assert len(listed) == min(twins.warned, twins.apps[1].config.journal_size)
