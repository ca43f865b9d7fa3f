"""Instructions per request in the server process (uvicorn included), emulator against bare Starlette.

    .venv/bin/python bench/server_instructions.py --only stream       # ~2-4 min
    .venv/bin/python bench/server_instructions.py -n 300 --only stream,chat,models

``instructions.py`` calls the app directly, so it cannot see what a response costs *in the server*:
uvicorn's per-message work (chunk framing, a socket write per ``http.response.body``), the tasks
Starlette starts per streamed response under uvicorn's ASGI spec 2.3, the event loop. Here each
server (``cuadra-emulator serve`` with its default configuration and the bench fixtures, and the bare
app of ``throughput.py`` sending the same bytes) runs under ``valgrind --tool=callgrind``; after a
warm-up its counters are zeroed (``callgrind_control -z``), ``n`` requests are sent one after the other
on one keep-alive connection (chat requests are distinct conversations), and the counters are dumped.
For the stream, ``bare-joined`` is the bare app sending all events in one
body message (``BENCH_BARE_STREAM=joined``), as the emulator does for a stream nothing paces or cuts.
The figure is the server's user-space instructions per request: load-independent, so it can be
compared on a busy machine, and bare / emulator estimates the throughput ratio of a server that is
CPU-bound (kernel time, e.g. per socket write, is not counted).
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as c
from throughput import SCENARIOS, Scenario, capture_samples

WARMUP = 20


def under_callgrind(command: list[str], out: Path) -> list[str]:
    """``command`` run by callgrind, writing its profile to ``out``; instrumentation starts only when zeroed."""
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command]


def emulator_command(flags: list[str], port: int) -> list[str]:
    """``cuadra-emulator serve`` as a Python module (valgrind runs an interpreter, not a script)."""
    return [sys.executable, "-m", "emulator", "serve", "--host", c.HOST, "--port", str(port), "--log-level", "warning", *flags]


def send(conn: http.client.HTTPConnection, sc: Scenario, number: int) -> None:
    body = sc.body.replace(c.COUNTER.encode(), str(number).encode()) if sc.vary else sc.body
    headers = {"Authorization": c.AUTH_HEADER}
    if body:
        headers["Content-Type"] = "application/json"
    conn.request(sc.method, sc.path, body=body or None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{sc.label} answered {response.status}: {data[:300]!r}")


def control(pid: int, flag: str) -> None:
    subprocess.run(["callgrind_control", flag, str(pid)], check=True, capture_output=True, timeout=120)


def measure(server: c.Server, out: Path, sc: Scenario, n: int, first: int) -> float:
    """Instructions per request of ``n`` requests of ``sc`` (numbered from ``first``) in ``server``."""
    assert server.proc is not None
    conn = http.client.HTTPConnection(c.HOST, server.port, timeout=120)
    try:
        for i in range(WARMUP):
            send(conn, sc, first + i)
        control(server.proc.pid, "-z")
        for i in range(n):
            send(conn, sc, first + WARMUP + i)
        control(server.proc.pid, "-d")
    finally:
        conn.close()
    dumps = sorted(out.parent.glob(out.name + "*"), key=lambda p: p.stat().st_mtime)
    text = dumps[-1].read_text(errors="replace")
    found = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no instruction total in {dumps[-1]}")
    return int(found.group(1)) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="measured requests per scenario (default 200)")
    parser.add_argument("--only", default="stream", help="comma-separated: models,chat,stream (default stream)")
    parser.add_argument("--emulator-args", default="", help="extra 'cuadra-emulator serve' flags")
    args = parser.parse_args()
    if c.which("valgrind") is None or c.which("callgrind_control") is None:
        parser.error("valgrind is not installed (apt-get install -y valgrind)")
    chosen = [sc for sc in SCENARIOS if sc.key in args.only.split(",")]
    print(f"machine: {c.machine()}")
    print(f"server instructions per request (callgrind, {args.n} requests after {WARMUP} warm-up, one connection)")
    with tempfile.TemporaryDirectory(prefix="bench-server-instr-") as tmp_name:
        tmp = Path(tmp_name)
        flags = ["--fixtures", str(c.rich_fixtures(tmp / "fixtures")), *args.emulator_args.split()]
        emulator = functools.partial(emulator_command, flags)
        with c.Server("emulator", emulator) as plain:
            samples = capture_samples(plain.port)
        (tmp / "samples.json").write_text(json.dumps(samples))
        bare_env = {"BENCH_SAMPLES": str(tmp / "samples.json")}
        servers = {
            "emulator": (emulator, {}),
            "bare": (c.bare_command, bare_env),
            "bare-joined": (c.bare_command, {**bare_env, "BENCH_BARE_STREAM": "joined"}),
        }
        rows = []
        for sc in chosen:
            figures = {}
            for name, (command, env) in servers.items():
                if name == "bare-joined" and not sc.stream:
                    continue
                out = tmp / f"{name}-{sc.key}.out"
                server = c.Server(name, lambda port, command=command, out=out: under_callgrind(command(port), out), env=env)
                started = time.monotonic()
                server.start(timeout=300)  # valgrind makes the start-up ~50x slower
                try:
                    figures[name] = measure(server, out, sc, args.n, first=1000)
                finally:
                    server.stop()
                print(f"  {sc.label:<22} {name:<9} {figures[name]:>12,.0f}  ({time.monotonic() - started:.0f} s)", flush=True)
            emu, bare = figures["emulator"], figures["bare"]
            joined = figures.get("bare-joined")
            rows.append(
                [
                    sc.label,
                    f"{emu:,.0f}",
                    f"{bare:,.0f}",
                    f"{bare / emu:.0%}",
                    "-" if joined is None else f"{joined:,.0f}",
                    "-" if joined is None else f"{joined / emu:.0%}",
                ]
            )
        print(c.table(["scenario", "emulator", "bare", "bare / emulator", "bare, stream joined", "joined / emulator"], rows))


if __name__ == "__main__":
    main()
