"""In-process helpers shared by startup.py, scale.py and hotspots.py (httpx ASGITransport, bulk data).

Bulk records are copies of one dataset created through the HTTP API (``POST /v1/datasets``), inserted
with the store API under new ids: the records have exactly the shape the emulator builds, without
paying 100k requests to make them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import _common as c
import httpx


def bench_config(**changes: Any) -> Any:
    """The default :class:`Config`, with rate limits off when this version has them (thousands of calls)."""
    from dataclasses import fields

    from emulator import Config

    names = {f.name for f in fields(Config)}
    if "rate_limit" in names:
        changes.setdefault("rate_limit", "off")
    return Config(**changes)


def client(app: Any, token: str | None = c.TOKEN) -> httpx.AsyncClient:
    """An async client talking to ``app`` in-process."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator", headers=headers)


async def dataset_template(app: Any) -> tuple[str, str, dict[str, Any]]:
    """Create one dataset through the API; return ``(org_id, kind, stored record)``."""
    from emulator.domain import datasets as datasets_domain

    async with client(app) as http:
        response = await http.post("/v1/datasets", json={"name": "bench", "description": "bench dataset"})
    if response.status_code != 201:
        raise RuntimeError(f"POST /v1/datasets answered {response.status_code}: {response.text[:300]}")
    dataset_id = response.json()["id"]
    org_id = app.state.tokens[c.TOKEN].org_id
    record = app.state.store.get(org_id, datasets_domain.KIND, dataset_id)
    if record is None:
        raise RuntimeError("the created dataset is not in the store under the token's organisation")
    return org_id, datasets_domain.KIND, record


def insert_copies(store: Any, org_id: str, kind: str, template: dict[str, Any], start: int, count: int) -> list[str]:
    """Insert ``count`` copies of ``template`` (ids ``ds_bench<n>``) into ``store``; return the ids."""
    ids = []
    for n in range(start, start + count):
        record_id = f"ds_bench{n:08d}"
        store.insert(org_id, kind, record_id, {**template, "id": record_id, "name": f"bench {n}"})
        ids.append(record_id)
    return ids


def rss_bytes() -> int:
    """Current resident set size of this process (``/proc/self/status``; peak RSS as a fallback)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if os.uname().sysname == "Darwin" else peak * 1024
