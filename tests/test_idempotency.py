"""Idempotency-Key as a client meets it: replays, mismatches, in-flight keys, retention, concurrency."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.chat.stream import StreamPlan
from emulator.errors import ServiceUnavailable
from emulator.idempotency import RETENTION_SECONDS
from emulator.server import LiveServer
from tests.conftest import AUTH, chat_body, sse_events
from tests.idempotency_helpers import (
    Message,
    call,
    failing_once,
    insert_after_idempotency,
    request_headers,
)

PROBLEM = "application/problem+json"
REPLAYED = "idempotent-replayed"


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def dataset_count(client: TestClient, token: str = "test-token") -> int:
    response = client.get("/v1/datasets", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return int(response.json()["totalCount"])


def chat_count(client: TestClient) -> int:
    return int(client.get("/v1/chats").json()["totalCount"])


def credits_used(client: TestClient) -> int:
    return int(client.get("/v1/usage").json()["credits"]["used"])


def assert_problem(response: Any, status: int, title: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["title"]) == (status, title)
    return body


def test_idempotency_replays_first_response_byte_for_byte(client: TestClient) -> None:
    before = dataset_count(client)
    first = client.post("/v1/datasets", json={"name": "Docs"}, headers=key("create-ds-001"))
    again = client.post("/v1/datasets", json={"name": "Docs"}, headers=key("create-ds-001"))
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert REPLAYED not in first.headers
    assert again.headers[REPLAYED] == "true"
    assert [h for h in again.headers.raw if h[0] != REPLAYED.encode()] == first.headers.raw
    assert dataset_count(client) == before + 1


def test_idempotency_chat_replay_charges_credits_once(client: TestClient) -> None:
    body = chat_body("Summarise the handbook")
    first = client.post("/v1/chats", json=body, headers=key("turn-1"))
    used, chats = credits_used(client), chat_count(client)
    again = client.post("/v1/chats", json=body, headers=key("turn-1"))
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers[REPLAYED] == "true"
    assert (credits_used(client), chat_count(client)) == (used, chats)


def test_idempotency_streamed_chat_is_replayed_as_the_same_bytes(client: TestClient) -> None:
    body = chat_body("Stream it", stream=True)
    first = client.post("/v1/chats", json=body, headers=key("stream-1"))
    used, chats = credits_used(client), chat_count(client)
    again = client.post("/v1/chats", json=body, headers=key("stream-1"))
    assert first.status_code == again.status_code == 200
    assert again.headers["content-type"].startswith("text/event-stream")
    assert again.headers[REPLAYED] == "true"
    assert again.headers["x-chat-id"] == first.headers["x-chat-id"]
    assert again.content == first.content and sse_events(again.text)[-1] == "[DONE]"
    assert int(again.headers["content-length"]) == len(first.content)
    assert (credits_used(client), chat_count(client)) == (used, chats)


@pytest.mark.parametrize(
    "method, path, body",
    [
        pytest.param("POST", "/v1/datasets", {"name": "Other"}, id="different-body"),
        pytest.param("POST", "/v1/models", {"name": "Docs"}, id="different-path"),
    ],
)
def test_idempotency_same_key_different_request_is_422(client: TestClient, method: str, path: str, body: dict[str, Any]) -> None:
    assert client.post("/v1/datasets", json={"name": "Docs"}, headers=key("reused")).status_code == 201
    response = client.request(method, path, json=body, headers=key("reused"))
    problem = assert_problem(response, 422, "Unprocessable Entity")
    assert "reused" in problem["detail"]
    assert REPLAYED not in response.headers


@pytest.mark.parametrize(
    "value, status",
    [
        pytest.param("k" * 255, 201, id="255-chars-ok"),
        pytest.param("k" * 256, 400, id="256-chars"),
        pytest.param("", 400, id="empty"),
    ],
)
def test_idempotency_key_length_is_checked(client: TestClient, value: str, status: int) -> None:
    before = dataset_count(client)
    response = client.post("/v1/datasets", json={"name": "Docs"}, headers=key(value))
    assert response.status_code == status, response.text
    if status == 400:
        assert_problem(response, 400, "Bad Request")
        assert dataset_count(client) == before


def test_idempotency_keys_are_scoped_per_organisation(client: TestClient) -> None:
    ours = client.post("/v1/datasets", json={"name": "Docs"}, headers=key("shared-key"))
    theirs = client.post(
        "/v1/datasets", json={"name": "Docs"}, headers={**key("shared-key"), "Authorization": "Bearer other-org-token"}
    )
    assert ours.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != ours.json()["id"]


def test_idempotency_keys_are_forgotten_after_24_hours(app: EmulatorApp, client: TestClient) -> None:
    first = client.post("/v1/datasets", json={"name": "Docs"}, headers=key("daily"))
    app.state.clock.advance(RETENTION_SECONDS - 1)
    assert client.post("/v1/datasets", json={"name": "Docs"}, headers=key("daily")).content == first.content
    app.state.clock.advance(1)
    later = client.post("/v1/datasets", json={"name": "Docs"}, headers=key("daily"))
    assert later.status_code == 201 and REPLAYED not in later.headers
    assert later.json()["id"] != first.json()["id"]


def test_idempotency_client_errors_are_stored_and_replayed(client: TestClient) -> None:
    first = client.post("/v1/datasets", json={"name": 42}, headers=key("bad-body"))
    assert_problem(first, 422, "Unprocessable Entity")
    again = client.post("/v1/datasets", json={"name": 42}, headers=key("bad-body"))
    assert again.content == first.content and again.headers[REPLAYED] == "true"


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(lambda: ServiceUnavailable(), id="503-problem"),
        pytest.param(lambda: RuntimeError("emulator bug"), id="unhandled-500"),
    ],
)
def test_idempotency_server_errors_are_not_stored(app: EmulatorApp, failure: Callable[[], Exception]) -> None:
    insert_after_idempotency(app, failing_once(failure))
    with TestClient(app, base_url="http://emulator", headers=AUTH) as client:
        before = dataset_count(client)
        first = client.post("/v1/datasets", json={"name": "Docs"}, headers=key("retry-me"))
        assert first.status_code >= 500
        retry = client.post("/v1/datasets", json={"name": "Docs"}, headers=key("retry-me"))
        assert retry.status_code == 201 and REPLAYED not in retry.headers
        again = client.post("/v1/datasets", json={"name": "Docs"}, headers=key("retry-me"))
        assert again.headers[REPLAYED] == "true" and again.content == retry.content
        assert dataset_count(client) == before + 1
    app.state.server_errors.clear()  # the RuntimeError case is recorded there on purpose


def test_idempotency_multipart_retry_with_new_boundary_is_replayed(client: TestClient) -> None:
    upload = {"file": ("notes.txt", b"retry me", "text/plain")}
    first = client.post("/v1/files", files=upload, headers=key("upload-001"))
    again = client.post("/v1/files", files=upload, headers=key("upload-001"))  # httpx draws a new boundary
    assert first.request.headers["content-type"] != again.request.headers["content-type"]
    assert first.status_code < 300 and again.headers[REPLAYED] == "true" and again.content == first.content
    changed = client.post("/v1/files", files={"file": ("notes.txt", b"other", "text/plain")}, headers=key("upload-001"))
    assert_problem(changed, 422, "Unprocessable Entity")


def test_idempotency_delete_replays_204(client: TestClient) -> None:
    chat_id = client.post("/v1/chats", json=chat_body()).json()["id"]
    first = client.delete(f"/v1/chats/{chat_id}", headers=key("del-1"))
    again = client.delete(f"/v1/chats/{chat_id}", headers=key("del-1"))
    assert first.status_code == again.status_code == 204
    assert again.headers[REPLAYED] == "true" and again.content == b""
    assert "content-length" not in again.headers or again.headers["content-length"] == "0"
    fresh = client.delete(f"/v1/chats/{chat_id}", headers=key("del-2"))
    assert_problem(fresh, 404, "Not Found")


def test_idempotency_reset_forgets_keys(client: TestClient) -> None:
    first = client.post("/v1/datasets", json={"name": "Docs"}, headers=key("before-reset"))
    assert client.post("/_emulator/reset").status_code == 204
    after = client.post("/v1/datasets", json={"name": "Docs"}, headers=key("before-reset"))
    assert after.status_code == 201 and REPLAYED not in after.headers
    assert after.json()["id"] == first.json()["id"]  # same seed after reset: executed again, same id


def test_idempotency_without_key_every_request_executes(client: TestClient) -> None:
    before = dataset_count(client)
    responses = [client.post("/v1/datasets", json={"name": "Docs"}) for _ in range(2)]
    assert all(REPLAYED not in r.headers for r in responses)
    assert dataset_count(client) == before + 2


def test_idempotency_key_on_a_read_is_ignored(client: TestClient) -> None:
    first = client.get("/v1/datasets", headers=key("read"))
    again = client.get("/v1/datasets", headers=key("read"))
    assert first.status_code == again.status_code == 200 and REPLAYED not in again.headers


def test_idempotency_stream_with_injected_fault_is_not_stored(app: EmulatorApp, client: TestClient) -> None:
    plans = [StreamPlan(cut_after=1)]

    async def cut_first_stream(ctx: Any, call_next: Any) -> Any:
        if plans:
            ctx.directives.stream_plan = plans.pop()
        return await call_next(ctx)

    insert_after_idempotency(app, cut_first_stream)
    body = chat_body("Cut me", stream=True)
    first = client.post("/v1/chats", json=body, headers=key("faulty"))
    assert "[DONE]" not in sse_events(first.text)
    retry = client.post("/v1/chats", json=body, headers=key("faulty"))
    assert REPLAYED not in retry.headers and sse_events(retry.text)[-1] == "[DONE]"


def test_idempotency_in_flight_stream_gives_409_then_replays(app: EmulatorApp, client: TestClient) -> None:
    body = json.dumps(chat_body("Take your time", stream=True)).encode()
    headers = request_headers("test-token", "slow-stream")

    async def scenario() -> tuple[Any, ...]:
        first_chunk, release = asyncio.Event(), asyncio.Event()

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body") and not first_chunk.is_set():
                first_chunk.set()
                await release.wait()

        first = asyncio.create_task(call(app, "POST", "/v1/chats", headers, body, on_send=hold))
        await first_chunk.wait()
        during = await call(app, "POST", "/v1/chats", headers, body)
        release.set()
        return await first, during, await call(app, "POST", "/v1/chats", headers, body)

    first, during, after = asyncio.run(scenario())
    assert during.status == 409 and during.headers["content-type"] == PROBLEM
    assert during.json()["title"] == "Conflict" and "slow-stream" in during.json()["detail"]
    assert first.status == after.status == 200
    assert after.headers[REPLAYED] == "true" and after.body == first.body
    assert sse_events(first.body.decode())[-1] == "[DONE]"
    assert chat_count(client) == 1


def test_idempotency_interrupted_stream_is_not_stored(app: EmulatorApp, client: TestClient) -> None:
    body = json.dumps(chat_body("Bye", stream=True)).encode()
    headers = request_headers("test-token", "dropped")

    async def scenario() -> tuple[Any, Any]:
        gone, stuck = asyncio.Event(), asyncio.Event()

        async def hang_up(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                gone.set()  # the client goes away while the stream is being sent
                await stuck.wait()

        dropped = await call(app, "POST", "/v1/chats", headers, body, on_send=hang_up, disconnect=gone)
        return dropped, await call(app, "POST", "/v1/chats", headers, body)

    dropped, retry = asyncio.run(scenario())
    assert b"[DONE]" not in dropped.body
    assert retry.status == 200 and REPLAYED not in retry.headers
    assert sse_events(retry.body.decode())[-1] == "[DONE]"
    assert chat_count(client) == 2


def test_idempotency_concurrent_posts_on_a_real_socket_create_one_dataset(
    app: EmulatorApp, live: LiveServer, client: TestClient
) -> None:
    async def scripted_delay(ctx: Any, call_next: Any) -> Any:
        for _ in range(5):  # like a scenario delay: yields to the event loop between lookup and handler
            await ctx.state.clock.sleep(0.1)
        return await call_next(ctx)

    insert_after_idempotency(app, scripted_delay)
    before = dataset_count(client)
    workers = 32
    barrier = threading.Barrier(workers)

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=live.url, headers=AUTH, timeout=30) as http:
            barrier.wait(timeout=30)
            return http.post("/v1/datasets", json={"name": "Race"}, headers=key("race"))

    with ThreadPoolExecutor(workers) as pool:
        responses = list(pool.map(post, range(workers)))
    originals = [r for r in responses if r.status_code == 201 and REPLAYED not in r.headers]
    assert len(originals) == 1
    original = originals[0]
    for response in responses:
        if response is original:
            continue
        if response.status_code == 409:
            assert_problem(response, 409, "Conflict")
        else:
            assert response.status_code == 201 and response.headers[REPLAYED] == "true"
            assert response.content == original.content
    assert dataset_count(client) == before + 1
