"""Typed path parameters: the reference types ``model_id`` of Get/Update/Delete Model as ``string<uuid>``
(endpoints §2.4: "**Errors:** 401, 404, 422 (not a UUID)"); anything else is a 422 naming the parameter."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from emulator.params import Param, uuid_path
from emulator.routes import API_ROUTES
from emulator.routing import Route
from tests.conftest import SUPPORT_BOT

MISSING_UUID = "550e8400-e29b-41d4-a716-446655440000"  # the reference's example: a UUID no model has


def problem(detail: str, value: str) -> dict[str, object]:
    return {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": f"model_id: {value!r} is not a valid UUID",
        "errors": [{"pointer": "#/path/model_id", "detail": detail}],
    }


@pytest.mark.parametrize(
    ("method", "body"),
    [
        pytest.param("GET", None, id="get"),
        pytest.param("PATCH", {"displayName": "X"}, id="patch"),
        pytest.param("DELETE", None, id="delete"),
    ],
)
@pytest.mark.parametrize("value", ["model_abc123", "1234", "550e8400-e29b-41d4-a716-44665544000g"])
def test_path_params_model_id_that_is_not_a_uuid_is_422(client: TestClient, method: str, body: object, value: str) -> None:
    response = client.request(method, f"/v1/models/{value}", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == problem(f"{value!r} is not a valid UUID", value)


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_path_params_unknown_uuid_is_still_404(client: TestClient, method: str) -> None:
    response = client.request(method, f"/v1/models/{MISSING_UUID}", json={"displayName": "X"} if method == "PATCH" else None)
    assert response.status_code == 404 and response.json()["detail"] == f"Model not found: {MISSING_UUID}"


def test_path_params_valid_uuid_reaches_the_handler(client: TestClient) -> None:
    assert client.get(f"/v1/models/{SUPPORT_BOT}").json()["id"] == SUPPORT_BOT
    assert client.get("/v1/models/catalog").status_code == 200  # the static route is not a model id


def test_path_params_checked_after_auth(anon: TestClient, client: TestClient) -> None:
    assert anon.get("/v1/models/model_abc123").status_code == 401
    reader = {"Authorization": "Bearer read-only-token"}
    assert client.patch("/v1/models/model_abc123", json={"displayName": "X"}, headers=reader).status_code == 403


def test_path_params_untyped_ids_stay_strings(client: TestClient) -> None:
    # the dataset-link pages type model_id as a plain string (example model_abc123): a 404, not a 422
    assert client.get("/v1/models/model_abc123/datasets").status_code == 404
    assert client.get("/v1/chats/chat_abc123").status_code == 404


def test_path_params_typed_exactly_where_the_reference_types_them() -> None:
    typed = {(r.method, r.path, p.name) for r in API_ROUTES for p in r.path_params}
    assert typed == {(m, "/v1/models/{model_id}", "model_id") for m in ("GET", "PATCH", "DELETE")}


def test_path_params_openapi_documents_the_uuid_format(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for method in ("get", "patch", "delete"):
        (param,) = [p for p in doc["paths"]["/v1/models/{model_id}"][method]["parameters"] if p["in"] == "path"]
        assert param["schema"] == {"type": "string", "format": "uuid"} and param["required"] is True
    (linked,) = [p for p in doc["paths"]["/v1/models/{model_id}/datasets"]["get"]["parameters"] if p["in"] == "path"]
    assert linked["schema"] == {"type": "string", "minLength": 1}


def test_path_params_declaration_must_name_a_template_parameter() -> None:
    async def handler(ctx: object) -> object:
        raise AssertionError

    with pytest.raises(ValueError, match="path_params"):
        Route("GET", "/v1/things/{thing_id}", handler, path_params=(uuid_path("other_id"),))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="path_params"):
        Route("GET", "/v1/things/{thing_id}", handler, path_params=(Param("thing_id", "uuid"),))  # type: ignore[arg-type]
