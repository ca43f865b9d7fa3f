"""What the pytest plugin costs a downstream suite: session start-up and the per-test reset.

    .venv/bin/python bench/plugin.py

Budget (issue 6): session server start well under 1 s; per-test reset well under 5 ms.
"""

from __future__ import annotations

import statistics
import time

from emulator import Config, create_app
from emulator.server import LiveServer
from emulator.testing import EmulatorHandle


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
    server.stop()
    start, reset = statistics.median(starts), statistics.median(per_test)
    print(f"session server start (create_app + uvicorn thread), median of 5: {start:7.1f} ms")
    print(f"per-test fixture overhead (reset + handle), median of 200:       {reset:7.2f} ms")
    print(f"POST /_emulator/reset over HTTP (sidecar mode), mean of 200:     {over_http:7.2f} ms")
    print("budget (issue 6)")
    print(f"  {'PASS' if start < 1000 else 'FAIL'}  session start < 1 s")
    print(f"  {'PASS' if reset < 5 else 'FAIL'}  per-test reset < 5 ms")


if __name__ == "__main__":
    main()
