"""Scenario loading: valid files compile to typed rules; every malformed file is rejected with a
message naming the file, the line and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.resources import bundled_dir
from emulator.scenarios import load_file, load_text, parse_duration
from emulator.scenarios.model import DelayAction, ErrorAction, StreamAction
from emulator.yamlsource import SourceError

HEAD = "name: bad\nrules:\n"

MALFORMED = [
    pytest.param("name: bad\n  rules: []\n", 2, "", "invalid YAML", id="yaml-syntax"),
    pytest.param("name: bad\nrules: []\ncolour: red\n", 3, "colour", "unknown key 'colour'", id="unknown-top-key"),
    pytest.param("description: no name\nrules: []\n", 1, "", "missing required key 'name'", id="missing-name"),
    pytest.param("name: bad\nrules: {}\n", 2, "rules", "expected array", id="rules-not-a-list"),
    pytest.param(
        HEAD + "  - match: {path: /v1/models}\n    error: 500\n    explode: true\n",
        5,
        "rules[0].explode",
        "unknown key 'explode'",
        id="unknown-rule-key",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/models, verb: GET}\n    error: 500\n",
        3,
        "rules[0].match.verb",
        "unknown key 'verb'",
        id="unknown-match-key",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/models}\n    when: {times: three}\n    error: 500\n",
        4,
        "rules[0].when.times",
        "expected integer",
        id="wrong-type-times",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/models}\n    when: {probability: 1.5}\n    error: 500\n",
        4,
        "rules[0].when.probability",
        "maximum",
        id="probability-over-one",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/models}\n    when: {state: recovered}\n    error: 500\n",
        4,
        "rules[0].when.state",
        "unknown state 'recovered'",
        id="unknown-state",
    ),
    pytest.param(
        HEAD + '  - match: {path: "regex:^/v1/(models"}\n    error: 500\n',
        3,
        "rules[0].match.path",
        "invalid regex",
        id="bad-path-regex",
    ),
    pytest.param(
        HEAD + '  - match:\n      body:\n        messages: [{content: {regex: "[a-"}}]\n    error: 500\n',
        5,
        "rules[0].match.body.messages[0].content.regex",
        "invalid regex",
        id="bad-body-regex",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/models}\n    delay: 3 sec\n",
        4,
        "rules[0].delay",
        "invalid duration '3 sec'",
        id="bad-duration",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/chats}\n    stream: {first_token_delay: soon}\n",
        4,
        "rules[0].stream.first_token_delay",
        "invalid duration 'soon'",
        id="bad-stream-duration",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/models}\n    error: 500\n    respond: {status: 200}\n",
        5,
        "rules[0].respond",
        "cannot be combined",
        id="two-actions",
    ),
    pytest.param(HEAD + "  - match: {path: /v1/models}\n", 3, "rules[0]", "a rule needs an action", id="no-action"),
    pytest.param(
        HEAD + "  - match: {path: /v1/models}\n    fault: explode\n",
        4,
        "rules[0].fault",
        "'explode' is not one of: reset, close, garbage",
        id="unknown-fault",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/models}\n    error: {status: 200}\n",
        4,
        "rules[0].error.status",
        "less than the minimum of 400",
        id="error-status-not-an-error",
    ),
    pytest.param(
        HEAD + "  - match: {path: v1/models}\n    error: 500\n",
        3,
        "rules[0].match.path",
        "must start with '/'",
        id="relative-path",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/chats}\n    stream: {error_event_after: 2, error_code: oops}\n",
        4,
        "rules[0].stream.error_code",
        "unknown code 'oops'",
        id="unknown-in-band-code",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/chats}\n    stream: {cut_after: 2, stall_after: 1}\n",
        4,
        "rules[0].stream",
        "",
        id="two-stream-faults",
    ),
    pytest.param(
        HEAD + "  - match: {path: /v1/models}\n    error: 500\n    delay: {duration: 1s, after_handling: true}\n",
        5,
        "rules[0].delay.after_handling",
        "needs the normal handling",
        id="hold-without-handling",
    ),
    pytest.param(
        HEAD + "  - name: a\n    error: 500\n  - name: a\n    error: 502\n",
        5,
        "rules[1].name",
        "duplicate rule name 'a'",
        id="duplicate-rule-name",
    ),
    pytest.param("name: bad\nname: again\nrules: []\n", 2, "name", "duplicate key", id="duplicate-key"),
    pytest.param(
        "name: bad\nrules:\n  - match: {path: /v1/models}\n    then: {set: x}\n",
        4,
        "rules[0].then.set",
        "unknown key 'set' (allowed: set_state)",
        id="then-without-set-state",
    ),
    pytest.param("- just\n- a list\n", None, "", "must be a mapping", id="not-a-mapping"),
]


@pytest.mark.parametrize(("text", "line", "key", "message"), MALFORMED)
def test_scenario_loader_rejects_malformed_file(tmp_path: Path, text: str, line: int | None, key: str, message: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(SourceError) as caught:
        load_file(path)
    error = caught.value
    text_of_error = str(error)
    assert error.filename == str(path) and text_of_error.startswith(str(path))
    if line is not None:
        assert error.line == line, text_of_error
        assert f"{path}:{line}:" in text_of_error
    if key:
        assert f": {key}:" in text_of_error, text_of_error
    assert message in text_of_error


def test_scenario_loader_unreadable_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="missing.yaml: cannot read scenario file"):
        load_file(tmp_path / "missing.yaml")


def test_scenario_loader_compiles_the_issue_example() -> None:
    text = """
name: flaky-chat
description: Third chat call is rate limited.
seed: 42
rules:
  - match: {method: POST, path: /v1/chats}
    when: {calls: [3]}
    error: {status: 429, retry_after: 2}
  - match: {method: POST, path: /v1/chats, body: {stream: true}}
    stream: {first_token_delay: 1.5s, token_interval: 20ms, cut_after: 5}
  - match: {path: /v1/models}
    delay: 800ms
  - match: {method: POST, path: /v1/chats, body: {messages: [{content: {regex: weather}}]}}
    reply: {content: "Sunny, 21 °C.", tool_calls: [{name: get_weather, arguments: {city: Paris}}]}
  - match: {method: GET, path: "/v1/files/{id}"}
    respond: {status: 503, headers: {Retry-After: "1"}, problem: {title: Service Unavailable, detail: Maintenance}}
    then: {set_state: recovered}
"""
    scenario = load_text(text, "example.yaml")
    assert scenario.name == "flaky-chat" and scenario.seed == 42 and len(scenario.rules) == 5
    first, second, third = scenario.rules[:3]
    assert isinstance(first.action, ErrorAction) and first.action.retry_after == 2
    assert first.when.calls == frozenset({3}) and first.label == "flaky-chat#0"
    assert isinstance(second.action, StreamAction)
    assert second.action.options == {"first_token_delay": 1.5, "token_interval": 0.02, "cut_after": 5}
    assert third.action is None and third.delay == DelayAction(0.8)
    assert scenario.rules[4].set_state == "recovered"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("800ms", 0.8, id="ms"),
        pytest.param("1.5s", 1.5, id="s"),
        pytest.param(2, 2.0, id="int"),
        pytest.param(0.25, 0.25, id="float"),
        pytest.param(" 10 s ", 10.0, id="spaces"),
    ],
)
def test_scenario_duration_parses_units(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["1.5 sec", "-1s", "ms", "", True, -3, "1h"])
def test_scenario_duration_rejects_garbage(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_scenario_bundled_files_all_load() -> None:
    files = sorted(bundled_dir("scenarios").glob("*.yaml"))
    names = {load_file(path).name for path in files}
    assert names == {
        "happy-path",
        "rate-limited",
        "flaky-5xx",
        "slow-first-token",
        "stream-cut",
        "stream-stall",
        "in-band-error",
        "expired-token",
        "insufficient-credits",
        "file-processing-failure",
        "idempotent-retry",
        "maintenance",
    }
    assert all(load_file(path).name == path.stem for path in files)


@pytest.mark.parametrize(
    ("path", "closest"),
    [
        pytest.param("/v1/chat", "/v1/chats", id="missing-s"),
        pytest.param("/v1/modls/{id}", "/v1/models/{model_id}", id="typo-template"),
    ],
)
def test_scenario_loader_path_matching_no_route_names_the_closest(path: str, closest: str) -> None:
    from emulator.scenarios.loader import load_text
    from emulator.yamlsource import SourceError

    text = f"name: typo\nrules:\n  - match: {{method: POST, path: '{path}'}}\n    error: {{status: 500}}\n"
    with pytest.raises(SourceError) as caught:
        load_text(text, "typo.yaml")
    assert caught.value.line == 3 and "matches no API route" in str(caught.value) and closest in str(caught.value)


@pytest.mark.parametrize("path", ["/v1/chats", "/v1/chats/{id}", "/v1/chats/chat_123", "regex:^/v1/nowhere$"])
def test_scenario_loader_paths_of_real_routes_load(path: str) -> None:
    from emulator.scenarios.loader import load_text

    text = f"name: fine\nrules:\n  - match: {{path: '{path}'}}\n    error: {{status: 500}}\n"
    assert load_text(text, "fine.yaml").rules[0].match.path is not None
