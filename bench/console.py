"""Throughput of the API with the web console's live journal open, against none open.

    .venv/bin/python bench/console.py                      # ~40 s: 3 rounds x 3 modes x (1 s + 4 s)
    .venv/bin/python bench/console.py --duration 10 --rounds 5

One ``cuadra-emulator serve`` subprocess (rate limits off) takes ``GET /v1/models`` from
``bench/_loadgen.py`` (closed loop, another process) in three modes, interleaved round by round:

- ``none``: no console open (the journal step's only extra work is one truthiness test);
- ``console``: a reader process holding ``GET /_emulator/requests/stream`` open and reading every
  batch, as the console page does (it counts the rows it got and the ones the server dropped);
- ``stalled``: a reader that connects and never reads (a frozen browser tab): the server must keep
  serving and its memory must stay bounded (each console's buffer holds at most 512 rows).

Prints requests/s per mode (median of the rounds), the ratio to ``none`` and the server's resident
memory after each mode. The budget: ``console`` keeps >= 90% of ``none``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as c

MODES = ("none", "console", "stalled")


def reader(port: int, stall: bool, counts: Path) -> None:
    """The console's side: read the journal stream until killed, writing the rows and drops seen to ``counts``."""
    if stall:
        sock = socket.create_connection((c.HOST, port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(f"GET /_emulator/requests/stream HTTP/1.1\r\nHost: {c.HOST}\r\n\r\n".encode())
        sys.stdout.write("connected\n")
        sys.stdout.flush()
        time.sleep(3600)  # never read: the server's writes back up and its buffer must drop rows
        return
    conn = http.client.HTTPConnection(c.HOST, port)
    conn.request("GET", "/_emulator/requests/stream")
    response = conn.getresponse()
    sys.stdout.write("connected\n")
    sys.stdout.flush()
    rows = dropped = 0
    for line in response:
        if line.startswith(b"data: "):
            batch = json.loads(line[6:])
            rows += len(batch["rows"])
            dropped += batch["dropped"]
            counts.write_text(json.dumps({"rows": rows, "dropped": dropped}))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def load(port: int, warmup: float, duration: float) -> float:
    cmd = [sys.executable, str(c.BENCH_DIR / "_loadgen.py"), "--port", str(port), "--path", "/v1/models"]
    cmd += ["--header", f"Authorization: {c.AUTH_HEADER}", "--warmup", str(warmup), "--duration", str(duration)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=warmup + duration + 30, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["rps"])


def run_mode(server: c.Server, mode: str, warmup: float, duration: float, counts: Path) -> tuple[float, int]:
    proc = None
    if mode != "none":
        args = [sys.executable, __file__, "--reader", str(server.port), "--stall" if mode == "stalled" else "--read", str(counts)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        proc.stdout.readline()  # connected
        time.sleep(0.2)
    try:
        rps = load(server.port, warmup, duration)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(5)
    assert server.proc is not None
    return rps, rss_kb(server.proc.pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reader", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stall", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--read", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("counts", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reader:
        reader(args.reader, args.stall, Path(args.counts))
        return
    counts = Path(tempfile.mkdtemp()) / "counts.json"
    results: dict[str, list[float]] = {mode: [] for mode in MODES}
    memory: dict[str, int] = {}
    print(c.machine())
    print(c.busy_warning())
    with c.Server("emulator", lambda port: c.emulator_command(port, ["--rate-limit", "off"])) as server:
        for _ in range(args.rounds):
            for mode in MODES:
                rps, rss = run_mode(server, mode, args.warmup, args.duration, counts)
                results[mode].append(rps)
                memory[mode] = max(memory.get(mode, 0), rss)
    base = c.median(results["none"])
    rows = [
        [mode, c.fmt_int(c.median(values)), f"{c.median(values) / base:.0%}", f"{memory[mode] / 1024:.0f} MB"]
        for mode, values in results.items()
    ]
    print(c.table(["mode", "req/s (median)", "vs none", "server RSS (max)"], rows))
    seen = json.loads(counts.read_text()) if counts.exists() else {"rows": 0, "dropped": 0}
    print(f"last reading console: {seen['rows']} rows pushed, {seen['dropped']} dropped (coalesced for a slow reader)")
    budget = c.Budget()
    ratio = c.median(results["console"]) / base
    budget.check("console open keeps >= 90% of the throughput", ratio >= 0.9, f"{ratio:.0%}")
    growth = memory["stalled"] - memory["console"]
    label = "a stalled console does not grow memory (< 50 MB over a reading one)"
    budget.check(label, growth < 50 * 1024, f"{growth / 1024:+.0f} MB")
    print(budget.render().replace("budget (issue 7)", "budget (issue 13)"))


if __name__ == "__main__":
    main()
