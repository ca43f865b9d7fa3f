"""The typed form of a scenario: what the loader builds and the runtime executes (immutable)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

FaultKind = Literal["reset", "close", "garbage"]
ActionKind = Literal["error", "respond", "delay", "reply", "stream", "fault"]
ACTION_KEYS: tuple[ActionKind, ...] = ("error", "respond", "delay", "reply", "stream", "fault")


@dataclass(frozen=True)
class Regex:
    """A ``{regex: ...}`` leaf: matches a string by :func:`re.search`."""

    pattern: re.Pattern[str]


#: A compiled ``body`` pattern: dicts/lists of patterns, :class:`Regex` leaves or plain JSON values.
BodyPattern = Any


@dataclass(frozen=True)
class Match:
    """Which requests a rule looks at; ``None`` fields match anything."""

    methods: frozenset[str] | None = None
    path: re.Pattern[str] | None = None  # anchored; templates become named groups
    headers: tuple[tuple[str, str | Regex], ...] = ()  # lower-cased names
    query: tuple[tuple[str, str | Regex], ...] = ()
    body: BodyPattern = None
    has_body: bool = False


@dataclass(frozen=True)
class When:
    """Conditions on the rule's call counter, the scenario state and chance (all must hold)."""

    calls: frozenset[int] | None = None
    times: int | None = None
    after: int | None = None
    every: int | None = None
    probability: float | None = None
    state: str | None = None


@dataclass(frozen=True)
class ErrorAction:
    statuses: tuple[int, ...]  # several: one is picked with the scenario's seeded RNG
    title: str | None = None
    detail: str | None = None
    retry_after: int | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RespondAction:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None
    has_body: bool = False
    content_type: str | None = None
    problem: dict[str, Any] | None = None
    merge: dict[str, Any] | None = None


@dataclass(frozen=True)
class DelayAction:
    seconds: float
    after_handling: bool = False


@dataclass(frozen=True)
class ReplyAction:
    content: str
    tool_calls: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class StreamAction:
    options: dict[str, Any]  # StreamPlan field -> value (durations already in seconds)


@dataclass(frozen=True)
class FaultAction:
    kind: FaultKind


Action = ErrorAction | RespondAction | ReplyAction | StreamAction | FaultAction


@dataclass(frozen=True)
class Rule:
    """One rule: ``match`` + ``when`` select the call, then at most a delay and one action run."""

    index: int
    label: str  # "<scenario>#<name or index>", recorded in the journal
    match: Match
    when: When
    action: Action | None = None
    delay: DelayAction | None = None
    set_state: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file."""

    name: str
    description: str
    rules: tuple[Rule, ...]
    seed: int | None = None
    initial_state: str = "start"
    source: str = "<upload>"
    path: Path | None = None  # set when loaded from a file (``--watch`` reloads it)
    uses_state: bool = field(default=False)
    plan: str | None = None  # plan tier of the organisations the scenario acts for, while active
    #: The YAML it was loaded from (a shared backend hands run-time activations to the other processes).
    text: str = field(default="", compare=False, repr=False)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description (control plane, ``cuadra-emulator scenarios``)."""
        return {
            "name": self.name,
            "description": self.description,
            "rules": len(self.rules),
            "seed": self.seed,
            "initialState": self.initial_state,
            "plan": self.plan,
            "source": self.source,
        }
