"""The emulator's own OpenAPI 3.1 document, generated from the live route table.

Every operation comes from a :class:`~emulator.routing.Route`: method, path, summary, scope, the
request schema it validates with (``emulator/schemas/requests/<body>.json``), the response schema
(``emulator/schemas/responses/<response>.json``), the success status and whether it is documented
by Cuadra (``x-inferred: true`` when not). Schema files are hoisted into ``components/schemas``
(their ``$defs`` and cross-file ``$ref``s rewritten), so the document validates with the very
schemas the pipeline uses. The document is built once per app and cached on its state (``state.openapi``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import status_title
from .openapi_control import ADMIN_SCHEME, CONTROL_TAG, control_operation
from .resources import load_schema
from .responses import dumps

if TYPE_CHECKING:
    from .routing import Route
    from .state import EmulatorState

PROBLEM_TYPE = "application/problem+json"
_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")
_TAGS = {
    "chats": "Chats",
    "models": "Models",
    "datasets": "Datasets",
    "files": "Files",
    "particles": "Particles",
    "system-prompts": "System Prompts",
    "usage": "Usage",
    "health": "Health",
    "channels": "Channels",
    "connections": "Connectors",
    "sync-configs": "Connectors",
    "sync-jobs": "Connectors",
    "oauth2": "Auth",
}


_PROBLEM = {
    "type": "object",
    "description": "RFC 7807 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}}},
        },
    },
}

_OAUTH_ERROR = {
    "type": "object",
    "description": "RFC 6749 §5.2 error response.",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[_\-]", name))


class _Components:
    """Hoists schema files into ``components/schemas``; each file is added once under a unique name."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {"Problem": _PROBLEM}
        self._names: dict[str, str] = {}

    def ref(self, folder: str, name: str) -> dict[str, str]:
        """A ``$ref`` to the component made from ``<folder>/<name>.json`` (added on first use)."""
        key = f"{folder}/{name}"
        component = self._names.get(key)
        if component is None:
            schema = copy.deepcopy(load_schema(f"{key}.json"))
            component = schema.get("title") or _camel(name)
            if component in self.schemas:
                component = _camel(name) + ("Request" if folder == "requests" else "Response")
            self._names[key] = component
            self.schemas[component] = {}  # reserved before recursing (a schema may refer to itself)
            schema.pop("$schema", None)
            for def_name, definition in schema.pop("$defs", {}).items():
                self.schemas[f"{component}.{def_name}"] = self._rewrite(definition, folder, component)
            self.schemas[component] = self._rewrite(schema, folder, component)
        return {"$ref": f"#/components/schemas/{component}"}

    def _rewrite(self, node: Any, folder: str, component: str) -> Any:
        if isinstance(node, list):
            return [self._rewrite(item, folder, component) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: self._rewrite(value, folder, component) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref.startswith("#/$defs/"):
                out["$ref"] = f"#/components/schemas/{component}.{ref[len('#/$defs/') :]}"
            elif ref.endswith(".json") and "#" not in ref:
                out["$ref"] = self.ref(folder, ref[: -len(".json")])["$ref"]
        return out


def _tag(path: str) -> str:
    parts = path.strip("/").split("/")
    segment = parts[1] if len(parts) > 1 and parts[0] == "v1" else parts[0]
    return _TAGS.get(segment, "Emulator")


def _success_statuses(item: Route) -> list[int]:
    """The route's declared status; routes that declare none get the conventional one (see module doc)."""
    if item.status != 200 or item.response is not None:
        return [item.status]
    if item.method == "DELETE":
        return [204]
    if item.method == "POST":
        return [200, 201]  # the route does not say whether it creates (201) or acts (200)
    return [200]


def request_body(schema: str, optional: bool, components: _Components) -> dict[str, Any]:
    """The ``requestBody`` of an operation validating its JSON body with ``schemas/requests/<schema>.json``."""
    return {"required": not optional, "content": {"application/json": {"schema": components.ref("requests", schema)}}}


def parameters(item: Route) -> list[dict[str, Any]]:
    """The route's path parameters (typed by ``path_params``, else a non-empty string), then its declared
    query parameters, as OpenAPI ``parameters`` entries (API and control plane alike)."""
    typed = {param.name: param.openapi() for param in item.path_params}
    path = [
        typed.get(name) or {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _PARAM.findall(item.path)
    ]
    return path + [param.openapi() for param in item.query]


def _operation(item: Route, components: _Components, operation_ids: set[str]) -> dict[str, Any]:
    base = f"{item.handler.__module__.rsplit('.', 1)[-1]}_{item.handler.__name__}"
    operation_id, counter = base, 2
    while operation_id in operation_ids:
        operation_id, counter = f"{base}_{counter}", counter + 1
    operation_ids.add(operation_id)
    op: dict[str, Any] = {"operationId": operation_id, "summary": item.summary or operation_id, "tags": [_tag(item.path)]}
    if not item.documented:
        op["x-inferred"] = True
    params = parameters(item)
    if item.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Replays the first response for a repeated key.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    is_chat = item.method == "POST" and item.path == "/v1/chats"
    if is_chat:
        params.append(
            {
                "name": "X-Stream-Format",
                "in": "header",
                "required": False,
                "description": "ai-sdk: Vercel AI SDK UI message stream instead of native SSE events.",
                "schema": {"enum": ["native", "ai-sdk"]},
            }
        )
    if params:
        op["parameters"] = params
    if item.body is not None:
        op["requestBody"] = request_body(item.body, item.body_optional, components)
    op["security"] = [] if not item.auth else [{"bearerAuth": []}, {"oauth2": [item.scope] if item.scope else []}]
    op["responses"] = _responses(item, components, is_chat)
    return op


def _responses(item: Route, components: _Components, is_chat: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in _success_statuses(item):
        if status == 204:
            responses["204"] = {"description": "No Content"}
            continue
        if item.response is None:  # undescribed: raw bytes (file content) or JSON without a schema file
            responses[str(status)] = {"description": "Successful Response", "content": {"*/*": {"schema": {}}}}
            continue
        content: dict[str, Any] = {"application/json": {"schema": components.ref("responses", item.response)}}
        if is_chat:
            content["text/event-stream"] = {
                "schema": {"type": "string"},
                "description": "with stream: true (native or AI-SDK events)",
            }
        responses[str(status)] = {"description": "Successful Response", "content": content}
    wanted = {400, 404, 409, 422, 429}
    if item.auth:
        wanted |= {401, 403}
    if item.body is not None or item.max_body is not None:
        wanted |= {413, 415}
    if is_chat:
        wanted.add(402)
    problem: dict[str, Any] = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    if item.path.startswith("/v1/oauth2/"):  # the token endpoint answers RFC 6749 errors, not problems
        problem = {"application/json": {"schema": _OAUTH_ERROR}, **problem}
    for status in sorted(wanted):
        responses[str(status)] = {"description": status_title(status), "content": problem}
    responses["default"] = {"description": "Problem", "content": problem}
    return responses


def build_document(routes: Iterable[Route], control: Iterable[Route] = ()) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``routes`` and the ``control`` plane (a pure function of the route tables)."""
    components = _Components()
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    scopes: set[str] = set()
    tags: list[str] = []
    for item in routes:
        paths.setdefault(item.path, {})[item.method.lower()] = _operation(item, components, operation_ids)
        if item.scope:
            scopes.add(item.scope)
        tag = _tag(item.path)
        if tag not in tags:
            tags.append(tag)
    for item in control:
        paths.setdefault(item.path, {})[item.method.lower()] = control_operation(item, components, operation_ids)
        if CONTROL_TAG not in tags:
            tags.append(CONTROL_TAG)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cuadra AI API (emulated)",
            "version": "1.0.0",
            "description": "REST API for AI-powered chat, RAG, and multi-channel messaging, as served by "
            "cuadra-emulator. Operations marked x-inferred are not in Cuadra's reference; those tagged "
            f"'{CONTROL_TAG}' (x-emulator-control) are the emulator's own /_emulator/* routes.",
        },
        "servers": [{"url": "/", "description": "this emulator"}],
        "tags": [{"name": tag} for tag in tags],
        "security": [{"bearerAuth": []}, {"oauth2": []}],
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "securitySchemes": {
                "adminToken": ADMIN_SCHEME,
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "JWT token from Stytch B2B authentication (magic link, SSO, or M2M); "
                    "the emulator also accepts its fixture tokens.",
                },
                "oauth2": {
                    "type": "oauth2",
                    "description": "M2M OAuth 2.0 client credentials.",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "/v1/oauth2/token",
                            "scopes": {scope: scope for scope in sorted(scopes)},
                        }
                    },
                },
            },
        },
    }


class DocumentCache:
    """One app's document and its JSON bytes, built on first use (the route table never changes)."""

    def __init__(self, routes: Sequence[Route], control: Sequence[Route] = ()) -> None:
        self.routes = routes
        self.control = control
        self._document: dict[str, Any] | None = None
        self._bytes: bytes | None = None

    def document(self) -> dict[str, Any]:
        if self._document is None:
            self._document = build_document(self.routes, self.control)
        return self._document

    def json_bytes(self) -> bytes:
        if self._bytes is None:
            self._bytes = dumps(self.document())
        return self._bytes


def document(state: EmulatorState) -> dict[str, Any]:
    """The app's document, built on first use and cached on its state."""
    return state.openapi.document()


def response_schema(
    doc: dict[str, Any], method: str, path: str, status: int, media_type: str = "application/json"
) -> dict[str, Any] | None:
    """A self-contained JSON Schema for one documented response (None when it has no body schema)."""
    responses = doc["paths"][path][method.lower()]["responses"]
    response = responses.get(str(status)) or responses.get("default")
    schema = ((response or {}).get("content") or {}).get(media_type, {}).get("schema")
    if schema is None:
        return None
    return {**schema, "components": doc["components"]}
