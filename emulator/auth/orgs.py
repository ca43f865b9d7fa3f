"""Organisations that spring into existence when a token names an unknown one (pure builders)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..clock import isoformat

#: Defaults of a minted organisation: a Pro plan with room to work, an empty store.
DEFAULT_PLAN = {"tier": "pro", "name": "Pro", "billingCycle": "monthly"}
DEFAULT_CREDITS = {"limit": 50000, "used": 0, "purchasedBalance": 0, "hardCap": False}
DEFAULT_STORAGE = {"limit": 53687091200, "used": 0}


def month_start(now: float) -> str:
    """The first instant (UTC) of the calendar month containing ``now``: a minted organisation's billing anchor."""
    moment = datetime.fromtimestamp(now, tz=UTC)
    return isoformat(moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())


def minted_organization(org_id: str, now: float) -> dict[str, Any]:
    """The record stored under ``("__system__", "organizations")`` for a new organisation."""
    return {
        "id": org_id,
        "name": f"Organization {org_id}",
        "plan": dict(DEFAULT_PLAN),
        "credits": dict(DEFAULT_CREDITS),
        "storage": dict(DEFAULT_STORAGE),
        "billingAnchor": month_start(now),
        "minted": True,
    }
