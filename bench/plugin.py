"""What the pytest plugin costs a downstream suite: session start-up and the per-test reset.

    .venv/bin/python bench/plugin.py

Budget (issue 6): session server start well under 1 s; per-test reset well under 5 ms.
Budget (issue 10): tenant mint <= 2 ms and per-tenant reset <= 2 ms (medians, bundled fixtures).
"""

from __future__ import annotations

import asyncio
import statistics
import time

from emulator import Config, create_app
from emulator.idempotency import scope_key
from emulator.server import LiveServer
from emulator.testing import EmulatorHandle


async def _tenant_costs() -> tuple[float, float]:
    """Medians (ms) of what ``POST /_emulator/tenants`` and ``POST /_emulator/reset {"org"}`` do, minus HTTP:
    the mint, and the reset with the backend forgetting the tenant's windows, keys and scenario counters.
    Each tenant first makes calls (a rate-limit hit, an Idempotency-Key), so the reset has state to drop."""
    state = create_app(Config(clock="manual")).state
    backend = state.backend
    mints, resets = [], []
    for n in range(200):
        org = f"org_bench_{n}"
        began = time.perf_counter()
        state.tenants.create(org, state.clock_for(org).now())
        mints.append((time.perf_counter() - began) * 1000)
        now = state.clock_for(org).now()
        await backend.rate_hit([(f"u:{org}:member_default", 60), (f"o:{org}", 300)], now)
        await backend.idem_begin(scope_key(org, "member_default", "bench"), ("POST", "/v1/datasets", "00"), now)
        began = time.perf_counter()
        state.tenants.reset(org, state.clock_for(org).now())
        await backend.forget_org(org)
        resets.append((time.perf_counter() - began) * 1000)
    await backend.aclose()
    return statistics.median(mints), statistics.median(resets)


def main() -> None:
    starts = []
    for _ in range(5):
        began = time.perf_counter()
        server = LiveServer(create_app(Config(clock="manual"))).start()
        starts.append((time.perf_counter() - began) * 1000)
        server.stop()
    server = LiveServer(create_app(Config(clock="manual"))).start()
    per_test = []
    for _ in range(200):  # what the cuadra_emulator fixture does around each test
        began = time.perf_counter()
        server.app.state.reset()
        handle = EmulatorHandle(server.url, "test-token", app=server.app)
        handle.close()
        per_test.append((time.perf_counter() - began) * 1000)
    with EmulatorHandle(server.url, "test-token", app=server.app).client() as client:
        began = time.perf_counter()
        for _ in range(200):
            client.post("/_emulator/reset")
        over_http = (time.perf_counter() - began) / 200 * 1000
        client.post("/_emulator/tenants", json={"org": "org_bench_http"})
        began = time.perf_counter()
        for _ in range(200):
            client.post("/_emulator/reset", json={"org": "org_bench_http"})
        tenant_over_http = (time.perf_counter() - began) / 200 * 1000
    server.stop()
    mint, tenant_reset = asyncio.run(_tenant_costs())
    start, reset = statistics.median(starts), statistics.median(per_test)
    print(f"session server start (create_app + uvicorn thread), median of 5: {start:7.1f} ms")
    print(f"per-test fixture overhead (reset + handle), median of 200:       {reset:7.2f} ms")
    print(f"POST /_emulator/reset over HTTP (sidecar mode), mean of 200:     {over_http:7.2f} ms")
    print(f"POST /_emulator/reset {{org}} over HTTP (the plugin's per test):   {tenant_over_http:7.2f} ms")
    print(f"tenant mint (copy of the fixture baseline), median of 200:     {mint:7.3f} ms")
    print(f"per-tenant reset (store + backend forget, 200 tenants alive), median of 200: {tenant_reset:7.3f} ms")
    print("budget (issues 6, 10)")
    print(f"  {'PASS' if start < 1000 else 'FAIL'}  session start < 1 s")
    print(f"  {'PASS' if reset < 5 else 'FAIL'}  per-test reset < 5 ms")
    print(f"  {'PASS' if mint <= 2 else 'FAIL'}  tenant mint <= 2 ms")
    print(f"  {'PASS' if tenant_reset <= 2 else 'FAIL'}  per-tenant reset <= 2 ms")


if __name__ == "__main__":
    main()
