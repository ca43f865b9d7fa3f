"""Issue 11 regressions: hostile input never yields a 500, an unbounded answer or a cross-user replay."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from emulator.bounds import MAX_JSON_DEPTH, MAX_PROBLEM_BYTES, bound_problem, nesting_exceeds
from emulator.responses import dumps
from tests.conftest import SUPPORT_BOT, chat_body


def _arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def _objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert len(response.content) <= MAX_PROBLEM_BYTES  # type: ignore[attr-defined]
    doc: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert doc["status"] == status
    return doc


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("/v1/datasets", '{"name":"d","description":' + _arrays(1000) + "}", id="dataset-description-1000-arrays"),
        pytest.param("/v1/datasets", '{"name":"d","description":' + _arrays(1023) + "}", id="dataset-description-orjson-limit"),
        pytest.param(
            "/v1/chats",
            json.dumps({"modelId": SUPPORT_BOT, "messages": [{"role": "user", "content": "X"}]}).replace('"X"', _objects(1000)),
            id="chat-content-1000-objects",
        ),
        pytest.param("/v1/datasets", '{"name":"d","description":' + _arrays(MAX_JSON_DEPTH) + "}", id="just-over-the-bound"),
    ],
)
def test_hardening_deep_nesting_is_422_never_500(client: TestClient, path: str, body: str) -> None:
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    doc = _assert_problem(response, 422)
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in str(doc["detail"])


def test_hardening_nesting_within_the_bound_is_validated_as_usual(client: TestClient) -> None:
    body = '{"name":"d","description":' + _arrays(MAX_JSON_DEPTH - 1) + "}"  # depth 64 with the outer object
    doc = _assert_problem(client.post("/v1/datasets", content=body, headers={"Content-Type": "application/json"}), 422)
    assert "nested" not in str(doc["detail"])  # the schema's own complaint (description is a string)


@pytest.mark.parametrize(
    ("data", "deep"),
    [
        pytest.param([], False, id="empty"),
        pytest.param(json.loads(_arrays(64)), False, id="64"),
        pytest.param(json.loads(_arrays(65)), True, id="65"),
        pytest.param({"a": [1] * 100, "b": json.loads(_objects(70))}, True, id="deep-branch-among-wide"),
    ],
)
def test_hardening_nesting_exceeds_counts_levels(data: object, deep: bool) -> None:
    assert nesting_exceeds(json.dumps(data).encode(), data) is deep


def test_hardening_huge_invalid_value_gives_a_bounded_problem(client: TestClient) -> None:
    response = client.post("/v1/datasets", json={"name": "n" * 900 * 1024})
    doc = _assert_problem(response, 422)
    assert str(doc["detail"]).startswith("name")


def test_hardening_ten_thousand_messages_give_a_bounded_problem(client: TestClient) -> None:
    messages = [{"role": "nobody", "content": "x" * 20} for _ in range(10_000)]
    response = client.post("/v1/chats", json=chat_body(messages=messages))
    doc = _assert_problem(response, 422)
    assert "errors" in doc  # the pointers are kept, cut to the first few


def test_hardening_bound_problem_truncates_then_falls_back_to_the_core_members() -> None:
    doc = {"type": "about:blank", "title": "T", "status": 422, "detail": "d" * 20_000, "errors": [{"pointer": "/x"}] * 5000}
    shrunk = json.loads(bound_problem(doc, dumps))
    assert len(dumps(shrunk)) <= MAX_PROBLEM_BYTES
    assert shrunk["detail"].startswith("d" * 256) and shrunk["detail"].endswith("(19744 more characters)")
    assert shrunk["errors"][-1] == "… (4990 more)"
    many_keys = {
        "type": "about:blank",
        "title": "T",
        "status": 400,
        "detail": "d",
        **{f"k{i}": ["v" * 300] * 10 for i in range(100)},
    }
    assert json.loads(bound_problem(many_keys, dumps)) == {
        "type": "about:blank",
        "title": "T",
        "status": 400,
        "detail": "d",
        "truncated": True,
    }
    small = {"type": "about:blank", "title": "T", "status": 404, "detail": "x" * 1000}
    assert bound_problem(small, dumps) == dumps(small)  # under the bound: untouched
