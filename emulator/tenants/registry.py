"""The tenant registry of one app: mint an organisation as a copy of the baseline, reset one alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..auth.orgs import minted_organization
from ..domain.models import SYSTEM_ORG
from ..errors import NotFound

if TYPE_CHECKING:
    from ..store import Store

#: Organisation records live under ``(SYSTEM_ORG, ORG_KIND)``.
ORG_KIND = "organizations"


class Tenants:
    """Mints and resets organisations of a store against its fixture baseline.

    ``template`` is the fixture organisation a new tenant copies (the default token's organisation):
    its record (plan, credits, billing period, rate limits) and every collection it owns in the
    baseline (custom models, datasets, files, prompts, particles, ...), with the same ids. Lookups stay
    per organisation, so another tenant's id is still a 404.
    """

    def __init__(self, baseline: Store, store: Callable[[], Store], template: str) -> None:
        self.baseline = baseline
        self._store = store
        self.template = template
        self._reset_hooks: list[Callable[[str], None]] = []

    def on_reset(self, hook: Callable[[str], None]) -> None:
        """Run ``hook(org_id)`` whenever one organisation is reset (features forget its state there)."""
        self._reset_hooks.append(hook)

    def exists(self, org_id: str) -> bool:
        return self._store().get(SYSTEM_ORG, ORG_KIND, org_id) is not None

    def is_fixture(self, org_id: str) -> bool:
        return self.baseline.get(SYSTEM_ORG, ORG_KIND, org_id) is not None

    def create(self, org_id: str, now: float) -> bool:
        """Mint ``org_id`` as a copy of the template organisation; False (nothing done) when it exists.

        ``now`` dates the billing period of an organisation minted without a template (fixture sets
        that lack the default organisation).
        """
        store = self._store()
        if store.get(SYSTEM_ORG, ORG_KIND, org_id) is not None:
            return False
        record = self._record(org_id, now)
        log, store.log = store.log, None  # one conditional "mint" write instead of the insert and the copy
        try:
            store.insert(SYSTEM_ORG, ORG_KIND, org_id, record)
            store.copy_org(self.baseline, self.template, org_id)
        finally:
            store.log = log
        if log is not None:
            log.wrote(("m", SYSTEM_ORG, ORG_KIND, org_id, record))
        return True

    def apply_mint(self, store: Store, org_id: str, record: dict[str, Any]) -> None:
        """A logged mint replayed on ``store``: ``org_id`` as a copy of the template, unless it exists."""
        if store.get(SYSTEM_ORG, ORG_KIND, org_id) is None:
            store.insert(SYSTEM_ORG, ORG_KIND, org_id, record)
            store.copy_org(self.baseline, self.template, org_id)

    def reset(self, org_id: str, now: float) -> None:
        """Restore one organisation to the baseline (a fixture one to itself, a tenant to the template's
        copy) and let every feature forget its state for it; other organisations are untouched.

        Raises :class:`~emulator.errors.NotFound` for an organisation that does not exist.
        """
        store = self._store()
        if store.get(SYSTEM_ORG, ORG_KIND, org_id) is None:
            raise NotFound(f"Organization not found: {org_id}")
        store.drop_org(org_id)
        source = org_id if self.is_fixture(org_id) else self.template
        store.copy_org(self.baseline, source, org_id)
        store.replace(SYSTEM_ORG, ORG_KIND, org_id, self._record(org_id, now))
        for hook in self._reset_hooks:
            hook(org_id)

    def _record(self, org_id: str, now: float) -> dict[str, Any]:
        own = self.baseline.get(SYSTEM_ORG, ORG_KIND, org_id)
        if own is not None:
            return own
        template = self.baseline.get(SYSTEM_ORG, ORG_KIND, self.template)
        if template is None:
            return minted_organization(org_id, now)
        return {**template, "id": org_id, "tenantOf": self.template}
