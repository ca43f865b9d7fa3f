"""Schema-valid scenario data -> typed :class:`~.model.Scenario`, with the semantic checks a schema
cannot express (durations, regexes, states, action combinations). Errors name file, line and key."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ..yamlsource import Located
from .match import compile_path
from .model import (
    ACTION_KEYS,
    Action,
    DelayAction,
    ErrorAction,
    FaultAction,
    Match,
    Regex,
    ReplyAction,
    RespondAction,
    Rule,
    Scenario,
    StreamAction,
    When,
)
from .routecheck import unmatched_path

KeyPath = tuple[str | int, ...]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$")
_STREAM_DURATIONS = ("first_token_delay", "token_interval")
MAX_DURATION = 7 * 24 * 3600.0  # a week of (virtual) time is more than any test needs
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e\x80-\xff]*$")  # latin-1 text without CR, LF or other controls
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"})


def parse_duration(value: Any) -> float:
    """``800ms`` / ``1.5s`` / a plain number of seconds -> seconds; raises ValueError otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0 or not math.isfinite(value):
            raise ValueError(value)
        return float(value)
    found = _DURATION.match(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(value)
    number = float(found.group(1))
    seconds = number / 1000 if found.group(2) == "ms" else number
    if not math.isfinite(seconds):
        raise ValueError(value)
    return seconds


class _Compiler:
    def __init__(self, located: Located) -> None:
        self.located = located

    def fail(self, path: KeyPath, message: str) -> Exception:
        return self.located.error(path, message)

    def duration(self, value: Any, path: KeyPath) -> float:
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise self.fail(
                path, f"invalid duration {value!r}: use seconds (1.5) or a string such as '800ms' or '1.5s'"
            ) from None
        if seconds > MAX_DURATION:
            raise self.fail(path, f"duration {value!r} is longer than a week ({MAX_DURATION:g} s)")
        return seconds

    def regex(self, text: str, path: KeyPath) -> Regex:
        try:
            return Regex(re.compile(text))
        except re.error as exc:
            raise self.fail(path, f"invalid regex {text!r}: {exc}") from None

    def text(self, value: Any, path: KeyPath) -> str | Regex:
        if isinstance(value, dict):
            return self.regex(value["regex"], path + ("regex",))
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def body(self, value: Any, path: KeyPath) -> Any:
        if isinstance(value, dict):
            if set(value) == {"regex"} and isinstance(value["regex"], str):
                return self.regex(value["regex"], path + ("regex",))
            return {key: self.body(sub, path + (key,)) for key, sub in value.items()}
        if isinstance(value, list):
            return [self.body(sub, path + (i,)) for i, sub in enumerate(value)]
        return value

    def match(self, data: dict[str, Any], path: KeyPath) -> Match:
        methods = data.get("method")
        if isinstance(methods, str):
            methods = [methods]
        raw_path = data.get("path")
        compiled_path = None
        if isinstance(raw_path, dict):
            compiled_path = self.regex(raw_path["regex"], path + ("path", "regex")).pattern
        elif isinstance(raw_path, str) and raw_path.startswith("regex:"):
            compiled_path = self.regex(raw_path[len("regex:") :], path + ("path",)).pattern
        elif isinstance(raw_path, str):
            if not raw_path.startswith("/"):
                raise self.fail(path + ("path",), f"path {raw_path!r} must start with '/' (or use 'regex:...')")
            problem = unmatched_path(raw_path)
            if problem is not None:
                raise self.fail(path + ("path",), f"{problem} (a rule on it would never act; use 'regex:...' on purpose)")
            compiled_path = compile_path(raw_path)
        return Match(
            methods=frozenset(m.upper() for m in methods) if methods else None,
            path=compiled_path,
            headers=tuple((k.lower(), self.text(v, path + ("headers", k))) for k, v in data.get("headers", {}).items()),
            query=tuple((k, self.text(v, path + ("query", k))) for k, v in data.get("query", {}).items()),
            body=self.body(data["body"], path + ("body",)) if "body" in data else None,
            has_body="body" in data,
        )

    def when(self, data: dict[str, Any]) -> When:
        calls = data.get("calls")
        return When(
            calls=frozenset(calls) if calls else None,
            times=data.get("times"),
            after=data.get("after"),
            every=data.get("every"),
            probability=data.get("probability"),
            state=data.get("state"),
        )

    def headers(self, data: dict[str, Any] | None, path: KeyPath) -> tuple[tuple[str, str], ...]:
        """Response headers a rule sends: valid HTTP names and values, no framing headers."""
        out = []
        for name, raw in (data or {}).items():
            value = str(raw)
            where = path + ("headers", name)
            if not _HEADER_NAME.match(name):
                raise self.fail(where, f"{name!r} is not a valid HTTP header name")
            if name.lower() in _FRAMING_HEADERS:
                raise self.fail(where, f"{name} is set by the server from the body; a scenario cannot set it")
            if not _HEADER_VALUE.match(value) or not _latin1(value):
                raise self.fail(where, "header values must be single-line latin-1 text (no CR/LF)")
            out.append((name, value))
        return tuple(out)

    def action(self, key: str, value: Any, path: KeyPath) -> Action | DelayAction:
        if key == "error":
            spec: dict[str, Any] = {"status": value} if isinstance(value, int) else value
            statuses = spec["status"] if isinstance(spec["status"], list) else [spec["status"]]
            retry = spec.get("retry_after")
            return ErrorAction(
                tuple(statuses),
                spec.get("title"),
                spec.get("detail"),
                None if retry is None else math.ceil(self.duration(retry, path + ("retry_after",))),
                self.headers(spec.get("headers"), path),
            )
        if key == "respond":
            kinds = [k for k in ("body", "problem", "merge") if k in value]
            if len(kinds) > 1:
                raise self.fail(path + (kinds[1],), f"'{kinds[0]}' and '{kinds[1]}' cannot be combined in respond")
            if "merge" in value and "status" in value:
                raise self.fail(path + ("status",), "'merge' keeps the normal status; remove 'status'")
            status = value.get("status", 200)
            if status in (204, 304) and ("body" in value or "problem" in value):
                raise self.fail(path + ("status",), f"a {status} response has no body; remove 'body'/'problem'")
            content_type = value.get("content_type")
            if content_type is not None and (not _HEADER_VALUE.match(content_type) or not _latin1(content_type)):
                raise self.fail(path + ("content_type",), "must be single-line latin-1 text (no CR/LF)")
            return RespondAction(
                status,
                self.headers(value.get("headers"), path),
                value.get("body"),
                "body" in value,
                content_type,
                value.get("problem"),
                value.get("merge"),
            )
        if key == "delay":
            timing: dict[str, Any] = value if isinstance(value, dict) else {"duration": value}
            seconds = self.duration(timing["duration"], path + (("duration",) if isinstance(value, dict) else ()))
            return DelayAction(seconds, bool(timing.get("after_handling", False)))
        if key == "reply":
            calls = tuple({"name": c["name"], "arguments": c.get("arguments", {})} for c in value.get("tool_calls", []))
            if "content" not in value and not calls:
                raise self.fail(path, "reply needs 'content' or 'tool_calls'")
            return ReplyAction(value.get("content", ""), calls)
        if key == "stream":
            options = dict(value)
            for name in _STREAM_DURATIONS:
                if name in options:
                    options[name] = self.duration(options[name], path + (name,))
            if ("error_code" in options or "error_message" in options) and "error_event_after" not in options:
                raise self.fail(path, "'error_code'/'error_message' need 'error_event_after'")
            self.check_plan(options, path)
            return StreamAction(options)
        return FaultAction(value)

    def check_plan(self, options: dict[str, Any], path: KeyPath) -> None:
        """Let :class:`~emulator.chat.stream.StreamPlan` judge the combination (codes, one fault...)."""
        from ..chat.stream import StreamPlan

        try:
            StreamPlan(**options)
        except (ValueError, TypeError) as exc:
            key, _, message = str(exc).partition(": ")
            if key in options and message:
                raise self.fail(path + (key,), message) from None
            raise self.fail(path, str(exc)) from None

    def rule(self, scenario: str, index: int, data: dict[str, Any]) -> Rule:
        path: KeyPath = ("rules", index)
        present = [key for key in ACTION_KEYS if key in data]
        others = [key for key in present if key != "delay"]
        if len(others) > 1:
            raise self.fail(
                path + (others[1],),
                f"actions '{others[0]}' and '{others[1]}' cannot be combined (a rule may combine 'delay' with one other action)",
            )
        if not present and "then" not in data:
            raise self.fail(path, f"a rule needs an action (one of: {', '.join(ACTION_KEYS)}) or 'then'")
        delay = self.action("delay", data["delay"], path + ("delay",)) if "delay" in data else None
        assert delay is None or isinstance(delay, DelayAction)
        if delay is not None and delay.after_handling and others and others[0] in ("error", "respond", "fault"):
            raise self.fail(
                path + ("delay", "after_handling"), f"'after_handling' needs the normal handling that '{others[0]}' replaces"
            )
        action = self.action(others[0], data[others[0]], path + (others[0],)) if others else None
        assert not isinstance(action, DelayAction)
        label = f"{scenario}#{data.get('name', index)}"
        return Rule(
            index,
            label,
            self.match(data.get("match", {}), path + ("match",)),
            self.when(data.get("when", {})),
            action,
            delay,
            (data.get("then") or {}).get("set_state"),
        )

    def scenario(self, source: str, file: Path | None) -> Scenario:
        data = self.located.data
        name = data["name"]
        rules = tuple(self.rule(name, i, rule) for i, rule in enumerate(data["rules"]))
        initial = data.get("initial_state", "start")
        reachable = {initial} | {rule.set_state for rule in rules if rule.set_state}
        seen: set[str] = set()
        for rule in rules:
            if rule.when.state is not None and rule.when.state not in reachable:
                known = ", ".join(sorted(reachable))
                raise self.fail(
                    ("rules", rule.index, "when", "state"),
                    f"unknown state '{rule.when.state}': no rule sets it with 'then: {{set_state: ...}}' "
                    f"and it is not the initial state (known: {known})",
                )
            if rule.label in seen:
                raise self.fail(("rules", rule.index, "name"), f"duplicate rule name '{rule.label.split('#', 1)[1]}'")
            seen.add(rule.label)
        uses_state = any(rule.when.state or rule.set_state for rule in rules)
        description, seed = data.get("description", ""), data.get("seed")
        return Scenario(name, description, rules, seed, initial, source, file, uses_state, data.get("plan"))


def build(located: Located, source: str, file: Path | None = None) -> Scenario:
    """Compile schema-valid data; raises :class:`~emulator.yamlsource.SourceError` on semantic errors."""
    return _Compiler(located).scenario(source, file)


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
