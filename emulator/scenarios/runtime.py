"""The scenario runtime of one app: active scenarios, and per-organisation counters, states and RNGs.

Decisions are plain functions of (rule, counter, state, rng): no HTTP here. Counters and states are
kept per organisation (the caller's ``org_id``; unauthenticated calls share :data:`ANONYMOUS`) so that
parallel tests using different tokens do not disturb each other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .match import RequestView, matches, matches_without_body
from .model import Rule, Scenario, When

ANONYMOUS = "_anonymous"
Origin = Literal["startup", "runtime"]


@dataclass
class OrgState:
    """One organisation's view of one scenario."""

    state: str
    counts: list[int]
    rng: random.Random


def holds(when: When, count: int, state: str, rng: random.Random) -> bool:
    """Whether ``when`` holds for the ``count``-th matching call (1-based) in ``state``.

    All conditions must hold; ``probability`` draws from ``rng`` only when everything else holds, so
    the draws (and thus the outcome) depend only on the seed and the sequence of calls.
    """
    if when.state is not None and state != when.state:
        return False
    if when.calls is not None and count not in when.calls:
        return False
    if when.times is not None and count > when.times:
        return False
    if when.after is not None and count <= when.after:
        return False
    if when.every is not None and count % when.every:
        return False
    if when.probability is not None:
        return rng.random() < when.probability
    return True


@dataclass
class ActiveScenario:
    """A scenario switched on, with its per-organisation state."""

    scenario: Scenario
    origin: Origin
    seed: int
    only_org: str | None = None  # activated for one organisation only (parallel tests)
    orgs: dict[str, OrgState] = field(default_factory=dict)

    def org(self, key: str) -> OrgState:
        found = self.orgs.get(key)
        if found is None:
            found = self.orgs[key] = OrgState(
                self.scenario.initial_state, [0] * len(self.scenario.rules), random.Random(self.seed)
            )
        return found

    def to_json(self) -> dict[str, Any]:
        organizations = {
            key: {"state": org.state, "calls": {rule.label: org.counts[rule.index] for rule in self.scenario.rules}}
            for key, org in sorted(self.orgs.items())
        }
        return {**self.scenario.summary(), "origin": self.origin, "org": self.only_org, "organizations": organizations}


@dataclass(frozen=True)
class Decision:
    """The rule that acts on a request and the organisation's RNG (for seeded choices)."""

    rule: Rule
    rng: random.Random


class ScenarioRuntime:
    """Active scenarios in activation order; the first acting rule of the first scenario wins."""

    def __init__(self, seed: int, startup: list[Scenario], dirs: list[Path] | None = None) -> None:
        self.seed = seed
        self.dirs = list(dirs or [])
        self._startup: dict[str, Scenario] = {}
        for scenario in startup:
            self._startup[scenario.name] = scenario
        self.active: list[ActiveScenario] = []
        self.reset()

    def _fresh(self, scenario: Scenario, origin: Origin, only_org: str | None = None) -> ActiveScenario:
        return ActiveScenario(scenario, origin, self.seed if scenario.seed is None else scenario.seed, only_org)

    def reset(self) -> None:
        """Start-up scenarios only, with fresh counters, states and RNGs (the ``/_emulator/reset`` hook)."""
        self.active = [self._fresh(s, "startup") for s in self._startup.values()]

    def startup(self, name: str) -> Scenario | None:
        """The start-up scenario called ``name``, if any."""
        return self._startup.get(name)

    def restore(self, entries: list[tuple[Scenario, Origin, str | None]]) -> None:
        """Make ``entries`` (scenario, origin, organisation) the active list, in that order, with fresh
        counters (another process's activations, applied by :mod:`emulator.settings_sync`)."""
        self.active = [self._fresh(scenario, origin, only_org) for scenario, origin, only_org in entries]

    def reset_org(self, org_id: str) -> None:
        """Forget one organisation: its own activations, and its counters, states and RNGs in the others."""
        self.active = [entry for entry in self.active if entry.only_org != org_id]
        for entry in self.active:
            entry.orgs.pop(org_id, None)

    def activate(self, scenario: Scenario, origin: Origin = "runtime", only_org: str | None = None) -> ActiveScenario:
        """Switch ``scenario`` on, for every organisation or ``only_org``; an active one of the same name
        (and organisation) is replaced and its counters start over."""
        entry = self._fresh(scenario, origin, only_org)
        active = list(self.active)
        for i, current in enumerate(active):
            if current.scenario.name == scenario.name and current.only_org == only_org:
                active[i] = entry
                break
        else:
            active.append(entry)
        self.active = active  # swap the list: a request in flight keeps iterating the old one
        return entry

    def reload(self, scenario: Scenario) -> bool:
        """Replace a changed file's scenario (``--watch``), keeping its origin; False when not active."""
        for current in self.active:
            if current.scenario.name == scenario.name:
                if current.origin == "startup":
                    self._startup[scenario.name] = scenario
                self.activate(scenario, current.origin, current.only_org)
                return True
        return False

    def deactivate(self, name: str, only_org: str | None = None) -> bool:
        """Switch ``name`` off (only its ``only_org`` activation when given); False when not active.
        Start-up scenarios come back on reset."""
        remaining = [a for a in self.active if a.scenario.name != name or (only_org is not None and a.only_org != only_org)]
        found = len(remaining) != len(self.active)
        self.active = remaining
        return found

    def needs_body(self, request: RequestView, org_key: str) -> bool:
        """Whether some rule with a body pattern matches the rest of ``request`` (read the body then)."""
        return any(
            rule.match.has_body and matches_without_body(rule.match, request)
            for entry in self.active
            if entry.only_org in (None, org_key)
            for rule in entry.scenario.rules
        )

    def matching(self, request: RequestView, org_key: str) -> list[tuple[ActiveScenario, list[Rule]]]:
        """The active scenarios that concern ``org_key`` with their rules matching ``request``, in order."""
        found = []
        for entry in self.active:
            if entry.only_org is not None and entry.only_org != org_key:
                continue
            hits = [rule for rule in entry.scenario.rules if matches(rule.match, request)]
            if hits:
                found.append((entry, hits))
        return found

    def decide(self, request: RequestView, org_key: str) -> Decision | None:
        """Count the call on every matching rule of every active scenario, then return the first rule
        whose ``when`` holds (applying its ``then``), or None for normal handling."""
        decision: Decision | None = None
        for entry, hits in self.matching(request, org_key):
            org = entry.org(org_key)
            for rule in hits:
                org.counts[rule.index] += 1
            if decision is not None:
                continue
            for rule in hits:
                if holds(rule.when, org.counts[rule.index], org.state, org.rng):
                    if rule.set_state is not None:
                        org.state = rule.set_state
                    decision = Decision(rule, org.rng)
                    break
        return decision

    def plan_for(self, org_key: str) -> str | None:
        """The plan tier the first active scenario with a ``plan`` puts ``org_key`` on (None: its own)."""
        for entry in self.active:
            if entry.scenario.plan is not None and entry.only_org in (None, org_key):
                return entry.scenario.plan
        return None

    def to_json(self) -> list[dict[str, Any]]:
        return [entry.to_json() for entry in self.active]
