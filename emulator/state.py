"""The one per-app state object: store, seeded RNG, clock, journal, fixtures. ``reset()`` restores it.

Nothing here is module-level: two apps in one process have two states.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .backend import StateBackend, open_backend
from .backend.memory import MemoryBackend
from .backend.shared_store import SharedStore
from .clock import Clock, ManualClock, SystemClock, hold_until_moved
from .config import Config
from .console.feed import JournalFeed
from .domain import billing
from .domain import chats as chats_domain
from .domain import datasets as datasets_domain
from .domain import models as models_domain
from .fixtures import FIXTURE_TIME, FixtureSet, load_fixtures
from .ids import IdKey, RequestNumbers
from .journal import Journal
from .lifecycle import Lifecycle, Lifecycles
from .principal import Principal
from .store import Store
from .strictness import Strictness
from .tenants import ORG_KIND, Tenants
from .tenants.clock import TenantClocks
from .tenants.settings import TenantSettings

if TYPE_CHECKING:
    from .routing import Route

__all__ = ["ORG_KIND", "STORE_CODECS", "EmulatorState", "build_baseline"]

#: Kinds the store keeps packed: those that grow with traffic or that test suites create in bulk (see
#: :mod:`emulator.compact`).
STORE_CODECS = MappingProxyType(
    {chats_domain.KIND: chats_domain.CHAT_LAYOUT, datasets_domain.KIND: datasets_domain.DATASET_LAYOUT}
)


def build_baseline(fixtures: FixtureSet, now: float) -> Store:
    """The store as fixtures describe it at ``now`` (each organisation's ``credits.used`` belongs to the
    billing period containing ``now``); every reset starts from a clone of this."""
    store = Store(STORE_CODECS)
    for org_id, org in fixtures.organizations.items():
        store.insert(models_domain.SYSTEM_ORG, ORG_KIND, org_id, org)
        store.insert(org_id, billing.KIND, billing.BALANCE_ID, billing.open_balance(org, billing.org_period(org, now).start))
    for entry in fixtures.catalog:
        store.insert(models_domain.SYSTEM_ORG, models_domain.KIND, entry["id"], models_domain.catalog_record(entry, FIXTURE_TIME))
    for entry in fixtures.models:
        parent = store.get(models_domain.SYSTEM_ORG, models_domain.KIND, entry["parentModelId"])
        assert parent is not None  # checked when the fixtures were loaded
        record = models_domain.custom_record(entry["id"], entry, parent, FIXTURE_TIME)
        store.insert(entry["organization"], models_domain.KIND, entry["id"], record)
    for entry in fixtures.datasets:
        record = datasets_domain.dataset_record(entry["id"], entry, FIXTURE_TIME)
        store.insert(entry["organization"], datasets_domain.KIND, entry["id"], record)
    return store


class EmulatorState:
    """Everything one emulator instance remembers between requests."""

    def __init__(
        self,
        config: Config,
        fixtures: FixtureSet | None = None,
        api_routes: Sequence[Route] = (),
        control_routes: Sequence[Route] = (),
    ) -> None:
        self.config = config
        if fixtures is None:
            fixtures = load_fixtures(config.fixtures_dir, config.seed, bundled=config.bundled_fixtures)
        self.fixtures = fixtures
        self.clock: Clock = ManualClock(config.clock_start) if config.clock == "manual" else SystemClock()
        self.secret = hashlib.sha256(f"cuadra-emulator:{config.seed}".encode()).digest()
        #: Key of the ids' hash (emulator/ids.py), derived from the seed like ``secret``.
        self.id_key = IdKey(hashlib.sha256(f"cuadra-emulator-ids:{config.seed}".encode()).digest())
        #: Per-organisation request numbers the ids derive from (memory mode).
        self.request_numbers = RequestNumbers()
        self.baseline = build_baseline(self.fixtures, self.clock.now())
        self.journal = Journal(config.journal_size)
        #: Open web consoles the journal pushes to (see emulator/console/feed.py).
        self.feed = JournalFeed()
        self.strictness = Strictness(config.strict_requests)
        self.tokens: dict[str, Principal] = {}
        for token, entry in self.fixtures.tokens.items():
            user = self.fixtures.users[entry["user"]]
            self.tokens[token] = Principal(user["id"], user["organization"], frozenset(entry["scopes"]))
        #: Unexpected exceptions raised while serving (the pytest plugin re-raises them in the test).
        self.server_errors: list[BaseException] = []
        self._reset_hooks: list[Callable[[], None]] = []
        #: Rate-limit windows, Idempotency-Keys and counters: in this process or shared (Redis).
        self.backend: StateBackend = open_backend(config)
        #: With a shared backend: the per-tenant write logs this process's store is a view of.
        self.shared_store: SharedStore | None = SharedStore(self, self.backend) if self.backend.shared else None
        self.store = self.fresh_store()
        self.rng = random.Random(config.seed)
        self.lifecycles = Lifecycles.parse(config.file_processing, config.connection_activation, config.sync_processing)
        # Each feature's own state, typed; imported here because these modules import this one.
        from .auth.runtime import AuthRuntime
        from .openapi import DocumentCache
        from .scenarios.install import startup_runtime
        from .settings_sync import SettingsSync

        #: Organisations minted as copies of the baseline, each resettable on its own.
        self.tenants = Tenants(self.baseline, lambda: self.store, self.default_principal().org_id)
        #: Per-organisation offsets over ``clock`` (``POST /_emulator/clock {"org": ...}``).
        # a tenant's (non-fixture organisation's) paced streams and skipped waits move its own time only
        self.clocks = TenantClocks(self.clock, private=lambda org_id: not self.tenants.is_fixture(org_id))
        #: Per-organisation overrides (rate limits, file processing, clock mode) set by the control plane.
        self.tenant_settings: dict[str, TenantSettings] = {}
        #: Shares the clock, strict mode and tenant settings with the other processes (shared backend).
        self.settings_sync = SettingsSync(self)
        #: Signing key, verified-JWT cache, minted callers.
        self.auth = AuthRuntime(self)
        #: Active scenarios (a bad start-up scenario raises :class:`~emulator.yamlsource.SourceError`).
        self.scenarios = startup_runtime(config)
        #: The task polling scenario files (``--watch``) once the server's lifespan started it.
        self.scenario_watch: asyncio.Future[None] | None = None
        #: ``GET /openapi.json``, built on first use.
        self.openapi = DocumentCache(api_routes, control_routes)
        # What a per-tenant reset forgets besides the store (POST /_emulator/reset {"org": ...}).
        self.tenants.on_reset(self.journal.forget_org)
        self.tenants.on_reset(self.request_numbers.forget)
        self.tenants.on_reset(self.clocks.forget)
        self.tenants.on_reset(self._forget_settings)
        self.tenants.on_reset(self.scenarios.reset_org)
        self.tenants.on_reset(self.strictness.reset)

    def fresh_store(self) -> Store:
        """A live clone of the baseline, its writes reported to the shared logs when there are any."""
        store = self.baseline.clone()
        if self.shared_store is not None:
            self.shared_store.attach(store)
        return store

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` on every :meth:`reset` (features register their own state here)."""
        self._reset_hooks.append(hook)

    def reset(self) -> None:
        """Back to the fixtures: store, RNG, journal, clock and every feature's state."""
        self.store = self.fresh_store()
        self.rng = random.Random(self.config.seed)
        self.request_numbers.clear()
        self.journal.clear()
        self.strictness.reset()
        self.server_errors.clear()
        if isinstance(self.clock, ManualClock):
            self.clock.reset()
        self.clocks.clear()
        self.tenant_settings.clear()
        if isinstance(self.backend, MemoryBackend):
            self.backend.clear()  # a shared backend is reset by the control plane (it needs to await)
        self.auth.reset()
        self.scenarios.reset()
        for hook in self._reset_hooks:
            hook()

    async def wait(self, clock: Clock, seconds: float) -> None:
        """A scripted wait of ``seconds`` on ``clock``: real time on the system clock; on a manual clock
        held until the clock is moved past it (``manual_waits="hold"``) or skipped at once ("skip")."""
        if seconds <= 0:
            return
        base = getattr(clock, "base", clock)  # a tenant's clock runs on the server's or on system time
        if isinstance(base, ManualClock) and self.config.manual_waits == "hold":
            await hold_until_moved(clock, seconds)
        else:
            await clock.sleep(seconds)
            if isinstance(base, ManualClock):
                await self.settings_sync.publish_clock(clock)  # a skipped wait moved a shared clock

    def _forget_settings(self, org_id: str) -> None:
        self.tenant_settings.pop(org_id, None)

    def file_lifecycle(self, org_id: str | None) -> Lifecycle:
        """How uploaded files of ``org_id`` become ready (its own setting, else the server's)."""
        own = self.tenant_settings.get(org_id) if org_id is not None else None
        return own.file_processing if own is not None and own.file_processing is not None else self.lifecycles.files

    def clock_for(self, org_id: str | None) -> Clock:
        """The clock an organisation's requests read (the server clock plus its offset)."""
        return self.clocks.of(org_id)

    def default_principal(self) -> Principal:
        """The caller used when auth is off: the first fixture token's user, with every scope."""
        first = next(iter(self.tokens.values()), None)
        if first is None:
            return Principal("member_default", "org_default", frozenset({"*"}))
        return Principal(first.user_id, first.org_id, frozenset({"*"}))

    def organization(self, org_id: str) -> dict[str, Any]:
        """The organisation record (fixture or minted); an unknown id yields an empty default."""
        return self.store.get(models_domain.SYSTEM_ORG, ORG_KIND, org_id) or {"id": org_id, "name": org_id}
