"""Tenant URLs: ``/_tenant/{org}/v1/...`` serves the API as tenant ``org`` would see it.

A client pointed at such a base URL needs no change: fixture credentials (static tokens, OAuth
clients, ``--auth off``) whose organisation is the tenant template act in the tenant instead, and the
tenant is minted on first use. A JWT minted for another organisation keeps its own organisation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..principal import Principal

if TYPE_CHECKING:
    from ..state import EmulatorState

PREFIX = "/_tenant/"
_ORG = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def split_tenant(path: str) -> tuple[str | None, str]:
    """``(org, rest)`` of ``/_tenant/{org}/rest``; ``(None, path)`` for any other path.

    The control plane is not served under a tenant prefix (its calls name ``org`` explicitly), so such
    a path is left as it is and answers 404.
    """
    if not path.startswith(PREFIX):
        return None, path
    org, _, rest = path[len(PREFIX) :].partition("/")
    rest = "/" + rest
    if not _ORG.match(org) or rest.startswith("/_emulator"):
        return None, path
    return org, rest


def tenant_org(state: EmulatorState, org_id: str, tenant: str | None) -> str:
    """The organisation a fixture credential of ``org_id`` acts in on ``tenant``'s URL (minted if new)."""
    if tenant is None or org_id != state.tenants.template:
        return org_id
    state.tenants.create(tenant, state.clock_for(tenant).now())
    return tenant


def in_tenant(state: EmulatorState, principal: Principal, tenant: str) -> Principal:
    """``principal`` moved into ``tenant`` when it belongs to the template organisation."""
    org = tenant_org(state, principal.org_id, tenant)
    return principal if org == principal.org_id else Principal(principal.user_id, org, principal.scopes)
