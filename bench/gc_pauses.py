"""Cyclic-GC pauses while the store grows, with and without ``settle_heap()`` (``gc.freeze``).

    .venv/bin/python bench/gc_pauses.py -n 10000

Each variant runs in a fresh process: build the default app (bench fixtures: limits and credits no run
exhausts), optionally call :func:`emulator.server.settle_heap` as ``serve`` does, then send ``n``
distinct ``POST /v1/chats`` in-process. ``gc.callbacks`` time every collection with ``thread_time``
(CPU time of this thread: other processes' load does not count). Printed: collections per generation,
the total and the longest pause.
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


async def send_chats(app: Any, n: int, label: str = "") -> None:
    """``n`` distinct ``POST /v1/chats`` (the user's message carries ``label`` and a running number)."""
    template = c.chat_body(False, c.COUNTER)
    for i in range(n):
        body = template.replace(c.COUNTER.encode(), f"{label}{i}".encode())
        status, _, answer = await asgi_call(app, Call("chat", "POST /v1/chats", "POST", "/v1/chats", body))
        if status != 200:
            raise RuntimeError(f"{status}: {answer[:200]!r}")


async def grow(n: int, settle: bool) -> dict[str, Any]:
    from emulator import Config, create_app
    from emulator.server import settle_heap

    fixtures = c.rich_fixtures(Path(tempfile.mkdtemp(prefix="bench-fixtures-")))
    app: Any = create_app(Config(fixtures_dir=fixtures))
    if settle:
        settle_heap()
    begun = thread_time()
    with PauseTimer() as timer:
        await send_chats(app, n)
    total = thread_time() - begun
    every = timer.every()
    return {
        "collections": [len(timer.pauses[g]) for g in range(3)],
        "gc_ms": sum(every) * 1000,
        "max_ms": max(every, default=0.0) * 1000,
        "cpu_s": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--child", choices=["plain", "settled"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(grow(args.n, args.child == "settled"))))
        return
    print(f"machine: {c.machine()}")
    print(f"{args.n:,} distinct chats in-process; GC pauses in thread CPU time")
    for variant in ("plain", "settled"):
        done = subprocess.run(
            [sys.executable, __file__, "--child", variant, "-n", str(args.n)], capture_output=True, text=True, check=True
        )
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"  {variant:<8} collections gen0/1/2 {'/'.join(map(str, r['collections']))}  total GC {r['gc_ms']:.0f} ms"
            f"  longest {r['max_ms']:.1f} ms  whole run {r['cpu_s']:.1f} s CPU"
        )


if __name__ == "__main__":
    main()
