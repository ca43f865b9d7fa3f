"""Memory and start-up figures: idle RSS, RSS with 100k stored chats, cold start, reset at 10k objects.

    .venv/bin/python bench/memory.py                 # ~1-2 min
    .venv/bin/python bench/memory.py -n 20000 --cold 5

1. Idle RSS: ``cuadra-emulator serve`` with the bundled fixtures, read from ``/proc/<pid>/status`` once
   it answers 200 on the liveness path (median of ``--cold`` starts, which also give the cold start
   next to a bare Starlette app on uvicorn; the package's bytecode compiled first, as in ``startup.py``).
2. Chats: in a fresh process, the default app with the bench fixtures (credits no run exhausts), heap
   settled as ``serve`` settles it, then ``-n`` distinct ``POST /v1/chats`` (one exchange each) sent
   in-process through the whole API path; RSS before and after (after a ``gc.collect()``), bytes per chat,
   and the cyclic collector's pauses during the run (thread CPU time).
3. The same chats sent to a ``serve`` process over HTTP (one keep-alive connection, one chat after the
   other), with the bench fixtures: the RSS of the emulator's own process, without the harness that
   step 2's process also holds (httpx, the bench modules). The budget line reads this figure.
4. ``state.reset()`` with 10k datasets created since the last reset (median of ``--resets``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any

import _common as c
import _inproc
from gc_pauses import PauseTimer, send_chats
from server_instructions import send
from startup import COLD_BUDGET, RESET_BUDGET, cold_start, measure_reset
from throughput import SCENARIOS

CHATS_BUDGET = 150 * 2**20
IDLE_BUDGET = 45 * 2**20


def pid_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def idle_and_cold(n: int) -> dict[str, list[float]]:
    """Cold starts of ``serve`` (and its RSS once up) and of the bare app, alternating."""
    out: dict[str, list[float]] = {"emulator": [], "bare": [], "rss": []}
    for i in range(n):
        for name in ("emulator", "bare") if i % 2 == 0 else ("bare", "emulator"):
            port = c.free_port()
            command = c.emulator_command(port) if name == "emulator" else c.bare_command(port)
            out[name].append(cold_start(command))
        with c.Server("emulator", c.emulator_command) as server:
            assert server.proc is not None
            c.http_get_status(server.port, "/v1/models")  # a routed, authenticated-path request (401 is fine)
            out["rss"].append(pid_rss(server.proc.pid))
    return out


async def grow(n: int) -> dict[str, Any]:
    """In this (fresh) process: build, settle, send ``n`` distinct chats; RSS and GC figures."""
    from emulator import Config, create_app
    from emulator.server import settle_heap

    fixtures = c.rich_fixtures(Path(tempfile.mkdtemp(prefix="bench-fixtures-")))
    app: Any = create_app(Config(fixtures_dir=fixtures))
    settle_heap()
    await send_chats(app, 1, "warm-up ")  # lazy imports and first-use caches are not per-chat memory
    gc.collect()
    before = _inproc.rss_bytes()
    begun = perf_counter()
    with PauseTimer() as timer:
        await send_chats(app, n)
    elapsed = perf_counter() - begun
    gc.collect()
    after = _inproc.rss_bytes()
    pauses = timer.every()
    return {
        "before": before,
        "after": after,
        "seconds": elapsed,
        "collections": len(pauses),
        "gc_ms": sum(pauses) * 1000,
        "p99_pause_ms": c.percentile(pauses, 99) * 1000,
        "max_pause_ms": (pauses[-1] if pauses else 0.0) * 1000,
    }


def served(n: int) -> dict[str, Any]:
    """RSS of a ``serve`` process (bench fixtures, default configuration) before and after ``n`` distinct
    chats sent over HTTP, one after the other on one keep-alive connection (``http.client``)."""
    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        fixtures = c.rich_fixtures(Path(tmp))
        with c.Server("emulator", lambda port: c.emulator_command(port, ["--fixtures", str(fixtures)])) as server:
            assert server.proc is not None
            chat = next(sc for sc in SCENARIOS if sc.key == "chat")
            connection = http.client.HTTPConnection(c.HOST, server.port, timeout=30)
            send(connection, chat, 0)  # first-use imports and validators are not per-chat memory (as in-process)
            before = pid_rss(server.proc.pid)
            begun = perf_counter()
            for i in range(1, n + 1):
                send(connection, chat, i)
            seconds = perf_counter() - begun
            connection.close()
            return {"before": before, "after": pid_rss(server.proc.pid), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="stored chats (default 100,000)")
    parser.add_argument("--cold", type=int, default=5, help="cold starts per server (median; default 5)")
    parser.add_argument("--resets", type=int, default=20, help="timed resets at 10k objects (median)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(grow(args.n))))
        return
    print(f"machine: {c.machine()}")
    print(c.compile_bytecode())
    if c.busy_warning():
        print(c.busy_warning())
    budget = c.Budget(issue="issue 16")

    cold = idle_and_cold(args.cold)
    idle = c.median(cold["rss"])
    cold_emu, cold_bare = c.median(cold["emulator"]), c.median(cold["bare"])
    print(f"idle RSS of serve (bundled fixtures), median of {args.cold}: {idle / 2**20:.1f} MB")
    print(f"cold start -> first 200: emulator {cold_emu * 1000:.0f} ms, bare Starlette {cold_bare * 1000:.0f} ms")

    done = subprocess.run([sys.executable, __file__, "--child", "-n", str(args.n)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    r = json.loads(done.stdout.strip().splitlines()[-1])
    per_chat = (r["after"] - r["before"]) / args.n
    print(
        f"{args.n:,} chats through POST /v1/chats in-process ({r['seconds']:.1f} s): RSS {r['before'] / 2**20:.1f} -> "
        f"{r['after'] / 2**20:.1f} MB, {per_chat:,.0f} bytes per chat"
    )
    print(
        f"  cyclic GC during the run: {r['collections']} collections, {r['gc_ms']:.0f} ms in all, "
        f"p99 {r['p99_pause_ms']:.1f} ms, longest {r['max_pause_ms']:.1f} ms (thread CPU time)"
    )

    s = served(args.n)
    print(
        f"{args.n:,} chats through POST /v1/chats to serve over HTTP ({s['seconds']:.1f} s, 1 connection): "
        f"RSS of the server {s['before'] / 2**20:.1f} -> {s['after'] / 2**20:.1f} MB, "
        f"{(s['after'] - s['before']) / args.n:,.0f} bytes per chat"
    )

    resets = asyncio.run(measure_reset(10_000, args.resets))
    reset_10k = c.median(resets["10,000 created since last reset"])
    print(f"state.reset() with 10,000 created since the last reset: {reset_10k * 1000:.3f} ms (median)")

    scaled = s["after"] if args.n == 100_000 else s["before"] + (s["after"] - s["before"]) / args.n * 100_000
    note = " (serve)" if args.n == 100_000 else f" (serve, extrapolated from {args.n:,})"
    budget.check("100k stored chats <= 150 MB RSS", scaled <= CHATS_BUDGET, f"{scaled / 2**20:.0f} MB{note}")
    budget.check("idle RSS <= 45 MB", idle <= IDLE_BUDGET, f"{idle / 2**20:.1f} MB")
    budget.check(f"cold start <= {COLD_BUDGET} s", cold_emu <= COLD_BUDGET, f"{cold_emu:.3f} s")
    budget.check(f"reset <= {RESET_BUDGET * 1000:g} ms at 10k objects", reset_10k <= RESET_BUDGET, f"{reset_10k * 1000:.3f} ms")
    print(budget.render())


if __name__ == "__main__":
    main()
