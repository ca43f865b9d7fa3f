"""What shared state costs: the Redis backend against memory, per request and in throughput (issue 15).

    .venv/bin/python bench/shared_state.py                 # ~40 s; starts its own redis-server
    .venv/bin/python bench/shared_state.py --redis redis://127.0.0.1:6379/0 -n 3000

1. In-process (direct ASGI calls, as ``hotspots.py``): microseconds per request with ``--state memory``
   and with ``--state redis://...`` for ``GET /v1/models`` and ``POST /v1/chats`` with an
   ``Idempotency-Key`` (a new key each call), rate limits on with limits no run reaches; and Redis
   round trips per request, counted by the backend (budget: a GET <= 2, a create <= 4). With Redis the
   store is shared: a GET reads its tenant's new writes in the rate-limit round trip, a keyed create
   pays window + log read (one script), claim, log append and stored response.
2. Throughput, measured like ``throughput.py`` (same load generator, connections and durations):
   ``serve`` with 1 worker in memory against ``serve --workers 2 --state redis://...``, on GET /v1/models
   and POST /v1/chats, rate limits on (limits out of reach, so every request pays the Redis window).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from time import perf_counter
from typing import Any

import _common as c
import _inproc
import throughput
from hotspots import Call, asgi_call

HIGH = 10**9  # requests/minute no run reaches: limits on, never a 429
CALLS = [
    Call("models", "GET /v1/models", "GET", "/v1/models"),
    Call("chat", "POST /v1/chats + Idempotency-Key", "POST", "/v1/chats", c.chat_body(stream=False)),
]


def start_redis() -> tuple[str, subprocess.Popen[bytes], tempfile.TemporaryDirectory[str]]:
    """A throwaway redis-server on a free loopback port (no persistence)."""
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server not found: install it (apt-get install redis-server) or pass --redis URL")
    port = c.free_port()
    work = tempfile.TemporaryDirectory(prefix="bench-redis-")
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", work.name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            if client.ping():
                break
        except redis.ConnectionError:
            time.sleep(0.025)
    client.close()
    return f"redis://127.0.0.1:{port}/0", proc, work


def make_app(state: str, fixtures: Path) -> Any:
    from emulator import create_app

    config = _inproc.bench_config(
        rate_limit="on",
        rate_limit_per_user=HIGH,
        rate_limit_per_org=HIGH,
        state=state,
        state_namespace="bench",
        fixtures_dir=fixtures,
    )
    return create_app(config)


async def per_request(state: str, fixtures: Path, n: int) -> dict[str, tuple[float, float]]:
    """``{call: (µs per request, round trips per request)}`` for one backend."""
    app = make_app(state, fixtures)
    backend = app.state.backend
    await backend.reset()
    out: dict[str, tuple[float, float]] = {}
    for call in CALLS:
        keyed = call.method == "POST"
        for warm in range(50):
            await asgi_call(app, call, _key(f"warm-{warm}") if keyed else ())
        trips = getattr(backend, "round_trips", 0)
        extra = [_key(f"k{i}") if keyed else () for i in range(n)]
        started = perf_counter()
        for headers in extra:
            status, _, _ = await asgi_call(app, call, headers)
            if status != 200:
                raise RuntimeError(f"{call.label} answered {status} with --state {state}")
        elapsed = perf_counter() - started
        out[call.key] = (elapsed / n * 1e6, (getattr(backend, "round_trips", 0) - trips) / n)
    await backend.reset()
    await backend.aclose()
    return out


def _key(value: str) -> tuple[tuple[bytes, bytes], ...]:
    return ((b"idempotency-key", value.encode()),)


def throughput_runs(redis_url: str, fixtures: Path, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """req/s of each configuration on each scenario, with ``throughput.py``'s load generator."""
    limits = ["--rate-limit", "on", "--rate-limit-per-user", str(HIGH), "--rate-limit-per-org", str(HIGH)]
    common = [*limits, "--fixtures", str(fixtures)]
    configs = {
        "1 worker, memory": common,
        "2 workers, Redis": [*common, "--workers", "2", "--state", redis_url, "--state-namespace", "bench-tp"],
    }
    scenarios = [sc for sc in throughput.SCENARIOS if sc.key in ("models", "chat")]
    out: dict[str, dict[str, float]] = {}
    for name, extra in configs.items():
        with c.Server(name, lambda port, extra=extra: c.emulator_command(port, extra)) as server:
            out[name] = {}
            for sc in scenarios:
                throughput.reset(server.port)
                if args.wrk:
                    result = throughput.wrk_result(server.port, sc, args, 1)
                else:
                    result = throughput.python_result(server.port, sc, args)
                out[name][sc.key] = result.rps
                print(f"  {name:<18} {sc.label:<18} {result.rps:>9,.0f} req/s  p99 {c.fmt_ms(result.p99)} ms", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", help="use this Redis instead of starting a throwaway redis-server")
    parser.add_argument("-n", type=int, default=2000, help="in-process requests per call and backend (2000)")
    parser.add_argument("--duration", type=float, default=4.0, help="throughput: measured seconds per run (4)")
    parser.add_argument("--warmup", type=float, default=1.0, help="throughput: warm-up seconds (1)")
    parser.add_argument("--connections", type=int, default=32, help="throughput: keep-alive connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="python load generator: cap per run")
    parser.add_argument("--no-throughput", action="store_true", help="only the in-process figures")
    args = parser.parse_args()
    args.wrk = c.which("wrk") if args.loadgen in ("auto", "wrk") else None  # run_wrk runs this path
    if args.loadgen == "wrk" and not args.wrk:
        raise SystemExit("wrk not found")
    print(f"machine:   {c.machine()}")
    if c.busy_warning():
        print(c.busy_warning())
    owned = None
    redis_url = args.redis
    if redis_url is None:
        redis_url, proc, work = start_redis()
        owned = (proc, work)
    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        fixtures = c.rich_fixtures(Path(tmp))
        try:
            memory = asyncio.run(per_request("memory", fixtures, args.n))
            shared = asyncio.run(per_request(redis_url, fixtures, args.n))
            rows = []
            for call in CALLS:
                (mem_us, _), (red_us, trips) = memory[call.key], shared[call.key]
                budget = 2 if call.method == "GET" else 4
                rows.append(
                    [call.label, f"{mem_us:,.0f}", f"{red_us:,.0f}", f"+{red_us - mem_us:,.0f}", f"{trips:g} (<= {budget})"]
                )
            print(f"\nper request, in-process, {args.n} sequential calls (Redis at {redis_url}):")
            print(c.table(["call", "memory µs", "Redis µs", "Redis cost µs", "round trips"], rows))
            if not args.no_throughput:
                tool = "wrk" if args.wrk else "python load generator"
                print(f"\nthroughput ({tool}, {args.connections} connections, {args.warmup:g} s + {args.duration:g} s):")
                tp = throughput_runs(redis_url, fixtures, args)
                for key in ("models", "chat"):
                    ratio = tp["2 workers, Redis"][key] / tp["1 worker, memory"][key]
                    print(f"  {key}: 2 workers on Redis = {ratio:.2f}x 1 worker in memory")
        finally:
            if owned is not None:
                owned[0].terminate()
                owned[0].wait(10)
                owned[1].cleanup()


if __name__ == "__main__":
    main()
