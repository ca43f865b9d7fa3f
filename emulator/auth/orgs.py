"""Organisations that spring into existence when a token names an unknown one (pure builders)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..clock import isoformat

#: Defaults of a minted organisation: a Pro plan with room to work, an empty store.
DEFAULT_PLAN = {"tier": "pro", "name": "Pro", "billingCycle": "monthly"}
DEFAULT_CREDITS = {"limit": 50000, "used": 0, "purchasedBalance": 0, "hardCap": False}
DEFAULT_STORAGE = {"limit": 53687091200, "used": 0}


def billing_period(now: float) -> dict[str, str]:
    """The calendar month (UTC) containing ``now``, as ``{"start", "end"}`` timestamps."""
    moment = datetime.fromtimestamp(now, tz=UTC)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return {"start": isoformat(start.timestamp()), "end": isoformat(following.timestamp() - 1)}


def minted_organization(org_id: str, now: float) -> dict[str, Any]:
    """The record stored under ``("__system__", "organizations")`` for a new organisation."""
    return {
        "id": org_id,
        "name": f"Organization {org_id}",
        "plan": dict(DEFAULT_PLAN),
        "credits": dict(DEFAULT_CREDITS),
        "storage": dict(DEFAULT_STORAGE),
        "billingPeriod": billing_period(now),
        "minted": True,
    }
