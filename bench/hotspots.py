"""Where the emulator's own per-request time goes: direct ASGI calls, no server, no sockets.

    .venv/bin/python bench/hotspots.py                    # ~10-20 s
    .venv/bin/python bench/hotspots.py -n 20000 --top 40 --only chat

Each request is a direct ``await app(scope, receive, send)`` with a prepared scope, so what is
measured is the app alone (routing, pipeline, handler, JSON, Starlette's response object): the same
calls (plus the unauthenticated liveness probe: the pipeline's fixed cost) are timed against the bare
Starlette app of ``throughput.py`` returning the same bytes (the ratio here is the upper bound of what
the HTTP ratio can reach). Then the emulator's calls are run
under cProfile and the top functions are printed (own time and cumulative time).
Rate limits are off (as in throughput.py); everything else is the default configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import _common as c
import _inproc


@dataclass(frozen=True)
class Call:
    key: str
    label: str
    method: str
    path: str
    body: bytes = b""


CALLS = [
    Call("liveness", "GET /v1/health/liveness", "GET", c.LIVENESS),
    Call("models", "GET /v1/models", "GET", "/v1/models"),
    Call("chat", "POST /v1/chats", "POST", "/v1/chats", c.chat_body(stream=False)),
    Call("stream", "POST /v1/chats stream", "POST", "/v1/chats", c.chat_body(stream=True)),
]


def scope_for(call: Call) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8787"), (b"authorization", c.AUTH_HEADER.encode())]
    if call.body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(call.body)).encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": call.method,
        "scheme": "http",
        "path": call.path,
        "raw_path": call.path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8787),
        "state": {},
    }


async def asgi_call(
    app: Any, call: Call, extra_headers: tuple[tuple[bytes, bytes], ...] = ()
) -> tuple[int, dict[str, str], bytes]:
    """One request straight into ``app`` (plus ``extra_headers``); returns status, headers and the whole body."""
    delivered = False
    status = 0
    headers: dict[str, str] = {}
    chunks: list[bytes] = []
    never: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": call.body, "more_body": False}
        message: dict[str, Any] = await never  # the client never disconnects
        return message

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers.update((k.decode(), v.decode()) for k, v in message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = scope_for(call)
    scope["headers"] += extra_headers
    await app(scope, receive, send)
    never.cancel()
    return status, headers, b"".join(chunks)


async def samples_of(app: Any) -> dict[str, Any]:
    """The emulator's bytes for each call (the bare app will send the same)."""
    out: dict[str, Any] = {}
    for call in CALLS:
        status, headers, body = await asgi_call(app, call)
        if status != 200:
            raise RuntimeError(f"{call.label}: {status} {body[:300]!r}")
        kept = {k: v for k, v in headers.items() if k.startswith("x-") or k == "cache-control"}
        if call.key == "stream":
            out["stream_events"] = [e.decode() + "\n\n" for e in body.split(b"\n\n") if e]
            out["stream_headers"] = kept
        elif call.key == "chat":
            out["chat"], out["chat_headers"] = body.decode(), kept
        elif call.key == "models":
            out["models"] = body.decode()
    return out


async def per_request(app: Any, call: Call, n: int, reset: Any = None) -> float:
    """Mean seconds per request over ``n`` sequential calls (resetting every 1000 if given)."""
    total = 0.0
    for i in range(n):
        if reset is not None and i % 1000 == 0:
            reset()
        started = perf_counter()
        status, _, _ = await asgi_call(app, call)
        total += perf_counter() - started
        if status != 200:
            raise RuntimeError(f"{call.label} answered {status}")
    return total / n


def profile(app: Any, call: Call, n: int, top: int) -> str:
    """cProfile ``n`` calls; the top functions by own time and by cumulative time."""
    profiler = cProfile.Profile()

    async def run() -> None:
        for i in range(n):
            if i % 1000 == 0:
                app.state.reset()
            profiler.enable()
            await asgi_call(app, call)
            profiler.disable()

    asyncio.run(run())
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return "\n".join(
        line for line in out.getvalue().splitlines() if line.strip() and not line.startswith(("   Ordered by", "   List reduced"))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=3000, help="requests per measurement (default 3000)")
    parser.add_argument("--top", type=int, default=20, help="functions shown per profile table")
    parser.add_argument(
        "--only",
        choices=[call.key for call in CALLS],
        action="append",
        help="profile only these calls (repeatable; default models and chat)",
    )
    args = parser.parse_args()
    from _bare_app import create_app as create_bare

    from emulator import create_app

    print(f"machine: {c.machine()}")
    if c.busy_warning():
        print(c.busy_warning())
    print()
    app = create_app(_inproc.bench_config())
    samples = asyncio.run(samples_of(app))
    bare = create_bare(samples)
    rows = []
    for call in CALLS:
        emu_s = asyncio.run(per_request(app, call, args.n, app.state.reset))
        bare_s = asyncio.run(per_request(bare, call, args.n))
        rows.append(
            [
                call.label,
                f"{emu_s * 1e6:,.0f}",
                f"{bare_s * 1e6:,.0f}",
                f"{bare_s / emu_s:.0%}",
                f"{(emu_s - bare_s) * 1e6:,.0f}",
            ]
        )
    print(c.table(["direct ASGI call", "emulator us", "bare us", "bare/emulator", "extra us"], rows))
    print(f"(n = {args.n} sequential calls each; a stream call includes all {len(samples['stream_events'])} events)")
    for call in CALLS:
        if call.key in (args.only or ["models", "chat"]):
            print(f"\n=== cProfile: {call.label} x {args.n} ===")
            print(profile(app, call, args.n, args.top))


if __name__ == "__main__":
    main()
