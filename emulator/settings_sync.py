"""Run-time settings every worker and replica agrees on: the manual clock, each tenant's clock, strict
mode (server-wide and per tenant), the settings a tenant was minted with and the active scenarios.

A control call changes them in the process that receives it, with the same code as a single process;
then :meth:`SettingsSync.publish_server` / :meth:`~SettingsSync.publish_org` write the fields it
touched to the backend and announce the change. Every process listens from its start-up (a lifespan
hook) and applies what differs from what it applied last; the control call answers only once every
listener acknowledged (see :mod:`emulator.backend.redis_settings`). So a client that sends a request
after the control call returned sees the change on every replica, a held answer (``--manual-waits
hold``) on one replica is released by a clock move through another (its wait polls this process's
clock, which the listener moved), and API requests pay no round trip for any of it.

On the memory backend every method here returns at once: nothing else can change the settings.

The fields, as strings: ``clock`` (the manual clock's instant), ``strict`` (``1``/``0``; absent: the
configured default), and per organisation ``toff:<org>`` (its clock offset), ``tbase:<org>`` (what
its clock runs on: absent for the server clock, ``system``, or the instant of its own manual clock),
``strict:<org>`` and ``settings:<org>`` (JSON, as ``POST /_emulator/tenants`` answers them), and
``scenarios`` (the active scenarios in order, run-time ones with their YAML text).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from .clock import ManualClock, SystemClock
from .tenants.settings import parse_settings, settings_json

if TYPE_CHECKING:
    from .app import EmulatorApp
    from .scenarios.model import Scenario
    from .scenarios.runtime import Origin
    from .state import EmulatorState

logger = logging.getLogger("cuadra_emulator")
#: Longest wait (seconds) of a starting server for the settings other replicas already changed.
STARTUP_TIMEOUT = 5.0


def _flag(value: bool) -> str:
    return "1" if value else "0"


class SettingsSync:
    """Publishes this process's settings changes and applies the other processes' ones."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        #: The fields as this process last applied or wrote them.
        self.applied: dict[str, str] = {}
        self._listener: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None

    # ---- what this process changed -------------------------------------------------------------

    def server_fields(self) -> dict[str, str | None]:
        state = self.state
        strictness = state.strictness
        return {
            "clock": repr(state.clock.now()) if isinstance(state.clock, ManualClock) else None,
            "strict": None if strictness.server == strictness.default else _flag(strictness.server),
        }

    def org_fields(self, org: str) -> dict[str, str | None]:
        state = self.state
        clock = state.clocks.get(org)
        offset = base = None
        if clock is not None:
            offset = repr(clock.offset) if clock.offset else None
            if clock.base is not state.clock:
                base = "system" if isinstance(clock.base, SystemClock) else repr(clock.base.now())
        strict = state.strictness.orgs.get(org)
        settings = state.tenant_settings.get(org)
        return {
            f"toff:{org}": offset,
            f"tbase:{org}": base,
            f"strict:{org}": None if strict is None else _flag(strict),
            f"settings:{org}": None if settings is None else json.dumps(settings_json(settings), sort_keys=True),
        }

    async def publish(self, fields: Mapping[str, str | None]) -> None:
        """Write ``fields`` (None: back to the default) and wait until every other process applied them."""
        backend = self.state.backend
        if not backend.shared:
            return
        await backend.settings_write(fields)
        for name, value in fields.items():
            if value is None:
                self.applied.pop(name, None)
            else:
                self.applied[name] = value
        await backend.settings_announce()

    def scenarios_field(self) -> str:
        """The active scenarios in order: start-up ones by name, run-time ones with their YAML."""
        items: list[dict[str, object]] = []
        for entry in self.state.scenarios.active:
            scenario = entry.scenario
            if entry.origin == "startup":
                items.append({"startup": scenario.name, "org": entry.only_org})
            else:
                items.append({"text": scenario.text, "source": scenario.source, "seed": entry.seed, "org": entry.only_org})
        return json.dumps(items)

    async def publish_scenarios(self) -> None:
        """Share the list of active scenarios (after an activation or deactivation)."""
        if self.state.backend.shared:
            await self.publish({"scenarios": self.scenarios_field()})

    async def publish_server(self) -> None:
        """Share the server clock's instant and the server-wide strict mode."""
        await self.publish(self.server_fields())

    async def publish_org(self, org: str, *, reset: bool = False) -> None:
        """Share one organisation's clock, strict mode and settings (all defaults after its ``reset``,
        which also drops the organisation's own scenario activations: the active scenarios go too)."""
        if self.state.backend.shared:
            fields = self.org_fields(org)
            await self.publish(fields | {"scenarios": self.scenarios_field()} if reset else fields)

    async def publish_clock(self, clock: object) -> None:
        """After a skipped wait moved ``clock`` (the server's or a tenant's): share the server clock and,
        for a tenant's clock, that tenant's offset."""
        if not self.state.backend.shared:
            return
        org = self.state.clocks.org_of(clock)
        await self.publish(self.server_fields() | (self.org_fields(org) if org is not None else {}))

    async def announce_reset(self) -> None:
        """After a full reset (the backend forgot every field): every process back to the defaults."""
        self.applied.clear()
        if self.state.backend.shared:
            await self.state.backend.settings_announce()

    # ---- what another process changed ---------------------------------------------------------

    def apply(self, fields: dict[str, str]) -> None:
        """Bring this process to ``fields``, touching only what changed since the last apply (a field
        this process never saw move keeps its local value)."""
        changed = {name for name in fields.keys() | self.applied.keys() if fields.get(name) != self.applied.get(name)}
        self.applied = dict(fields)
        clock_orgs: set[str] = set()
        for name in sorted(changed):
            kind, _, org = name.partition(":")
            value = fields.get(name)
            try:
                if kind in ("toff", "tbase"):
                    clock_orgs.add(org)
                else:
                    self._apply_field(kind, org, value)
            except Exception:  # e.g. a field another version wrote: log it, never stop the listener
                logger.exception("ignoring the shared setting %s=%r", name, value)
        for org in clock_orgs:
            self._apply_clock(org, fields.get(f"toff:{org}"), fields.get(f"tbase:{org}"))
        if self._ready is not None:
            self._ready.set()

    def _apply_field(self, kind: str, org: str, value: str | None) -> None:
        state = self.state
        strictness = state.strictness
        if kind == "clock" and isinstance(state.clock, ManualClock):
            if value is None:
                state.clock.reset()
            else:
                state.clock.set(float(value))
        elif kind == "strict" and not org:
            strictness.server = strictness.default if value is None else value == "1"
        elif kind == "strict" and value is None:
            strictness.reset(org)
        elif kind == "strict":
            strictness.set(value == "1", org)
        elif kind == "settings" and value is None:
            state.tenant_settings.pop(org, None)
        elif kind == "settings" and value is not None:
            state.tenant_settings[org] = parse_settings(json.loads(value), "on")
        elif kind == "scenarios":
            self._apply_scenarios(value)

    def _apply_scenarios(self, value: str | None) -> None:
        from .scenarios.loader import load_text

        runtime = self.state.scenarios
        if value is None:
            runtime.reset()
            return
        entries: list[tuple[Scenario, Origin, str | None]] = []
        for item in json.loads(value):
            if "startup" in item:
                found = runtime.startup(item["startup"])
                if found is not None:  # every replica should start with the same scenarios
                    entries.append((found, "startup", item["org"]))
            else:
                entries.append((replace(load_text(item["text"], item["source"]), seed=item["seed"]), "runtime", item["org"]))
        runtime.restore(entries)

    def _apply_clock(self, org: str, offset: str | None, base: str | None) -> None:
        clocks = self.state.clocks
        if clocks.get(org) is None and offset is None and base is None:
            return
        clock = clocks.own(org)  # moved in place: a wait holding this clock sees the move
        if base is None:
            clock.base = self.state.clock
        elif base == "system":
            if not isinstance(clock.base, SystemClock) or clock.base is self.state.clock:
                clock.base = SystemClock()
        elif not isinstance(clock.base, ManualClock) or clock.base is self.state.clock or clock.base.now() != float(base):
            clock.base = ManualClock(float(base))
        clock.offset = 0.0 if offset is None else float(offset)

    # ---- the listener's life ------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening (a lifespan hook) and wait, boundedly, for the settings as they are now."""
        backend = self.state.backend
        if not backend.shared or self._listener is not None:
            return
        self._ready = asyncio.Event()
        self._listener = asyncio.ensure_future(backend.settings_listen(self.apply))
        try:
            await asyncio.wait_for(self._ready.wait(), STARTUP_TIMEOUT)
        except TimeoutError:
            logger.warning("the shared settings were not read within %ss; starting with the defaults", STARTUP_TIMEOUT)

    async def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)


def install(app: EmulatorApp) -> None:
    """Listen for the other processes' changes while the server runs (a shared backend only)."""
    sync = app.state.settings_sync
    app.startup_hooks.append(sync.start)
    app.shutdown_hooks.insert(0, sync.stop)
    app.state.on_reset(sync.applied.clear)
