"""Chat answers keep their bytes: the same seed gives what the emulator gave before the chat turn was made
cheaper (issue 16). The session covers every part of a turn (new and continued chats, system prompts,
maxTokens, reasoning, artifacts, tool calls and results, structured replies, sources, ephemeral chats,
titles, streams in both formats) and the reads that show what was stored and billed.

The digest was taken from the code as it was before those changes (main at ``70dc396``); a change that
is meant to alter what a seed gives must say so and update it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.testclient import TestClient

from emulator import Config, create_app
from tests.conftest import AUTH, SUPPORT_BOT, chat_body
from tests.resource_helpers import link, upload

REASONING_MODEL = "2a3b4c5d-7e8f-4a9b-8c0d-e1f2a3b4c503"
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 9}},
            "required": ["city", "days"],
        },
    },
}
GOLDEN = "403bb9d44b0614428522eb23a648273f04b02b19dd8ed4f461a3c6b0806db66f"


def _session(seed: int) -> list[bytes]:
    app = create_app(Config(seed=seed, clock="manual"))
    out: list[bytes] = []

    def keep(response: Any) -> Any:
        head = f"{response.status_code} {sorted(response.headers.items())}".encode()
        out.append(head + b"\n" + response.content)
        return response

    with TestClient(app, headers=AUTH) as c:
        chat_id = keep(c.post("/v1/chats", json=chat_body("Hello"))).json()["id"]
        long_question = "How do I page through a very long list of datasets with a cursor, please?"
        keep(c.post("/v1/chats", json={"chatId": chat_id, "messages": [{"role": "user", "content": long_question}]}))
        keep(c.post("/v1/chats", json=chat_body("  spaced\tout  words ", systemPrompt="Be brief.", maxTokens=7)))
        keep(c.post("/v1/chats", json=chat_body("think first", modelId=REASONING_MODEL, enableReasoning=True)))
        keep(c.post("/v1/chats", json=chat_body("write it up", modelId=REASONING_MODEL, enableReasoning=True, reasoningBudget=4)))
        drafted = keep(c.post("/v1/chats", json=chat_body("Draft a release note for the API", enableArtifacts=True))).json()
        called = keep(c.post("/v1/chats", json=chat_body("weather in Paris?", tools=TOOLS, toolChoice="required"))).json()
        call_id = called["message"]["toolCalls"][0]["id"]
        result = {"role": "tool", "content": '{"temp": 21}', "toolCallId": call_id}
        keep(c.post("/v1/chats", json={"chatId": called["id"], "tools": TOOLS, "messages": [result]}))
        keep(c.post("/v1/chats", json=chat_body("plan a trip", responseFormat=SCHEMA)))
        keep(c.post("/v1/chats", json=chat_body("as json", responseFormat={"type": "json_object"})))
        keep(c.post("/v1/chats", json=chat_body("émoji 🎉 and “quotes” ,. !", ephemeral=True)))
        dataset_id = c.post("/v1/datasets", json={"name": "Policies"}).json()["id"]
        upload(c, dataset_id, "refund-policy.md")
        upload(c, dataset_id, "guide.csv", b"a,b\n1,2\n", "text/csv")
        link(c, SUPPORT_BOT, dataset_id)
        keep(c.post("/v1/chats", json=chat_body("What is the refund policy?")))
        app.state.clock.advance(3601.5)
        keep(c.post(f"/v1/chats/{chat_id}/title", json={}))
        for extra in ({}, {"X-Stream-Format": "ai-sdk"}):
            with c.stream("POST", "/v1/chats", headers=extra, json=chat_body("stream it", stream=True)) as r:
                out.append(r.read())
        for shown in (chat_id, called["id"]):
            keep(c.get(f"/v1/chats/{shown}"))
        keep(c.get(f"/v1/chats/{drafted['id']}/artifacts"))
        keep(c.get("/v1/chats", params={"limit": 50}))
        keep(c.get("/v1/usage"))
    return out


def test_chat_bytes_are_what_the_seed_gave_before() -> None:
    session = _session(7)
    whole = b"\x00".join(session)
    assert all(part.startswith((b"200 ", b"data: ")) for part in session)
    for shown in (b'"sources":[{', b'"reasoning":"', b'"identifier":"', b'"role":"tool"', b'\\"city\\"'):
        assert shown in whole  # the session reaches every part of a turn
    assert hashlib.sha256(whole).hexdigest() == GOLDEN
