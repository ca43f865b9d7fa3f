"""Scenario actions seen by a client (in-process): errors, literal responses, delays, replies, streams,
and the journal naming the rule that acted."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from tests.conftest import AUTH, chat_body
from tests.scenario_helpers import OTHER_ORG, activate, native_chunks


@pytest.mark.parametrize(
    ("spec", "status", "title", "detail", "headers"),
    [
        pytest.param(
            "{status: 429, retry_after: 2}",
            429,
            "Too Many Requests",
            "Rate limit exceeded. Retry after 2 seconds.",
            {"retry-after": "2", "x-ratelimit-remaining": "0"},
            id="429-documented",
        ),
        pytest.param(
            "429",
            429,
            "Too Many Requests",
            "Rate limit exceeded. Retry after 60 seconds.",
            {"retry-after": "60"},
            id="429-default-retry-after",
        ),
        pytest.param(
            "{status: 503, retry_after: 1500ms}",
            503,
            "Service Unavailable",
            "The service is temporarily unavailable.",
            {"retry-after": "2"},
            id="503-rounds-up",
        ),
        pytest.param("{status: 402}", 402, "Insufficient Credits", "Insufficient credits.", {}, id="402"),
        pytest.param(
            "{status: 401}",
            401,
            "Unauthorized",
            "Invalid or expired token.",
            {"www-authenticate": 'Bearer error="invalid_token"'},
            id="401",
        ),
        pytest.param(
            "502", 502, "Bad Gateway", "The upstream model provider returned an invalid response.", {}, id="502-no-class"
        ),
        pytest.param(
            "{status: 418, title: Teapot, detail: Short and stout., headers: {X-Why: tea}}",
            418,
            "Teapot",
            "Short and stout.",
            {"x-why": "tea"},
            id="custom",
        ),
    ],
)
def test_scenario_error_action_renders_documented_problem(
    client: TestClient, spec: str, status: int, title: str, detail: str, headers: dict[str, str]
) -> None:
    activate(client, f"name: err\nrules:\n  - match: {{path: /v1/models}}\n    error: {spec}\n")
    response = client.get("/v1/models")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"type": "about:blank", "title": title, "status": status, "detail": detail}
    for name, value in headers.items():
        assert response.headers[name] == value


def test_scenario_respond_literal_json_and_problem(client: TestClient) -> None:
    activate(
        client,
        """
name: literal
rules:
  - match: {method: GET, path: /v1/models}
    respond: {status: 202, headers: {X-Thing: "1"}, body: {hello: [1, 2]}}
  - match: {method: GET, path: "/v1/datasets/{id}"}
    respond: {status: 503, headers: {Retry-After: "1"}, problem: {title: Service Unavailable, detail: Maintenance,
              type: "https://example.test/maintenance", window: 5}}
  - match: {method: GET, path: /v1/usage}
    respond: {status: 200, body: plain words}
""",
    )
    first = client.get("/v1/models")
    assert (first.status_code, first.json(), first.headers["x-thing"]) == (202, {"hello": [1, 2]}, "1")
    problem = client.get("/v1/datasets/ds_nope")
    assert problem.status_code == 503 and problem.headers["retry-after"] == "1"
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.json() == {
        "type": "https://example.test/maintenance",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "Maintenance",
        "window": 5,
    }
    text = client.get("/v1/usage")
    assert text.text == "plain words" and text.headers["content-type"].startswith("text/plain")


def test_scenario_respond_merge_patches_the_normal_answer(client: TestClient) -> None:
    normal = client.get("/v1/models").json()
    activate(client, "name: m\nrules:\n  - match: {path: /v1/models}\n    respond: {merge: {hasMore: true, extra: 1}}\n")
    patched = client.get("/v1/models").json()
    assert patched == {**normal, "hasMore": True, "extra": 1}


def test_scenario_delay_uses_the_clock_then_answers_normally(client: TestClient, app: EmulatorApp) -> None:
    activate(client, "name: slow\nrules:\n  - match: {path: /v1/models}\n    delay: 800ms\n")
    before = app.state.clock.now()
    response = client.get("/v1/models")
    assert response.status_code == 200 and response.json()["items"]
    assert app.state.clock.now() - before == pytest.approx(0.8)
    entry = client.get("/_emulator/requests", params={"path": "/v1/models"}).json()["items"][-1]
    assert entry["rule"] == "slow#0" and entry["durationMs"] == pytest.approx(800)


def test_scenario_delay_combines_with_error(client: TestClient, app: EmulatorApp) -> None:
    activate(client, "name: d\nrules:\n  - match: {path: /v1/models}\n    delay: 2s\n    error: 504\n")
    before = app.state.clock.now()
    assert client.get("/v1/models").status_code == 504
    assert app.state.clock.now() - before == pytest.approx(2)


def test_scenario_body_match_and_scripted_reply(client: TestClient) -> None:
    activate(
        client,
        """
name: weather
rules:
  - name: sunny
    match: {method: POST, path: /v1/chats, body: {messages: [{content: {regex: weather}}]}}
    reply: {content: "Sunny, 21 °C."}
""",
    )
    scripted = client.post("/v1/chats", json=chat_body("What's the weather in Paris?"))
    assert scripted.status_code == 200 and scripted.json()["message"]["content"] == "Sunny, 21 °C."
    stored = client.get(f"/v1/chats/{scripted.json()['id']}").json()
    assert stored["messages"][-1]["content"] == "Sunny, 21 °C."
    normal = client.post("/v1/chats", json=chat_body("Tell me a joke"))
    assert normal.json()["message"]["content"] != "Sunny, 21 °C."
    rules = [e["rule"] for e in client.get("/_emulator/requests", params={"method": "POST"}).json()["items"]]
    assert rules == ["weather#sunny", None]


def test_scenario_stream_action_cuts_the_stream(client: TestClient) -> None:
    activate(client, "name: cut\nrules:\n  - match: {body: {stream: true}}\n    stream: {cut_after: 2}\n")
    with client.stream("POST", "/v1/chats", json=chat_body("Stream a long answer please", stream=True)) as response:
        assert response.status_code == 200
        chunks, done = native_chunks(response.read().decode())
    assert len(chunks) == 2 and not done
    assert not any(chunk.get("finished") for chunk in chunks)


def test_scenario_body_pattern_ignores_non_json_body(client: TestClient) -> None:
    activate(client, "name: b\nrules:\n  - match: {body: {stream: true}}\n    error: 500\n")
    response = client.post("/v1/chats", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400  # the body step's answer: the rule did not match


def test_scenario_then_state_machine(client: TestClient) -> None:
    activate(
        client,
        """
name: recovery
rules:
  - match: {path: /v1/models}
    when: {state: start}
    error: 503
    then: {set_state: recovered}
  - match: {path: /v1/models}
    when: {state: recovered}
    respond: {status: 200, body: {ok: true}}
""",
    )
    assert [client.get("/v1/models").status_code for _ in range(3)] == [503, 200, 200]
    assert client.get("/v1/models").json() == {"ok": True}


def test_scenario_counters_are_per_organisation(client: TestClient) -> None:
    activate(client, "name: third\nrules:\n  - match: {path: /v1/models}\n    when: {calls: [2]}\n    error: 500\n")
    statuses = []
    for headers in (AUTH, OTHER_ORG, AUTH, OTHER_ORG, AUTH):
        statuses.append(client.get("/v1/models", headers=headers).status_code)
    assert statuses == [200, 200, 500, 500, 200]


def test_scenario_startup_survives_reset_runtime_does_not(make_app: Callable[..., EmulatorApp]) -> None:
    app = make_app(scenarios=("rate-limited",))
    with TestClient(app, base_url="http://emulator", headers=AUTH) as client:
        assert client.get("/v1/models").status_code == 429
        activate(client, "name: extra\nrules: []\n")
        assert client.post("/_emulator/reset").status_code == 204
        active = client.get("/_emulator/scenarios").json()["active"]
        assert [(a["name"], a["origin"], a["organizations"]) for a in active] == [("rate-limited", "startup", {})]
        assert client.get("/v1/models").status_code == 429  # counters started over


def test_scenario_no_active_scenario_leaves_requests_alone(client: TestClient) -> None:
    response = client.get("/v1/models")
    assert response.status_code == 200
    assert client.get("/_emulator/requests").json()["items"][-1]["rule"] is None


def test_scenario_actions_stream_keys_are_exactly_the_stream_plan_fields() -> None:
    """The schema allows only StreamPlan's fields, so a stream action never carries one the plan lacks."""
    import dataclasses
    import json
    from pathlib import Path

    import emulator.scenarios
    from emulator.chat.stream import StreamPlan

    schema = json.loads((Path(emulator.scenarios.__file__).parent / "scenario.schema.json").read_text())
    stream = schema["$defs"]["stream"]
    assert stream["additionalProperties"] is False
    assert set(stream["properties"]) == {f.name for f in dataclasses.fields(StreamPlan)}
