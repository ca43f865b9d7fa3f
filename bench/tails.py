"""Latency tails under load with a growing store: p99 of the emulator against bare Starlette, 64 connections.

    .venv/bin/python bench/tails.py                        # ~2.5 min: 2 scenarios x 2 servers x (2 s + 30 s)
    .venv/bin/python bench/tails.py --duration 10 --only chat

Each server (``cuadra-emulator serve`` with its default configuration and the bench fixtures, and the
bare Starlette app of ``throughput.py`` answering with the emulator's bytes) runs pinned to CPU 0 with
``taskset``; ``wrk`` (required) runs pinned to CPU 1, one thread, ``--connections`` keep-alive
connections. Scenarios, in this order and without a reset in between, so the store only grows:
``POST /v1/chats`` with a distinct conversation per request (every request stores a new chat: ~30 s
of them), then ``GET /v1/models`` against the store those chats left. Printed per run: req/s, p50, p90,
p99, p99.9 and the longest latency (wrk's), and the emulator's p99 over bare's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import _common as c
from throughput import SCENARIOS, WRK_DONE, Scenario, capture_samples, check_bare, pinned, wrk_script

P99_FACTOR = 2.0
CPU_SERVER, CPU_LOAD = "0", "1"

TAILS_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('TAILSJSON {"requests":%.0f,"duration_us":%.0f,"p50_us":%.0f,"p90_us":%.0f,'
    .. '"p99_us":%.0f,"p999_us":%.0f,"max_us":%.0f,"errors":%.0f}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max,
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def run(port: int, sc: Scenario, seconds: float, connections: int, script: Path) -> dict[str, Any]:
    cmd = pinned(
        CPU_LOAD,
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{max(1, math.ceil(seconds))}s", "--timeout", "10s"]
        + ["-s", str(script), f"http://{c.HOST}:{port}{sc.path}"],
    )
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("TAILSJSON "):
            report: dict[str, Any] = json.loads(line[len("TAILSJSON ") :])
            report["rps"] = report["requests"] / (report["duration_us"] / 1e6)
            return report
    raise RuntimeError(f"wrk failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")


def measure(args: argparse.Namespace) -> dict[str, dict[str, dict[str, Any]]]:
    fixtures_dir = tempfile.TemporaryDirectory(prefix="bench-fixtures-")
    flags = ["--fixtures", str(c.rich_fixtures(Path(fixtures_dir.name))), *args.emulator_args.split()]
    chosen = [sc for key in ("chat", "models") for sc in SCENARIOS if sc.key == key and key in args.only]
    results: dict[str, dict[str, dict[str, Any]]] = {sc.key: {} for sc in chosen}
    with contextlib.ExitStack() as stack:
        emulator = stack.enter_context(c.Server("emulator", lambda port: pinned(CPU_SERVER, c.emulator_command(port, flags))))
        samples = capture_samples(emulator.port)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(samples, fh)
        stack.callback(Path(fh.name).unlink)
        bare_command = lambda port: pinned(CPU_SERVER, c.bare_command(port))  # noqa: E731
        bare = stack.enter_context(c.Server("bare", bare_command, env={"BENCH_SAMPLES": fh.name}))
        check_bare(bare.port, samples)
        ports = {"bare": bare.port, "emulator": emulator.port}
        for sc in chosen:
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
                lua.write(wrk_script(sc).replace(WRK_DONE, TAILS_DONE))
            script = Path(lua.name)
            stack.callback(script.unlink)
            for name, port in ports.items():
                if args.warmup > 0:
                    run(port, sc, args.warmup, args.connections, script)
                r = results[sc.key][name] = run(port, sc, args.duration, args.connections, script)
                print(
                    f"  {sc.label:<16} {name:<9} {r['rps']:>8,.0f} req/s  p99 {r['p99_us'] / 1000:7.2f} ms"
                    f"{'  ERRORS: ' + str(r['errors']) if r['errors'] else ''}",
                    flush=True,
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per run (default 30)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each run (default 2)")
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections (default 64)")
    parser.add_argument(
        "--only",
        type=lambda text: [k.strip() for k in text.split(",")],
        default=["chat", "models"],
        help="comma-separated subset of: chat, models",
    )
    parser.add_argument("--emulator-args", default="", help="extra 'cuadra-emulator serve' flags")
    args = parser.parse_args()
    if not c.which("wrk") or not c.which("taskset"):
        parser.error("needs wrk and taskset (apt-get install -y wrk util-linux)")
    print(f"machine: {c.machine()}")
    if c.busy_warning():
        print(c.busy_warning())
    print(
        f"servers pinned to CPU {CPU_SERVER}, wrk to CPU {CPU_LOAD}; {args.connections} connections, "
        f"{args.warmup:g} s warm-up + {args.duration:g} s; chats first (distinct conversations, store growing)"
    )
    results = measure(args)
    rows = []
    budget = c.Budget(issue="issue 16")
    for sc in SCENARIOS:
        runs = results.get(sc.key)
        if not runs:
            continue
        for name, r in runs.items():
            cells = [r[key] / 1000 for key in ("p50_us", "p90_us", "p99_us", "p999_us", "max_us")]
            rows.append([sc.label, name, f"{r['rps']:,.0f}", *(f"{v:.2f}" for v in cells), str(r["errors"])])
        ratio = runs["emulator"]["p99_us"] / runs["bare"]["p99_us"]
        rows.append(["", "p99 ratio", f"{ratio:.2f}x", "", "", "", "", "", ""])
        errors = runs["emulator"]["errors"] + runs["bare"]["errors"]
        budget.check(
            f"{sc.label} p99 at {args.connections} connections <= {P99_FACTOR:g}x bare Starlette's",
            ratio <= P99_FACTOR and not errors,
            f"{runs['emulator']['p99_us'] / 1000:.2f} ms vs {runs['bare']['p99_us'] / 1000:.2f} ms = {ratio:.2f}x"
            + (f" ({errors} errors)" if errors else ""),
        )
    headers = ["scenario", "server", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors"]
    print()
    print(c.table(headers, rows, left=2))
    print(budget.render())


if __name__ == "__main__":
    main()
