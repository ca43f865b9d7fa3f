"""Instructions per request, in-process: a figure the machine's load does not change.

    .venv/bin/python bench/instructions.py                      # ~1-3 min: callgrind, every call
    .venv/bin/python bench/instructions.py --only chat -n 400

Wall-clock figures on a shared machine move with the load average; instruction counts do not. Each call
(``hotspots.py``'s direct ASGI requests: no server, no socket) runs ``n`` and ``2n`` times in a fresh
process under ``valgrind --tool=callgrind``; the difference of the two totals divided by ``n`` is the
cost of one request (start-up, imports and ``create_app`` cancel out). The app has the **default
configuration** (rate limiter on) with the bench fixtures (limits of 10^9 a minute, credits no run
exhausts); ``--limits off`` serves ``rate_limit="off"``. Chat requests are distinct conversations.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import _common as c
from hotspots import CALLS, Call, asgi_call

VARIED = {"chat": c.chat_body(False, c.COUNTER), "stream": c.chat_body(True, c.COUNTER)}


async def run(key: str, n: int, limits: str) -> None:
    """Build the app, send one warm-up request, then ``n`` requests of ``key`` (the measured body)."""
    from emulator import Config, create_app

    fixtures = c.rich_fixtures(Path(tempfile.mkdtemp(prefix="bench-fixtures-")))
    app: Any = create_app(Config(fixtures_dir=fixtures, rate_limit=limits))  # type: ignore[arg-type]
    call = next(call for call in CALLS if call.key == key)
    template = VARIED.get(key)
    for i in range(n + 1):
        if template is not None:
            call = Call(call.key, call.label, call.method, call.path, template.replace(c.COUNTER.encode(), str(i).encode()))
        status, _, body = await asgi_call(app, call)
        if status != 200:
            raise RuntimeError(f"{call.label} answered {status}: {body[:300]!r}")


def callgrind_total(key: str, n: int, limits: str) -> int:
    """Total instructions of a fresh process sending ``n`` requests, under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/out",
            sys.executable,
            __file__,
            "--child",
            key,
            "-n",
            str(n),
            "--limits",
            limits,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or found is None:
            raise RuntimeError(f"callgrind failed: {done.stderr[-2000:]}")
        return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="requests in the short run (the long one sends 2n)")
    parser.add_argument("--only", action="append", choices=[call.key for call in CALLS], help="repeatable")
    parser.add_argument("--limits", choices=["on", "off"], default="on", help="rate limiter (default on)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(run(args.child, args.n, args.limits))
        return
    if c.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install -y valgrind)")
    print(f"machine: {c.machine()}")
    print(f"instructions per request (callgrind, ({args.n} x 2 - {args.n}) requests, rate limiter {args.limits})")
    for key in args.only or [call.key for call in CALLS]:
        short, long = callgrind_total(key, args.n, args.limits), callgrind_total(key, 2 * args.n, args.limits)
        print(f"  {key:<10} {(long - short) / args.n:>12,.0f}", flush=True)


if __name__ == "__main__":
    main()
