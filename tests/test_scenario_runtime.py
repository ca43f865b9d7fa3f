"""Pure scenario logic: matching, `when` conditions, counters, states and per-organisation isolation."""

from __future__ import annotations

import random
import re

import pytest
from starlette.datastructures import Headers

from emulator.context import QueryParams
from emulator.scenarios import ScenarioRuntime, load_text
from emulator.scenarios.match import NO_BODY, RequestView, body_matches, compile_path, matches
from emulator.scenarios.model import Regex, When
from emulator.scenarios.runtime import holds


def view(
    method: str = "GET", path: str = "/v1/models", headers: dict[str, str] | None = None, query: str = "", json: object = NO_BODY
) -> RequestView:
    return RequestView(method, path, Headers(headers or {}), QueryParams(query), json)


def rule_match(yaml_match: str):  # type: ignore[no-untyped-def]
    return load_text(f"name: t\nrules:\n  - match: {yaml_match}\n    error: 500\n").rules[0].match


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        pytest.param("/v1/models/{id}", "/v1/models/abc", True, id="template"),
        pytest.param("/v1/models/{id}", "/v1/models/abc/", True, id="trailing-slash"),
        pytest.param("/v1/models/{id}", "/v1/models/a/b", False, id="one-segment-only"),
        pytest.param("/v1/models/{id}", "/v1/models", False, id="missing-param"),
        pytest.param("/v1/chats", "/v1/chats", True, id="exact"),
        pytest.param("/v1/chats", "/v1/chatsX", False, id="exact-anchored"),
        pytest.param("/v1/a.b", "/v1/aXb", False, id="dots-are-literal"),
    ],
)
def test_scenario_match_path_templates(template: str, path: str, expected: bool) -> None:
    assert (compile_path(template).match(path) is not None) is expected


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        pytest.param({"stream": True}, {"stream": True, "modelId": "m"}, True, id="subset"),
        pytest.param({"stream": True}, {"stream": 1}, False, id="bool-is-not-int"),
        pytest.param({"stream": True}, {}, False, id="missing-key"),
        pytest.param(
            {"messages": [{"content": Regex(re.compile("weather"))}]},
            {"messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": "the weather?"}]},
            True,
            id="list-item-regex",
        ),
        pytest.param(
            {"messages": [{"content": Regex(re.compile("weather"))}]}, {"messages": [{"content": "hi"}]}, False, id="list-no-item"
        ),
        pytest.param({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}, True, id="nested"),
        pytest.param({"a": Regex(re.compile("x"))}, {"a": 5}, False, id="regex-needs-string"),
        pytest.param({"a": None}, {"a": None}, True, id="null"),
    ],
)
def test_scenario_match_body_subset(pattern: object, value: object, expected: bool) -> None:
    assert body_matches(pattern, value) is expected


def test_scenario_match_methods_headers_and_query() -> None:
    match = rule_match(
        '{method: [get, POST], path: /v1/models, headers: {X-Stream-Format: ai-sdk}, query: {limit: {regex: "^[0-9]+$"}}}'
    )
    assert matches(match, view("GET", headers={"x-stream-format": "ai-sdk"}, query="limit=5"))
    assert not matches(match, view("DELETE", headers={"x-stream-format": "ai-sdk"}, query="limit=5"))
    assert not matches(match, view("GET", headers={"x-stream-format": "native"}, query="limit=5"))
    assert not matches(match, view("GET", headers={"x-stream-format": "ai-sdk"}, query="limit=all"))
    assert not matches(match, view("GET", headers={"x-stream-format": "ai-sdk"}))


def test_scenario_match_body_pattern_never_matches_unread_body() -> None:
    match = rule_match("{body: {stream: true}}")
    assert not matches(match, view("POST", "/v1/chats"))
    assert matches(match, view("POST", "/v1/chats", json={"stream": True}))


@pytest.mark.parametrize(
    ("when", "hits"),
    [
        pytest.param(When(calls=frozenset({2, 4})), [2, 4], id="calls"),
        pytest.param(When(times=2), [1, 2], id="times"),
        pytest.param(When(after=3), [4, 5, 6], id="after"),
        pytest.param(When(every=3), [3, 6], id="every"),
        pytest.param(When(after=1, every=2), [2, 4, 6], id="combined"),
        pytest.param(When(), [1, 2, 3, 4, 5, 6], id="always"),
    ],
)
def test_scenario_when_counts_matching_calls(when: When, hits: list[int]) -> None:
    rng = random.Random(0)
    assert [n for n in range(1, 7) if holds(when, n, "start", rng)] == hits


def test_scenario_when_state_must_be_current() -> None:
    rng = random.Random(0)
    assert holds(When(state="recovered"), 1, "recovered", rng)
    assert not holds(When(state="recovered"), 1, "start", rng)


def test_scenario_when_probability_is_seeded() -> None:
    draws = [[holds(When(probability=0.3), n, "s", rng) for n in range(50)] for rng in (random.Random(7), random.Random(7))]
    assert draws[0] == draws[1]
    assert 0 < sum(draws[0]) < 50


CHAIN = """
name: chain
rules:
  - name: first-fails
    match: {path: /v1/models}
    when: {calls: [1]}
    error: 500
  - name: second-fails
    match: {path: /v1/models}
    when: {calls: [2]}
    error: 502
    then: {set_state: broken}
  - name: broken
    match: {path: /v1/models}
    when: {state: broken}
    error: 503
"""


def test_scenario_runtime_counts_every_matching_rule_and_follows_states() -> None:
    runtime = ScenarioRuntime(0, [load_text(CHAIN)])
    labels = []
    for _ in range(4):
        decision = runtime.decide(view(), "org_a")
        labels.append(decision.rule.label if decision else None)
    assert labels == ["chain#first-fails", "chain#second-fails", "chain#broken", "chain#broken"]
    assert runtime.decide(view(path="/v1/chats"), "org_a") is None


def test_scenario_runtime_isolates_organisations() -> None:
    runtime = ScenarioRuntime(0, [load_text(CHAIN)])
    assert runtime.decide(view(), "org_a").rule.label == "chain#first-fails"  # type: ignore[union-attr]
    assert runtime.decide(view(), "org_b").rule.label == "chain#first-fails"  # type: ignore[union-attr]
    assert runtime.decide(view(), "org_a").rule.label == "chain#second-fails"  # type: ignore[union-attr]
    orgs = runtime.to_json()[0]["organizations"]
    assert orgs["org_a"] == {"state": "broken", "calls": {"chain#first-fails": 2, "chain#second-fails": 2, "chain#broken": 2}}
    assert orgs["org_b"]["state"] == "start"


def test_scenario_runtime_reset_keeps_startup_and_drops_runtime_scenarios() -> None:
    runtime = ScenarioRuntime(0, [load_text(CHAIN)])
    runtime.decide(view(), "org_a")
    runtime.activate(load_text("name: extra\nrules: []\n"))
    assert [a.scenario.name for a in runtime.active] == ["chain", "extra"]
    runtime.reset()
    assert [a.scenario.name for a in runtime.active] == ["chain"]
    assert runtime.active[0].orgs == {}
    assert runtime.decide(view(), "org_a").rule.label == "chain#first-fails"  # type: ignore[union-attr]


def test_scenario_runtime_org_scoped_activation_only_affects_that_org() -> None:
    runtime = ScenarioRuntime(0, [])
    runtime.activate(load_text("name: only\nrules:\n  - error: 500\n"), only_org="org_a")
    assert runtime.decide(view(), "org_a") is not None
    assert runtime.decide(view(), "org_b") is None
    assert not runtime.deactivate("only", "org_b")
    assert runtime.deactivate("only", "org_a") and runtime.active == []


def test_scenario_runtime_first_scenario_wins_but_all_count() -> None:
    runtime = ScenarioRuntime(0, [])
    runtime.activate(load_text("name: a\nrules:\n  - error: 500\n"))
    runtime.activate(load_text("name: b\nrules:\n  - when: {calls: [2]}\n    error: 502\n"))
    assert runtime.decide(view(), "o").rule.label == "a#0"  # type: ignore[union-attr]
    runtime.deactivate("a")
    assert runtime.decide(view(), "o").rule.label == "b#0"  # type: ignore[union-attr]  # b counted call 1 too


def test_scenario_runtime_activating_same_name_replaces_with_fresh_counters() -> None:
    runtime = ScenarioRuntime(0, [])
    runtime.activate(load_text(CHAIN))
    runtime.decide(view(), "o")
    runtime.activate(load_text(CHAIN))
    assert len(runtime.active) == 1
    assert runtime.decide(view(), "o").rule.label == "chain#first-fails"  # type: ignore[union-attr]
