"""Cyclic-GC pauses and per-request CPU tails while the store grows: with and without ``settle_heap()``
(``gc.freeze``), and with other collector thresholds.

    .venv/bin/python bench/gc_pauses.py -n 10000
    .venv/bin/python bench/gc_pauses.py -n 20000 --thresholds 700,10,10 5000,20,10 50000,20,100

Each variant runs in a fresh process: build the default app (bench fixtures: limits and credits no run
exhausts), optionally call :func:`emulator.server.settle_heap` as ``serve`` does (and then
``gc.set_threshold``), then send ``n`` distinct ``POST /v1/chats`` in-process. ``gc.callbacks`` time
every collection, and each request is timed, with ``thread_time`` (CPU time of this thread: other
processes' load counts less, caches still do). Printed: collections per generation, the total and the
longest pause, and the p50 / p99 / p99.9 / longest request.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from time import thread_time
from typing import Any

import _common as c
from hotspots import Call, asgi_call


class PauseTimer:
    """Times every cyclic-GC collection (thread CPU time) while installed: ``with PauseTimer() as t:``."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = thread_time()
        else:
            self.pauses[info["generation"]].append(thread_time() - self._started)

    def __enter__(self) -> PauseTimer:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)

    def every(self) -> list[float]:
        return sorted(p for found in self.pauses.values() for p in found)


async def send_chats(app: Any, n: int, label: str = "", timings: list[float] | None = None) -> None:
    """``n`` distinct ``POST /v1/chats`` (the user's message carries ``label`` and a running number);
    each request's thread CPU time is appended to ``timings`` when given."""
    template = c.chat_body(False, c.COUNTER)
    for i in range(n):
        body = template.replace(c.COUNTER.encode(), f"{label}{i}".encode())
        started = thread_time()
        status, _, answer = await asgi_call(app, Call("chat", "POST /v1/chats", "POST", "/v1/chats", body))
        if timings is not None:
            timings.append(thread_time() - started)
        if status != 200:
            raise RuntimeError(f"{status}: {answer[:200]!r}")


async def grow(n: int, settle: bool, thresholds: tuple[int, ...] = ()) -> dict[str, Any]:
    from emulator import Config, create_app
    from emulator.server import settle_heap

    fixtures = c.rich_fixtures(Path(tempfile.mkdtemp(prefix="bench-fixtures-")))
    app: Any = create_app(Config(fixtures_dir=fixtures))
    if settle:
        settle_heap()
    if thresholds:
        gc.set_threshold(*thresholds)
    await send_chats(app, 1, "warm-up ")  # first-use imports and caches are not a tail
    times: list[float] = []
    begun = thread_time()
    with PauseTimer() as timer:
        await send_chats(app, n, timings=times)
    total = thread_time() - begun
    every = timer.every()
    times.sort()
    return {
        "collections": [len(timer.pauses[g]) for g in range(3)],
        "gc_ms": sum(every) * 1000,
        "max_ms": max(every, default=0.0) * 1000,
        "cpu_s": total,
        "request_ms": [c.percentile(times, p) * 1000 for p in (50, 99, 99.9, 100)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument(
        "--thresholds", nargs="*", default=[], help="extra settled variants with gc.set_threshold(a,b,c), e.g. 5000,20,10"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, _, numbers = args.child.partition(":")
        thresholds = tuple(int(x) for x in numbers.split(",")) if numbers else ()
        print(json.dumps(asyncio.run(grow(args.n, variant == "settled", thresholds))))
        return
    print(f"machine: {c.machine()}")
    print(f"{args.n:,} distinct chats in-process; GC pauses and requests in thread CPU time")
    rows = []
    for variant in ["plain", "settled", *(f"settled:{t}" for t in args.thresholds)]:
        done = subprocess.run(
            [sys.executable, __file__, "--child", variant, "-n", str(args.n)], capture_output=True, text=True, check=True
        )
        r = json.loads(done.stdout.strip().splitlines()[-1])
        label = variant.replace("settled:", "settled, thresholds ")
        cells = [f"{v:.2f}" for v in r["request_ms"]]
        gcs = "/".join(map(str, r["collections"]))
        rows.append([label, gcs, f"{r['gc_ms']:.0f}", f"{r['max_ms']:.1f}", *cells, f"{r['cpu_s']:.1f}"])
    headers = ["variant", "GC gen0/1/2", "GC ms", "longest GC ms", "req p50 ms", "p99", "p99.9", "max", "run CPU s"]
    print(c.table(headers, rows))


if __name__ == "__main__":
    main()
