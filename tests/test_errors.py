"""Every error path of the core pipeline answers an RFC 7807 problem with the right status."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import AUTH, chat_body

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, title: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert body["title"] == title
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_errors_missing_token_is_401_with_documented_body(anon: TestClient) -> None:
    response = anon.get("/v1/models")
    body = assert_problem(response, 401, "Unauthorized")
    assert body["detail"] == "Invalid or expired token."
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer nope", id="unknown-token"),
        pytest.param("Basic dGVzdDp0ZXN0", id="wrong-scheme"),
        pytest.param("Bearer ", id="empty-token"),
        pytest.param("test-token", id="no-scheme"),
    ],
)
def test_errors_bad_token_is_401(anon: TestClient, header: str) -> None:
    assert_problem(anon.get("/v1/models", headers={"Authorization": header}), 401, "Unauthorized")


def test_errors_missing_scope_is_403_naming_the_scope(anon: TestClient) -> None:
    response = anon.post("/v1/chats", json=chat_body(), headers={"Authorization": "Bearer read-only-token"})
    body = assert_problem(response, 403, "Forbidden")
    assert body["detail"] == "Missing required scope: chat:invoke"


def test_errors_unknown_path_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/does-not-exist"), 404, "Not Found")


def test_errors_unknown_path_is_404_even_without_token(anon: TestClient) -> None:
    assert_problem(anon.get("/v2/models"), 404, "Not Found")


def test_errors_wrong_method_is_405_with_allow(client: TestClient) -> None:
    response = client.put("/v1/models", json={})
    assert_problem(response, 405, "Method Not Allowed")
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_errors_wrong_content_type_is_415(client: TestClient) -> None:
    response = client.post("/v1/datasets", content=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(response, 415, "Unsupported Media Type")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{", id="truncated"),
        pytest.param(b"{'a': 1}", id="single-quotes"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(b'{"name": NaN}', id="nan"),
        pytest.param(b"[" * 100000 + b"]" * 100000, id="deep-nesting"),
    ],
)
def test_errors_malformed_json_is_400(client: TestClient, raw: bytes) -> None:
    response = client.post("/v1/datasets", content=raw, headers={"Content-Type": "application/json"})
    assert_problem(response, 400, "Bad Request")


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        pytest.param({"messages": []}, "/messages", id="empty-messages"),
        pytest.param({}, "/messages", id="missing-messages"),
        pytest.param(chat_body(maxTokens=0), "/maxTokens", id="maxTokens-too-small"),
        pytest.param(chat_body(maxTokens=32001), "/maxTokens", id="maxTokens-too-large"),
        pytest.param(chat_body(stream="yes"), "/stream", id="stream-wrong-type"),
        pytest.param({"messages": [{"role": "robot", "content": "x"}]}, "/messages/0/role", id="bad-role"),
        pytest.param([1, 2], "/", id="not-an-object"),
    ],
)
def test_errors_schema_violation_is_422_naming_the_field(client: TestClient, body: object, pointer: str) -> None:
    response = client.post("/v1/chats", json=body)
    problem = assert_problem(response, 422, "Unprocessable Entity")
    assert pointer in [error["pointer"] for error in problem["errors"]]


@pytest.mark.parametrize(("name", "ok"), [("", False), ("x" * 200, True), ("x" * 201, False)])
def test_errors_dataset_name_length_bounds(client: TestClient, name: str, ok: bool) -> None:
    response = client.post("/v1/datasets", json={"name": name})
    assert response.status_code == (201 if ok else 422)


def test_errors_model_display_name_bounds(client: TestClient) -> None:
    parent = client.get("/v1/models/catalog").json()["items"][0]["id"]
    assert client.post("/v1/models", json={"parentModelId": parent, "displayName": "x" * 201}).status_code == 422
    assert client.post("/v1/models", json={"parentModelId": parent, "displayName": "x" * 200}).status_code == 201


def test_errors_body_over_limit_is_413(make_app) -> None:
    app = make_app(max_body_bytes=1000)
    with TestClient(app, headers=AUTH) as small:
        response = small.post("/v1/datasets", json={"name": "x", "description": "y" * 2000})
        assert_problem(response, 413, "Payload Too Large")
        assert small.get("/v1/datasets").status_code == 200  # nothing lost


def test_errors_unhandled_bug_is_500_problem_without_traceback() -> None:
    from emulator import Config
    from emulator.app import EmulatorApp
    from emulator.control import CONTROL_ROUTES
    from emulator.routing import Router, route
    from emulator.state import EmulatorState

    async def boom(ctx):
        raise RuntimeError("secret internals")

    config = Config(clock="manual")
    app = EmulatorApp(config, EmulatorState(config), Router([route("GET", "/v1/boom", boom)]), Router(CONTROL_ROUTES))
    with TestClient(app, headers=AUTH, raise_server_exceptions=False) as test_client:
        response = test_client.get("/v1/boom")
    body = assert_problem(response, 500, "Internal Server Error")
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["detail"]
    assert [type(e) for e in app.state.server_errors] == [RuntimeError]


def test_errors_unknown_model_is_404(client: TestClient) -> None:
    response = client.post("/v1/chats", json={"modelId": "nope", "messages": [{"role": "user", "content": "x"}]})
    assert_problem(response, 404, "Not Found")


def test_errors_unknown_chat_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/chats/chat_missing"), 404, "Not Found")
    response = client.post("/v1/chats", json={"chatId": "chat_missing", "messages": [{"role": "user", "content": "x"}]})
    assert_problem(response, 404, "Not Found")


def test_errors_unknown_parent_model_is_422(client: TestClient) -> None:
    response = client.post("/v1/models", json={"parentModelId": "nope", "displayName": "X"})
    problem = assert_problem(response, 422, "Unprocessable Entity")
    assert problem["errors"][0]["pointer"] == "/parentModelId"


def test_errors_insufficient_credits_is_402_with_documented_title(make_app, tmp_path) -> None:
    import shutil

    import yaml

    from emulator.resources import bundled_dir

    shutil.copytree(bundled_dir("fixtures"), tmp_path, dirs_exist_ok=True)
    orgs = yaml.safe_load((tmp_path / "organizations.yaml").read_text())
    orgs["organizations"][1]["credits"] = {"limit": 3, "used": 0, "purchasedBalance": 0, "hardCap": True}
    (tmp_path / "organizations.yaml").write_text(yaml.safe_dump(orgs))
    app = make_app(fixtures_dir=tmp_path)
    with TestClient(app, headers={"Authorization": "Bearer other-org-token"}) as other:
        model = other.get("/v1/models").json()["items"][-1]["id"]
        body = {"modelId": model, "messages": [{"role": "user", "content": "hi"}]}
        statuses = [other.post("/v1/chats", json=body).status_code for _ in range(4)]
        response = other.post("/v1/chats", json=body)
        usage = other.get("/v1/usage").json()
    problem = assert_problem(response, 402, "Insufficient Credits")
    assert problem["detail"].startswith("Insufficient credits. Required: ")
    assert problem["detail"].endswith(f"Available: {usage['credits']['available']} credits.")
    assert statuses[0] == 200 and 402 in statuses
    assert usage["credits"]["used"] <= 3


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"\\ud800": 1}', id="surrogate-key"),
        pytest.param(b'{"name": "\\ud800"}', id="surrogate-value"),
        pytest.param(b'{"name": "x", "description": 1e400}', id="overflowing-number"),
        pytest.param(b"\xef\xbb\xbf{}", id="byte-order-mark"),
    ],
)
def test_errors_json_the_emulator_cannot_store_is_400_and_stores_nothing(client: TestClient, raw: bytes) -> None:
    before = client.get("/v1/datasets").json()["totalCount"]
    response = client.post("/v1/datasets", content=raw, headers={"Content-Type": "application/json"})
    assert_problem(response, 400, "Bad Request")
    after = client.get("/v1/datasets")
    assert after.status_code == 200 and after.json()["totalCount"] == before


def test_errors_truncated_multipart_is_400(client: TestClient) -> None:
    body = b'--X\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc'
    response = client.post("/v1/files", content=body, headers={"Content-Type": "multipart/form-data; boundary=X"})
    assert_problem(response, 400, "Bad Request")


@pytest.mark.parametrize(
    ("pointer", "detail", "message", "expected"),
    [
        pytest.param("/tools/0/type", "bad", None, "tools.0.type: bad", id="body-pointer"),
        pytest.param("#/query/limit", "must be an integer", None, "limit: must be an integer", id="query"),
        pytest.param("#/path/message_id", "not yours", "longer words", "message_id: longer words", id="path-message"),
        pytest.param("/", "field required", "a body is required.", "body: a body is required.", id="root"),
    ],
)
def test_errors_invalid_names_the_field_and_keeps_the_pointer(
    pointer: str, detail: str, message: str | None, expected: str
) -> None:
    from emulator.errors import UnprocessableEntity, invalid

    error = invalid(pointer, detail, message=message)
    assert isinstance(error, UnprocessableEntity) and error.status_code == 422
    assert error.detail == expected
    assert error.extensions == {"errors": [{"pointer": pointer, "detail": detail}]}


def test_errors_status_classes_come_from_the_subclasses() -> None:
    from emulator import errors

    subclasses = [cls for cls in errors.ApiError.__subclasses__() if cls is not errors.OAuthError]
    assert {cls.status for cls in subclasses} == set(errors.STATUS_CLASSES)
    assert all(errors.STATUS_CLASSES[cls.status] is cls for cls in subclasses)
    assert errors.status_title(402) == "Insufficient Credits"
    assert errors.status_title(502) == "Bad Gateway"  # no class: the HTTP reason phrase


def test_errors_openapi_describes_each_error_status_by_its_own_title(client: TestClient) -> None:
    from emulator.errors import status_title

    doc = client.get("/openapi.json").json()
    seen = set()
    for operations in doc["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status.isdigit() and int(status) >= 400:
                    assert response["description"] == status_title(int(status)), (status, response["description"])
                    seen.add(int(status))
    assert {400, 401, 402, 404, 422, 429} <= seen


def test_errors_scripted_error_of_an_unlisted_status_keeps_its_phrase() -> None:
    import random

    from emulator.scenarios.actions import build_error
    from emulator.scenarios.model import ErrorAction

    error = build_error(ErrorAction(statuses=(418,)), random.Random(0))
    assert (error.status_code, error.body()["title"]) == (418, "I'm a Teapot")
