"""Tool calling: arguments valid against the tool's schema, both stream formats, tool-result continuation."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from emulator.chat.reply import ScriptedReply
from emulator.chat.turn import run_turn
from emulator.ids import Ids
from tests.conftest import SUPPORT_BOT, chat_body
from tests.resource_helpers import MISTRAL_SMALL, WEATHER_TOOL, stream

SEARCH_TOOL = {
    "name": "search_docs",
    "description": "Search the product documentation",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string", "minLength": 3}},
        "required": ["query"],
        "additionalProperties": False,
    },
}


def _assert_valid_call(call: dict, tool: dict) -> dict:
    spec = tool.get("function", tool)
    assert call["id"].startswith("call_") and call["type"] == "function"
    assert call["function"]["name"] == spec["name"]
    arguments = json.loads(call["function"]["arguments"])
    Draft202012Validator(spec["parameters"]).validate(arguments)
    return arguments


def test_chats_tools_reply_carries_a_valid_tool_call(client: TestClient) -> None:
    response = client.post("/v1/chats", json=chat_body("Weather in Paris?", tools=[WEATHER_TOOL]))
    assert response.status_code == 200, response.text
    message = response.json()["message"]
    assert message["content"] is None
    (call,) = message["toolCalls"]
    arguments = _assert_valid_call(call, WEATHER_TOOL)
    assert set(arguments) >= {"location", "unit", "days"}
    stored = client.get(f"/v1/chats/{response.json()['id']}").json()["messages"][-1]
    assert stored["toolCalls"] == message["toolCalls"]


@pytest.mark.parametrize(
    ("text", "choice", "expected"),
    [
        pytest.param("Please search the docs for refunds", None, "search_docs", id="name-word-in-message"),
        pytest.param("Is it going to rain in Berlin?", None, "get_weather", id="falls-back-to-first-tool"),
        pytest.param("documentation please", None, "search_docs", id="description-word-in-message"),
        pytest.param(
            "search for x", {"type": "function", "function": {"name": "get_weather"}}, "get_weather", id="forced-by-toolChoice"
        ),
    ],
)
def test_chats_tools_choice_is_deterministic(client: TestClient, text: str, choice: object, expected: str) -> None:
    body = chat_body(text, tools=[WEATHER_TOOL, SEARCH_TOOL])  # SEARCH_TOOL in the flattened form
    if choice is not None:
        body["toolChoice"] = choice
    message = client.post("/v1/chats", json=body).json()["message"]
    tool = WEATHER_TOOL if expected == "get_weather" else SEARCH_TOOL
    _assert_valid_call(message["toolCalls"][0], tool)


def test_chats_tools_choice_none_gives_text(client: TestClient) -> None:
    message = client.post("/v1/chats", json=chat_body("Weather?", tools=[WEATHER_TOOL], toolChoice="none")).json()["message"]
    assert message["content"] and message["toolCalls"] is None


def test_chats_tools_same_conversation_same_arguments(make_app) -> None:
    from tests.conftest import AUTH

    def arguments(app) -> str:
        with TestClient(app, headers=AUTH) as c:
            return c.post("/v1/chats", json=chat_body("Weather?", tools=[WEATHER_TOOL])).json()["message"]["toolCalls"][0][
                "function"
            ]["arguments"]

    assert arguments(make_app()) == arguments(make_app())


def test_chats_tools_continuation_with_tool_result_gives_text(client: TestClient) -> None:
    first = client.post("/v1/chats", json=chat_body("Weather in Paris?", tools=[WEATHER_TOOL])).json()
    call_id = first["message"]["toolCalls"][0]["id"]
    second = client.post(
        "/v1/chats",
        json={
            "chatId": first["id"],
            "tools": [WEATHER_TOOL],
            "stream": False,
            "messages": [{"role": "tool", "toolCallId": call_id, "content": '{"temp": 21}'}],
        },
    )
    assert second.status_code == 200, second.text
    reply = second.json()["message"]
    assert reply["content"] and reply["toolCalls"] is None
    roles = [m["role"] for m in client.get(f"/v1/chats/{first['id']}").json()["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"]


def test_chats_tools_history_in_one_request_is_accepted(client: TestClient) -> None:
    call = {"id": "call_client1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    response = client.post(
        "/v1/chats",
        json=chat_body("Weather?", tools=[WEATHER_TOOL])
        | {
            "messages": [
                {"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": None, "toolCalls": [call]},
                {"role": "tool", "toolCallId": "call_client1", "content": "sunny"},
            ]
        },
    )
    assert response.status_code == 200 and response.json()["message"]["content"]


@pytest.mark.parametrize(
    "message",
    [
        pytest.param({"role": "tool", "toolCallId": "call_unknown", "content": "x"}, id="unknown-call"),
        pytest.param({"role": "tool", "content": "x"}, id="missing-toolCallId"),
    ],
)
def test_chats_tools_result_must_answer_a_call_of_the_chat(client: TestClient, message: dict) -> None:
    chat_id = client.post("/v1/chats", json=chat_body("Weather?", tools=[WEATHER_TOOL])).json()["id"]
    response = client.post("/v1/chats", json={"chatId": chat_id, "messages": [message]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/messages/0/toolCallId"


def test_chats_tools_result_cannot_answer_another_chats_call(client: TestClient) -> None:
    call_id = client.post("/v1/chats", json=chat_body("Weather?", tools=[WEATHER_TOOL])).json()["message"]["toolCalls"][0]["id"]
    other_chat = client.post("/v1/chats", json=chat_body("hi")).json()["id"]
    response = client.post(
        "/v1/chats", json={"chatId": other_chat, "messages": [{"role": "tool", "toolCallId": call_id, "content": "x"}]}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("tools", "pointer"),
    [
        pytest.param([{"type": "function", "function": {"description": "no name"}}], "/tools/0/function/name", id="no-name"),
        pytest.param([{"type": "retrieval"}], "/tools/0/type", id="wrong-type"),
        pytest.param(
            [{"type": "function", "function": {"name": "f", "parameters": {"type": "nope"}}}],
            "/tools/0/function/parameters",
            id="invalid-schema",
        ),
        pytest.param([SEARCH_TOOL, SEARCH_TOOL], "/tools/1/function/name", id="duplicate"),
    ],
)
def test_chats_tools_bad_definitions_are_422(client: TestClient, tools: list, pointer: str) -> None:
    response = client.post("/v1/chats", json=chat_body("x", tools=tools))
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == pointer


def test_chats_tools_on_model_without_tool_support_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/chats", json={"modelId": MISTRAL_SMALL, "tools": [WEATHER_TOOL], "messages": [{"role": "user", "content": "x"}]}
    )
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/tools"


def test_chats_tools_native_stream(client: TestClient) -> None:
    chunks = stream(client, chat_body("Weather?", tools=[WEATHER_TOOL]))
    tool_chunks = [c for c in chunks if c.get("toolCalls")]
    header = tool_chunks[0]["toolCalls"][0]
    assert header["index"] == 0 and header["id"].startswith("call_") and header["type"] == "function"
    assert header["function"] == {"name": "get_weather"}
    fragments = [c["toolCalls"][0]["function"]["arguments"] for c in tool_chunks[1:]]
    assert len(fragments) > 1
    assert all(c["delta"] == "" for c in chunks)
    assert chunks[-1]["finished"] is True and chunks[-1]["usage"]["outputTokens"] > 0
    stored = client.get(f"/v1/chats/{chunks[0]['id']}").json()["messages"][-1]
    assert stored["toolCalls"][0]["id"] == header["id"]
    assert stored["toolCalls"][0]["function"]["arguments"] == "".join(fragments)
    _assert_valid_call(stored["toolCalls"][0], WEATHER_TOOL)


def test_chats_tools_ai_sdk_stream(client: TestClient) -> None:
    parts = stream(client, chat_body("Weather?", tools=[WEATHER_TOOL]), ai_sdk=True)
    types = [p["type"] for p in parts]
    assert types[:3] == ["start", "start-step", "tool-input-start"]
    assert types[-3:] == ["tool-input-available", "finish-step", "finish"]
    assert "text-start" not in types
    start, available, finish = parts[2], parts[-3], parts[-1]
    deltas = "".join(p["inputTextDelta"] for p in parts if p["type"] == "tool-input-delta")
    assert start["toolName"] == available["toolName"] == "get_weather"
    assert available["input"] == available["args"] == json.loads(deltas)
    assert finish["finishReason"] == "tool-calls"
    stored = client.get(f"/v1/chats/{parts[0]['messageMetadata']['chatId']}").json()["messages"][-1]
    assert stored["toolCalls"][0]["id"] == start["toolCallId"] == available["toolCallId"]
    assert stored["toolCalls"][0]["function"]["arguments"] == deltas


def test_chats_tools_scripted_reply_replaces_generation(app) -> None:
    principal = app.state.default_principal()
    scripted = ScriptedReply("", ({"name": "lookup", "arguments": {"id": 7}},))
    turn = run_turn(app.state, principal, chat_body("anything"), Ids(app.state.id_key, principal.org_id, 1), scripted=scripted)
    assert turn.finish_reason == "tool-calls" and turn.message["content"] is None
    call = turn.message["toolCalls"][0]
    assert call["function"] == {"name": "lookup", "arguments": '{"id": 7}'} and call["id"].startswith("call_")
    text = run_turn(
        app.state,
        principal,
        chat_body("anything"),
        Ids(app.state.id_key, principal.org_id, 2),
        scripted=ScriptedReply("Scripted hello."),
    )
    assert text.message["content"] == "Scripted hello." and "".join(text.pieces) == "Scripted hello."
    stored = app.state.store.get(principal.org_id, "chats", text.chat_id)
    assert stored["messages"][-1]["content"] == "Scripted hello."
    assert text.usage["outputTokens"] == len(text.pieces)


def test_chats_tools_support_bot_is_tool_capable(client: TestClient) -> None:
    assert client.get(f"/v1/models/{SUPPORT_BOT}").json()["supportsTools"] is True
