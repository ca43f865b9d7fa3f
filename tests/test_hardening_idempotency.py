"""Issue 11 points 3 and 4: Idempotency-Key is scoped per caller, and busy while a faulted stream runs."""

from __future__ import annotations

import httpx
from starlette.testclient import TestClient

from emulator.server import LiveServer
from tests.conftest import AUTH, chat_body

REPLAYED = "idempotent-replayed"


def _colleague(client: TestClient) -> dict[str, str]:
    """A second user of org_default, allowed to write chats."""
    minted = client.post("/_emulator/tokens", json={"user": "member_reader", "org": "org_default", "scopes": ["*"]})
    assert minted.status_code == 201, minted.text
    return {"Authorization": f"Bearer {minted.json()['token']}"}


def test_hardening_idempotency_key_never_replays_another_users_chat(client: TestClient) -> None:
    body = chat_body("my private question")
    mine = client.post("/v1/chats", json=body, headers={"Idempotency-Key": "K"})
    assert mine.status_code == 200, mine.text
    colleague = {**_colleague(client), "Idempotency-Key": "K"}
    theirs = client.post("/v1/chats", json=body, headers=colleague)
    assert theirs.status_code == 200, theirs.text
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    again = client.post("/v1/chats", json=body, headers={"Idempotency-Key": "K"})  # the key still replays for its owner
    assert again.headers[REPLAYED] == "true" and again.content == mine.content


def test_hardening_idempotency_key_on_another_path_is_422_only_for_its_owner(client: TestClient) -> None:
    assert client.post("/v1/datasets", json={"name": "Docs"}, headers={"Idempotency-Key": "K2"}).status_code == 201
    reused = client.post("/v1/system-prompts", json={"name": "p", "content": "c"}, headers={"Idempotency-Key": "K2"})
    assert reused.status_code == 422 and reused.headers["content-type"] == "application/problem+json"
    assert "K2" in reused.json()["detail"]
    colleague = client.post("/v1/datasets", json={"name": "Docs"}, headers={**_colleague(client), "Idempotency-Key": "K2"})
    assert colleague.status_code == 201 and REPLAYED not in colleague.headers


def test_hardening_retry_while_a_stalled_stream_runs_is_409(client: TestClient, live: LiveServer) -> None:
    assert client.post("/_emulator/scenarios", json={"name": "stream-stall"}).status_code == 201
    body = chat_body("stall me", stream=True)
    headers = {**AUTH, "Idempotency-Key": "stalled"}
    with (
        httpx.Client(base_url=live.url, timeout=10) as http,
        http.stream("POST", "/v1/chats", json=body, headers=headers) as first,
    ):
        assert first.status_code == 200
        lines = first.iter_lines()
        deltas = 0
        while deltas < 3:  # the scenario stalls after three deltas, keeping the connection open
            deltas += next(lines).startswith("data: ")
        retry = httpx.post(f"{live.url}/v1/chats", json=body, headers=headers, timeout=10)
        assert retry.status_code == 409, retry.text
        assert retry.headers["content-type"] == "application/problem+json"
        assert "stalled" in retry.json()["detail"]
    # the stalled stream is over (the client hung up): never stored, so once the server has seen the
    # hang-up a retry executes again
    assert client.delete("/_emulator/scenarios/stream-stall").status_code == 204
    with httpx.Client(base_url=live.url, timeout=10) as http:
        statuses = []
        for _ in range(200):  # each round trip lets the server's loop handle the closed connection
            after = http.post("/v1/chats", json=body, headers=headers)
            statuses.append(after.status_code)
            if after.status_code != 409:
                break
    assert after.status_code == 200, statuses
    assert REPLAYED not in after.headers and after.text.rstrip().endswith("data: [DONE]")
