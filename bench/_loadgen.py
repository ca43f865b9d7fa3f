"""A small HTTP/1.1 keep-alive load generator (the fallback when ``wrk`` is not installed).

Run as its own process so it does not share an interpreter with the server it measures::

    python bench/_loadgen.py --port 8787 --path /v1/models --header 'Authorization: Bearer test-token'

``--connections`` keep-alive connections each send one request at a time (closed loop, like wrk).
Requests completed in the window ``[warmup, warmup + duration]`` (or until ``--max-requests``) are
counted; it stops by itself. Prints one JSON object: requests, rps, latency percentiles, time to the
first body byte, SSE events (blank-line-separated frames) and any non-2xx statuses or socket errors.
Responses are parsed with httptools (shipped with ``uvicorn[standard]``), else a small Python parser.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from time import perf_counter
from typing import Any, Protocol

try:
    import httptools
except ImportError:  # pragma: no cover - uvicorn[standard] brings it
    httptools = None  # type: ignore[assignment]


class _Callbacks(Protocol):
    def on_body(self, body: bytes) -> None: ...

    def on_message_complete(self) -> None: ...


class PyResponseParser:
    """Incremental HTTP/1.1 response parser (Content-Length and chunked bodies), httptools-shaped."""

    def __init__(self, callbacks: _Callbacks) -> None:
        self._cb = callbacks
        self._buf = bytearray()
        self._state = "head"
        self._status = 0
        self._keep_alive = True
        self._remaining = 0

    def get_status_code(self) -> int:
        return self._status

    def should_keep_alive(self) -> bool:
        return self._keep_alive

    def feed_data(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        while True:
            state = self._state
            if state == "head":
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
                del buf[: end + 4]
                self._status = int(lines[0].split(" ", 2)[1])
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip().lower()
                self._keep_alive = headers.get("connection") != "close"
                if headers.get("transfer-encoding") == "chunked":
                    self._state = "size"
                else:
                    self._remaining = int(headers.get("content-length", "0"))
                    self._state = "body"
            elif state in ("body", "chunk"):
                if self._remaining:
                    if not buf:
                        return
                    take = bytes(buf[: self._remaining])
                    del buf[: len(take)]
                    self._remaining -= len(take)
                    self._cb.on_body(take)
                    if self._remaining:
                        return
                if state == "body":
                    self._complete()
                else:
                    self._state = "chunk_end"
            elif state == "chunk_end":
                if len(buf) < 2:
                    return
                del buf[:2]
                self._state = "size"
            elif state in ("size", "trailer"):
                end = buf.find(b"\r\n")
                if end < 0:
                    return
                size_line = bytes(buf[:end])
                del buf[: end + 2]
                if state == "trailer":
                    if not size_line:
                        self._complete()
                    continue
                size = int(size_line.split(b";", 1)[0], 16)
                self._state = "trailer" if size == 0 else "chunk"
                self._remaining = size

    def _complete(self) -> None:
        self._state = "head"
        self._cb.on_message_complete()


class Run:
    """Shared state of one load run: the window, the counters and the stop condition."""

    def __init__(self, request: bytes | Callable[[int], bytes], warmup: float, duration: float, max_requests: int) -> None:
        #: The bytes sent each time, or a function of the running request number (distinct bodies).
        self.request = request
        self.sent = 0
        now = perf_counter()
        self.measure_from = now + warmup
        self.deadline = self.measure_from + duration
        self.max_requests = max_requests
        self.end: float | None = None
        self.latencies: list[float] = []
        self.ttfb: list[float] = []
        self.events = 0
        self.statuses: Counter[int] = Counter()
        self.socket_errors = 0
        self.done = asyncio.Event()
        self.httptools = httptools is not None

    def next_request(self) -> bytes:
        request = self.request
        if isinstance(request, bytes):
            return request
        self.sent += 1
        return request(self.sent)

    def running(self) -> bool:
        return self.end is None and perf_counter() < self.deadline

    def record(self, started: float, first_body: float, finished: float, status: int, events: int) -> None:
        if finished < self.measure_from or self.end is not None or finished > self.deadline:
            return
        self.statuses[status] += 1
        self.latencies.append(finished - started)
        self.ttfb.append((first_body or finished) - started)
        self.events += events
        if len(self.latencies) >= self.max_requests:
            self.end = finished
            self.done.set()


class Client(asyncio.Protocol):
    """One keep-alive connection sending the run's request again as soon as a response completes."""

    def __init__(self, run: Run, loop: asyncio.AbstractEventLoop, address: tuple[str, int]) -> None:
        self.run = run
        self.loop = loop
        self.address = address
        self.transport: asyncio.Transport | None = None
        self.parser: Any = httptools.HttpResponseParser(self) if run.httptools else PyResponseParser(self)
        self.started = self.first_body = 0.0
        self.events = 0
        self.newline_tail = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not subclasses
        self.fire()

    def fire(self) -> None:
        assert self.transport is not None
        if not self.run.running():
            self.transport.close()
            return
        self.started = perf_counter()
        self.first_body = 0.0
        self.events = 0
        self.newline_tail = False
        self.transport.write(self.run.next_request())

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except Exception:  # a malformed response: count it and drop the connection
            self.run.socket_errors += 1
            assert self.transport is not None
            self.transport.close()

    def on_body(self, body: bytes) -> None:
        if not self.first_body:
            self.first_body = perf_counter()
        count = body.count(b"\n\n")
        if self.newline_tail and body[:1] == b"\n":
            count += 1
        self.newline_tail = body[-1:] == b"\n"
        self.events += count

    def on_message_complete(self) -> None:
        self.run.record(self.started, self.first_body, perf_counter(), self.parser.get_status_code(), self.events)
        if self.parser.should_keep_alive():
            self.fire()
        elif self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.run.running():
            return
        if exc is not None:
            self.run.socket_errors += 1
        connect(self.loop, self.run, self.address)


def connect(loop: asyncio.AbstractEventLoop, run: Run, address: tuple[str, int]) -> None:
    """Open one more client connection (in the background; a refused connect counts as an error)."""

    async def go() -> None:
        try:
            await loop.create_connection(lambda: Client(run, loop, address), *address)
        except OSError:
            run.socket_errors += 1

    loop.create_task(go())


def build_request(method: str, host: str, port: int, path: str, headers: Sequence[str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", *headers]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def load(args: argparse.Namespace) -> dict[str, Any]:
    body = args.body.encode() if args.body else b""
    request: bytes | Callable[[int], bytes] = build_request(args.method, args.host, args.port, args.path, args.header, body)
    if args.vary:  # every request its own body: the placeholder becomes the request's number
        head, _, tail = body.partition(args.vary.encode())

        def numbered(n: int) -> bytes:
            return build_request(args.method, args.host, args.port, args.path, args.header, b"%s%d%s" % (head, n, tail))

        request = numbered
    run = Run(request, args.warmup, args.duration, args.max_requests)
    run.httptools = run.httptools and args.parser != "python"
    loop = asyncio.get_running_loop()
    address = (args.host, args.port)
    for _ in range(args.connections):
        connect(loop, run, address)
    try:
        await asyncio.wait_for(run.done.wait(), timeout=run.deadline - perf_counter())
    except TimeoutError:
        run.end = run.deadline
    end = run.end if run.end is not None else run.deadline
    window = max(end - run.measure_from, 1e-9)
    lat = sorted(run.latencies)
    ttfb = sorted(run.ttfb)
    ok = sum(n for status, n in run.statuses.items() if 200 <= status < 300)

    def pct(values: list[float], p: float) -> float | None:
        return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else None

    return {
        "requests": len(lat),
        "seconds": window,
        "rps": len(lat) / window,
        "p50": pct(lat, 50),
        "p90": pct(lat, 90),
        "p99": pct(lat, 99),
        "ttfb_p50": pct(ttfb, 50),
        "ttfb_p99": pct(ttfb, 99),
        "events": run.events,
        "events_per_s": run.events / window,
        "errors": len(lat) - ok + run.socket_errors,
        "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "socket_errors": run.socket_errors,
        "parser": "httptools" if run.httptools else "python",
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--path", default="/")
    parser.add_argument("--header", action="append", default=[], help="'Name: value' (repeatable)")
    parser.add_argument("--body", default="")
    parser.add_argument("--vary", default="", help="a placeholder in --body replaced by a running request number")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--parser", choices=["auto", "python"], default="auto", help="python: skip httptools")
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(load(args))
        result["loop"] = "asyncio"
    else:
        result = uvloop.run(load(args))
        result["loop"] = "uvloop"
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
