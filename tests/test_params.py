"""Query parameters: one declaration per route drives parsing, validation and /openapi.json."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import EmulatorApp
from emulator.errors import UnprocessableEntity
from emulator.params import CURSOR, Param, Params, QueryParams, expansions, limit
from emulator.routes import API_ROUTES
from tests.conftest import chat_body
from tests.resource_helpers import GPT_4O, upload

COLOR = Param("color", enum=("red", "blue"))
FLAG = Param("flag", "boolean", default=True)
TEXT = Param("text")
NEEDED = Param("needed", required=True, aliases=("alsoNeeded",))


def parse(param: Param, raw: str) -> object:
    return param.parse(QueryParams(raw))


@pytest.mark.parametrize(
    ("param", "raw", "expected"),
    [
        pytest.param(COLOR, "", None, id="enum-absent"),
        pytest.param(COLOR, "color=red", "red", id="enum-value"),
        pytest.param(FLAG, "", True, id="bool-default"),
        pytest.param(FLAG, "flag=FALSE", False, id="bool-false-any-case"),
        pytest.param(FLAG, "flag=1", True, id="bool-one"),
        pytest.param(TEXT, "text=", "", id="text-empty-is-the-empty-string"),
        pytest.param(TEXT, "", None, id="text-absent"),
        pytest.param(CURSOR, "cursor=", None, id="cursor-empty-is-first-page"),
        pytest.param(limit(), "", 20, id="limit-default"),
        pytest.param(limit(), "limit=100", 100, id="limit-max"),
        pytest.param(expansions("a", "b"), "expand[]=a&expand[]=b", ("a", "b"), id="expand-many"),
        pytest.param(expansions("a"), "expand=a", ("a",), id="expand-alias"),
        pytest.param(expansions(), "expand[]=anything", ("anything",), id="expand-free"),
        pytest.param(NEEDED, "alsoNeeded=x", "x", id="alias"),
    ],
)
def test_params_parse_valid_values(param: Param, raw: str, expected: object) -> None:
    assert parse(param, raw) == expected


@pytest.mark.parametrize(
    ("param", "raw", "detail"),
    [
        pytest.param(COLOR, "color=", "must be one of red, blue", id="enum-empty"),
        pytest.param(COLOR, "color=green", "must be one of red, blue", id="enum-unknown"),
        pytest.param(FLAG, "flag=", "must be a boolean", id="bool-empty"),
        pytest.param(FLAG, "flag=maybe", "must be a boolean", id="bool-unknown"),
        pytest.param(limit(), "limit=", "must be an integer", id="int-empty"),
        pytest.param(limit(), "limit=1e3", "must be an integer", id="int-not-integer"),
        pytest.param(limit(), "limit=0", "must be between 1 and 100", id="int-below"),
        pytest.param(Param("n", "integer", minimum=0), "n=-1", "must be at least 0", id="int-minimum-only"),
        pytest.param(expansions("a"), "expand[]=a&expand[]=zzz", "must be one of a", id="expand-unknown"),
        pytest.param(expansions("a"), "expand[]=", "must be one of a", id="expand-empty"),
        pytest.param(NEEDED, "", "field required", id="required"),
    ],
)
def test_params_reject_bad_values_naming_the_parameter(param: Param, raw: str, detail: str) -> None:
    with pytest.raises(UnprocessableEntity) as caught:
        parse(param, raw)
    assert caught.value.extensions["errors"] == [{"pointer": f"#/query/{param.name}", "detail": detail}]
    assert caught.value.detail == f"{param.name}: {detail}"


def test_params_reading_an_undeclared_or_mistyped_name_is_a_bug() -> None:
    params = Params.parse([TEXT, FLAG], QueryParams("text=a&other=b"))
    assert params.text("text") == "a" and params.flag("flag") is True
    with pytest.raises(LookupError):
        params.text("other")
    with pytest.raises(LookupError):
        params.integer("flag")
    assert params.read == {"text", "flag"}


@pytest.mark.parametrize(
    ("url", "name"),
    [
        pytest.param("/v1/particles?category=", "category", id="particles-empty-category"),
        pytest.param("/v1/particles?category=bogus", "category", id="particles-unknown-category"),
        pytest.param("/v1/particles?enabled=", "enabled", id="particles-empty-enabled"),
        pytest.param("/v1/system-prompts?isSystem=yes-please", "isSystem", id="prompts-unknown-bool"),
        pytest.param("/v1/channels?channelType=", "channelType", id="channels-empty-type"),
        pytest.param("/v1/channels?status=", "status", id="channels-empty-status"),
        pytest.param("/v1/files?statusFilter=", "statusFilter", id="files-empty-status"),
        pytest.param("/v1/sync-jobs?status=", "status", id="sync-jobs-empty-status"),
        pytest.param("/v1/datasets/ds_product_docs?expand[]=bogus", "expand[]", id="dataset-unknown-expand"),
        pytest.param("/v1/chats?expand[]=versions", "expand[]", id="chats-unknown-expand"),
        pytest.param("/v1/models?limit=", "limit", id="models-empty-limit"),
    ],
)
def test_params_bad_query_is_a_422_naming_the_parameter(client: TestClient, url: str, name: str) -> None:
    response = client.get(url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == [f"#/query/{name}"]


def test_params_free_text_filters_take_the_empty_string(client: TestClient) -> None:
    client.post("/v1/connections", json={"connectorSlug": "google_drive", "redirectUrl": "https://app.test/cb"})
    assert len(client.get("/v1/connections").json()["items"]) == 1
    assert client.get("/v1/connections?provider=").json()["items"] == []
    upload(client, "ds_product_docs")
    assert len(client.get("/v1/files").json()["items"]) == 1
    assert client.get("/v1/files?resourceType=").json()["items"] == []
    assert client.get("/v1/files?resourceId=").json()["items"] == []


def test_params_empty_cursor_is_the_first_page(client: TestClient) -> None:
    assert client.get("/v1/models?limit=2&cursor=").json() == client.get("/v1/models?limit=2").json()


def test_params_known_expand_values_are_accepted(client: TestClient) -> None:
    got = client.get("/v1/datasets/ds_product_docs?expand[]=items&expand=snapshots")
    assert got.status_code == 200
    assert got.json()["items"] is not None and got.json()["snapshots"] is not None


def _document_params(doc: dict[str, Any], method: str, path: str) -> dict[str, dict[str, Any]]:
    operation = doc["paths"][path][method.lower()]
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}


def test_params_every_declared_parameter_is_documented(client: TestClient) -> None:
    from emulator.control import CONTROL_ROUTES

    doc = client.get("/openapi.json").json()
    for item in [*API_ROUTES, *CONTROL_ROUTES]:
        documented = _document_params(doc, item.method, item.path) if item.path in doc["paths"] else {}
        assert set(documented) == {p.name for p in item.query}, (item.method, item.path)
        for param in item.query:
            assert documented[param.name]["schema"] == param.schema()


def test_params_every_parameter_a_handler_reads_is_in_the_document(app: EmulatorApp, client: TestClient) -> None:
    reads: dict[tuple[str, str], set[str]] = {}

    async def recorder(ctx, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(ctx)
        reads.setdefault((ctx.route.method, ctx.route.path), set()).update(ctx.params.read)
        return response

    app.add_step(recorder, after="query", name="recorder")
    chat_id = (
        client.post("/v1/chats", json=chat_body()).headers.get("x-chat-id") or client.get("/v1/chats").json()["items"][0]["id"]
    )
    file_id = upload(client, "ds_product_docs")["id"]
    particle = client.get("/v1/particles").json()["items"][0]["id"]
    prompt = client.get("/v1/system-prompts?isSystem=true").json()["items"][0]["id"]
    connection = client.post("/v1/connections", json={"connectorSlug": "google_drive", "redirectUrl": "https://app.test/cb"})
    connection_id = connection.json()["id"]
    client.get(f"/v1/connections/{connection_id}")  # active on first read
    urls = [
        "/v1/chats?limit=5&expand[]=model",
        f"/v1/chats/{chat_id}?expand[]=model",
        "/v1/models?limit=5",
        "/v1/models/catalog?limit=5",
        f"/v1/models/{GPT_4O}/datasets?limit=5",
        "/v1/datasets?limit=1",
        "/v1/datasets?limit=1&offset=1",
        "/v1/datasets/ds_product_docs?expand[]=items",
        "/v1/datasets/ds_product_docs/snapshots?limit=5",
        "/v1/files?statusFilter=ready&resourceType=dataset&resourceId=ds_product_docs",
        f"/v1/files/{file_id}",
        "/v1/particles?category=tone&enabled=false",
        f"/v1/particles/{particle}?version=1&expand[]=versions",
        "/v1/system-prompts?isSystem=true&enabled=false&expand[]=particles",
        f"/v1/system-prompts/{prompt}?expand[]=particles",
        "/v1/channels?status=active&channelType=sms",
        "/v1/connections?provider=google_drive",
        f"/v1/connections/{connection_id}/resources?parentId=",
        "/v1/sync-jobs?syncConfigId=sc_x&status=queued&limit=5",
        "/v1/sync-jobs/job_missing/items?status=failed&limit=5&offset=1",
    ]
    for url in urls:
        assert client.get(url).status_code in (200, 404), url
    assert client.delete(f"/v1/files/{file_id}/associations?resource_type=dataset&resource_id=ds_product_docs").status_code == 204
    doc = client.get("/openapi.json").json()
    for (method, path), names in reads.items():
        assert names <= set(_document_params(doc, method, path)), (method, path, names)
    read_somewhere = {key for key, names in reads.items() if names}
    declared = {(r.method, r.path) for r in API_ROUTES if r.query}
    # expand[] documented, not needed: files have nothing to expand, a chat always embeds its model
    assert declared - read_somewhere == {("GET", "/v1/files/{file_id}"), ("GET", "/v1/chats/{chat_id}")}


def test_params_control_plane_filters_are_declared_too(client: TestClient) -> None:
    client.get("/v1/models")
    bad = client.get("/_emulator/requests?status=ok")
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "#/query/status"
    everything = client.get("/_emulator/requests").json()["items"]
    assert client.get("/_emulator/requests?status=&org=&method=").json()["items"] == everything  # empty = no filter
    assert [e["path"] for e in client.get("/_emulator/requests?method=get&status=200").json()["items"]] == ["/v1/models"]
    assert client.get("/_emulator/clock?org=").json() == client.get("/_emulator/clock").json()
