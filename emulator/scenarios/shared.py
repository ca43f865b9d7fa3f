"""Scenario decisions when several processes serve one emulator (``--state redis://...``).

Each process keeps the active scenarios (the same start-up ``--scenario`` list on every replica); the
calls counted per rule and the state of each organisation live in the shared backend, one hash per
scenario activation, so ``calls: [3]`` fires once across all replicas. A ``probability`` draw comes
from a generator seeded with (scenario seed, organisation, rule, call number) instead of a
process-local sequence, so the outcome of the N-th call does not depend on which process served it.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .runtime import ActiveScenario, Decision, holds

if TYPE_CHECKING:
    from ..backend import StateBackend
    from .match import RequestView
    from .runtime import ScenarioRuntime


def shared_key(entry: ActiveScenario) -> str:
    """The backend hash of one activation: its calls and states for every organisation."""
    return f"scn:{entry.scenario.name}:{entry.only_org or '*'}"


def draw_rng(seed: int, org_key: str, rule_index: int, count: int) -> random.Random:
    """The generator for the ``count``-th matching call of a rule for one organisation."""
    return random.Random(f"{seed}:{org_key}:{rule_index}:{count}")


async def decide_shared(runtime: ScenarioRuntime, backend: StateBackend, request: RequestView, org_key: str) -> Decision | None:
    """:meth:`ScenarioRuntime.decide` with counters and states in ``backend`` (one round trip per
    matching scenario, one more when a rule changes the state). The local per-organisation view is
    updated too, so ``GET /_emulator/scenarios`` shows the latest shared counts this process saw."""
    decision: Decision | None = None
    state_field = f"{org_key}:state"
    for entry, hits in runtime.matching(request, org_key):
        key = shared_key(entry)
        counts, state = await backend.hash_incr(key, [f"{org_key}:{rule.index}" for rule in hits], state_field)
        org = entry.org(org_key)
        org.state = state if state is not None else entry.scenario.initial_state
        for rule, count in zip(hits, counts, strict=True):
            org.counts[rule.index] = count
        if decision is not None:
            continue
        for rule, count in zip(hits, counts, strict=True):
            rng = draw_rng(entry.seed, org_key, rule.index, count)
            if holds(rule.when, count, org.state, rng):
                if rule.set_state is not None:
                    org.state = rule.set_state
                    await backend.hash_set(key, state_field, rule.set_state)
                decision = Decision(rule, rng)
                break
    return decision
