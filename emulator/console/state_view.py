"""``GET /_emulator/state?org=...``: one tenant's records as tables for the console (read-only).

Records are flattened to their scalar fields (nested messages, items and settings are left out) and
each table is capped, so a busy tenant cannot make the answer huge.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ..domain import models as models_domain
from ..domain import usage as usage_domain
from ..errors import NotFound
from ..responses import json_response

if TYPE_CHECKING:
    from ..context import RequestContext

ROWS = 200
FIRST = ("chats", "models", "datasets", "files")
HIDDEN = {models_domain.SYSTEM_ORG, usage_domain.KIND}


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if value is None or isinstance(value, str | int | float | bool)}


async def tenant_state(ctx: RequestContext) -> Response:
    state = ctx.state
    store = state.store
    orgs = [org for org in store.orgs() if org not in HIDDEN]
    org = ctx.query.get("org") or (orgs[0] if orgs else None)
    if org is None or org not in orgs:
        raise NotFound(f"No tenant '{org}' (known: {', '.join(orgs) or 'none'}).")
    kinds = list(FIRST) + [k for k in store.kinds(org) if k not in FIRST and k not in HIDDEN]
    tables = {}
    for kind in kinds:
        collection = store.collection(org, kind)
        tables[kind] = {"total": len(collection), "rows": [_flat(record) for record in islice(collection.values(), ROWS)]}
    usage = usage_domain.usage_out(store, state.organization(org), state.clock_for(org).now(), admin=True)
    return json_response({"orgs": orgs, "org": org, "tables": tables, "usage": _dotted(usage)})


def _dotted(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"credits": {"used": 3}}`` -> ``{"credits.used": 3}`` (lists are left out)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out |= _dotted(value, f"{prefix}{key}.")
        elif not isinstance(value, list):
            out[f"{prefix}{key}"] = value
    return out
