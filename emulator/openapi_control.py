"""The control plane (``/_emulator/*``) in the OpenAPI document: one operation per control route,
tagged ``Emulator control plane`` and marked ``x-emulator-control: true`` (so tools that exercise the
API, such as fuzzers, can leave them out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .openapi import _Components
    from .routing import Route

CONTROL_TAG = "Emulator control plane"
ADMIN_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "Only when the emulator runs with --admin-token: every /_emulator/* route but the health "
    "check and the web console's own files then requires it.",
}
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def control_operation(item: Route, components: _Components, operation_ids: set[str]) -> dict[str, Any]:
    """The OpenAPI operation of one control route (request schema, success status, problem otherwise)."""
    operation_id = f"control_{item.handler.__module__.rsplit('.', 1)[-1]}_{item.handler.__name__}"
    while operation_id in operation_ids:
        operation_id += "_"
    operation_ids.add(operation_id)
    op: dict[str, Any] = {
        "operationId": operation_id,
        "summary": item.summary or operation_id,
        "tags": [CONTROL_TAG],
        "x-emulator-control": True,
        "security": [{}, {"adminToken": []}],
    }
    from .openapi import parameters, request_body  # openapi imports this module

    params = parameters(item)
    if params:
        op["parameters"] = params
    if item.body is not None:
        op["requestBody"] = request_body(item.body, item.body_optional, components)
    success: dict[str, Any] = {"description": "No Content"}
    if item.status != 204:
        success = {"description": "Successful Response", "content": {"*/*": {"schema": {}}}}
    op["responses"] = {str(item.status): success, "default": {"description": "Problem", "content": _PROBLEM}}
    return op
