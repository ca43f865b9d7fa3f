"""An answer a scenario scripts is never remembered under an Idempotency-Key."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import chat_body

RULES = {
    "error-429": "error: {status: 429, retry_after: 2}",
    "respond-503": "respond: {status: 503, problem: {title: Service Unavailable, detail: Maintenance}}",
}


@pytest.mark.parametrize("action", list(RULES), ids=list(RULES))
def test_idempotency_scripted_answer_is_not_replayed(client: TestClient, action: str) -> None:
    yaml = f"name: once\nrules:\n  - match: {{method: POST, path: /v1/chats}}\n    when: {{times: 1}}\n    {RULES[action]}\n"
    assert client.post("/_emulator/scenarios", json={"yaml": yaml}).status_code == 201
    headers = {"Idempotency-Key": "retry-me"}
    first = client.post("/v1/chats", json=chat_body("hi"), headers=headers)
    assert first.status_code in (429, 503)
    second = client.post("/v1/chats", json=chat_body("hi"), headers=headers)
    assert second.status_code == 200, second.text
    assert "idempotent-replayed" not in second.headers
    third = client.post("/v1/chats", json=chat_body("hi"), headers=headers)
    assert third.headers["idempotent-replayed"] == "true" and third.content == second.content
