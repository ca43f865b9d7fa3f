"""Does a list page or a get stay flat as the store grows? 100 -> 1,000 -> 10,000 -> 100,000 items.

    .venv/bin/python bench/scale.py                       # ~15-30 s
    .venv/bin/python bench/scale.py --sizes 100,1000,10000,100000,1000000 --samples 500

In-process (httpx ``ASGITransport``, rate limits off): the store of one app is grown to each size
(datasets, and chats of the token's user), then each request is timed ``--samples`` times (median):

- ``GET /v1/datasets?limit=20``: first page, a deep page via ``nextCursor`` (reached by walking
  ``limit=100`` pages), and a deep page via ``?offset=`` (what the official client sends);
- ``GET /v1/datasets/{id}`` (a record from the middle);
- ``GET /v1/chats?limit=20`` (first page; the list filters by user) and ``GET /v1/chats/{id}``.

The process's RSS is shown at each size. Times include httpx's own per-request cost (~0.1-0.2 ms),
the same at every size.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
from time import perf_counter
from typing import Any

import _common as c
import _inproc
import httpx

FLAT_FACTOR = 2.0


async def median_get(http: httpx.AsyncClient, path: str, samples: int) -> float:
    """Median seconds of ``GET path`` (which must answer 200)."""
    times = []
    for _ in range(samples):
        started = perf_counter()
        response = await http.get(path)
        times.append(perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return c.median(times)


async def deep_cursor(http: httpx.AsyncClient, path: str, total: int) -> str:
    """A ``nextCursor`` pointing 40 items before the end of the list (walked with pages of <= 100)."""
    cursor: str | None = None
    seen, target = 0, max(1, total - 40)
    while seen < target:
        url = f"{path}?limit={min(100, target - seen)}" + (f"&cursor={cursor}" if cursor else "")
        response = await http.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:300]}")
        page = response.json()
        seen += len(page["items"])
        cursor = page["nextCursor"]
        if not page["hasMore"] or cursor is None:
            raise RuntimeError(f"{path} ended after {seen} items; expected {total}")
    assert cursor is not None
    return cursor


async def chat_template(app: Any, http: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """Create one chat through the API; return ``(kind, stored record)``."""
    from emulator.domain import chats as chats_domain

    response = await http.post("/v1/chats", json={"modelId": c.MODEL_ID, "messages": [{"role": "user", "content": "Hello!"}]})
    if response.status_code != 200:
        raise RuntimeError(f"POST /v1/chats answered {response.status_code}: {response.text[:300]}")
    org_id = app.state.tokens[c.TOKEN].org_id
    record = app.state.store.get(org_id, chats_domain.KIND, response.json()["id"])
    if record is None:
        raise RuntimeError("the created chat is not in the store under the token's organisation")
    return chats_domain.KIND, record


async def measure(sizes: list[int], samples: int, with_chats: bool) -> list[dict[str, Any]]:
    from emulator import create_app

    app = create_app(_inproc.bench_config())
    org_id, kind, template = await _inproc.dataset_template(app)
    store = app.state.store
    rows: list[dict[str, Any]] = []
    async with _inproc.client(app) as http:
        chat_kind, chat = await chat_template(app, http) if with_chats else ("", {})
        have = len(store.collection(org_id, kind))
        chats_have = len(store.collection(org_id, chat_kind)) if with_chats else 0
        for size in sizes:
            if size > have:
                _inproc.insert_copies(store, org_id, kind, template, have, size - have)
                have = size
            if with_chats and size > chats_have:
                for n in range(chats_have, size):
                    chat_id = f"chat_bench{n:08d}"
                    store.insert(org_id, chat_kind, chat_id, {**chat, "id": chat_id})
                chats_have = size
            gc.collect()
            middle = f"ds_bench{size // 2:08d}"
            cursor = await deep_cursor(http, "/v1/datasets", have)
            row: dict[str, Any] = {"size": size, "rss": _inproc.rss_bytes()}
            timings = [
                ("datasets first page", "/v1/datasets?limit=20"),
                ("datasets deep page (cursor)", f"/v1/datasets?limit=20&cursor={cursor}"),
                ("datasets deep page (offset)", f"/v1/datasets?limit=20&offset={max(0, have - 40)}"),
                ("datasets get", f"/v1/datasets/{middle}"),
            ]
            if with_chats:
                timings += [
                    ("chats first page", "/v1/chats?limit=20"),
                    ("chats get", f"/v1/chats/chat_bench{size // 2:08d}"),
                ]
            for label, path in timings:
                try:
                    row[label] = await median_get(http, path, samples)
                except RuntimeError as exc:  # e.g. a route this version does not have
                    row[label] = float("nan")
                    row.setdefault("notes", []).append(f"{label}: {exc}")
            rows.append(row)
            print(f"  {size:>9,} items measured", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000", help="comma-separated store sizes")
    parser.add_argument("--samples", type=int, default=200, help="requests per measurement (median)")
    parser.add_argument("--no-chats", action="store_true", help="only datasets")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    print(f"machine: {c.machine()}")
    if c.busy_warning():
        print(c.busy_warning())
    print()
    baseline_rss = _inproc.rss_bytes()
    rows = asyncio.run(measure(sizes, args.samples, not args.no_chats))
    labels = [k for k in rows[0] if k not in ("size", "rss", "notes")]
    table_rows = [
        [label]
        + [c.fmt_ms(row[label], 3) for row in rows]
        + [f"{rows[-1][label] / rows[0][label]:.2f}x" if rows[0][label] == rows[0][label] else "-"]
        for label in labels
    ]
    table_rows.append(["RSS MB"] + [f"{row['rss'] / 2**20:,.0f}" for row in rows] + [""])
    headers = ["median ms per request"] + [f"{row['size']:,}" for row in rows] + [f"{sizes[-1]:,} / {sizes[0]:,}"]
    print()
    print(c.table(headers, table_rows))
    print(
        f"(RSS before the app was built: {baseline_rss / 2**20:,.0f} MB; records are shallow copies "
        "of one created through the API)"
    )
    for row in rows:
        for note in row.get("notes", []):
            print(f"note at {row['size']:,}: {note}")
    budget = c.Budget()
    for label in labels:
        first, last = rows[0][label], rows[-1][label]
        ratio = last / first
        ok = None if ratio != ratio else ratio <= FLAT_FACTOR
        budget.check(
            f"{label} at {sizes[-1]:,} within {FLAT_FACTOR:g}x of {sizes[0]:,}",
            ok,
            f"{ratio:.2f}x ({first * 1000:.3f} -> {last * 1000:.3f} ms)",
        )
    print(budget.render())


if __name__ == "__main__":
    main()
