"""Requests/s and latency of the emulator next to a bare Starlette app on the same uvicorn settings.

    .venv/bin/python bench/throughput.py                 # ~45 s: 3 scenarios x 2 servers x (1 s + 4 s)
    .venv/bin/python bench/throughput.py --duration 15 --rounds 3 --json out.json

Scenarios: ``GET /v1/models``, ``POST /v1/chats`` (JSON reply) and a streamed ``POST /v1/chats``
(``"stream": true``, pacing off: events/s and time to the first event); every chat request is a distinct
conversation (a running number in the user's message). Servers, each in its own ``uvicorn`` subprocess on
a free 127.0.0.1 port: the emulator with its default configuration (rate limiter on; the bench fixtures
give limits of a billion a minute and credits no run exhausts, so no 429 or 402), the emulator with
``--rate-limit off``, and a bare Starlette app that parses the chat body and returns bytes captured from
the emulator a moment earlier, so the ratio emulator / bare is the cost of the emulator's own work on
this stack. The load comes from ``wrk`` when installed, else from ``bench/_loadgen.py`` (another process).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import _common as c

PRISM_RPS = 3_500  # Stoplight Prism mocking GET /v1/models on these machines (issue 7)
COPIED_HEADERS = ("x-chat-id", "cache-control", "x-accel-buffering", "x-vercel-ai-ui-message-stream")


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    method: str
    path: str
    body: bytes = b""
    stream: bool = False
    #: The body holds :data:`_common.COUNTER`, replaced by a running number per request (distinct chats).
    vary: bool = False

    def sample_body(self) -> bytes:
        """The body of a single request (captures and checks): the counter as 0."""
        return self.body.replace(c.COUNTER.encode(), b"0") if self.vary else self.body

    def headers(self) -> list[str]:
        headers = [f"Authorization: {c.AUTH_HEADER}"]
        if self.body:
            headers.append("Content-Type: application/json")
        return headers


SCENARIOS = [
    Scenario("models", "GET /v1/models", "GET", "/v1/models"),
    Scenario("chat", "POST /v1/chats", "POST", "/v1/chats", c.chat_body(False, c.COUNTER), vary=True),
    Scenario("stream", "POST /v1/chats stream", "POST", "/v1/chats", c.chat_body(True, c.COUNTER), stream=True, vary=True),
]


@dataclass
class Result:
    """One load run against one server (the fields both load generators fill)."""

    requests: int
    seconds: float
    rps: float
    p50: float
    p99: float
    events_per_s: float
    errors: int
    tool: str


# --------------------------------------------------------------------------- load generators


def run_python(port: int, sc: Scenario, connections: int, warmup: float, duration: float, max_requests: int) -> dict[str, Any]:
    """One ``_loadgen.py`` run in its own process; returns its JSON report."""
    cmd = [
        sys.executable,
        str(c.BENCH_DIR / "_loadgen.py"),
        "--port",
        str(port),
        "--method",
        sc.method,
        "--path",
        sc.path,
        "--connections",
        str(connections),
        "--warmup",
        str(warmup),
        "--duration",
        str(duration),
        "--max-requests",
        str(max_requests),
    ]
    for header in sc.headers():
        cmd += ["--header", header]
    if sc.body:
        cmd += ["--body", sc.body.decode()]
    if sc.vary:
        cmd += ["--vary", c.COUNTER]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=warmup + duration + 30, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def python_result(port: int, sc: Scenario, args: argparse.Namespace) -> Result:
    r = run_python(port, sc, args.connections, args.warmup, args.duration, args.max_requests)
    return Result(
        r["requests"],
        r["seconds"],
        r["rps"],
        _num(r["p50"]),
        _num(r["p99"]),
        r["events_per_s"] if sc.stream else math.nan,
        r["errors"],
        "python",
    )


WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"p50_us":%.0f,'
    .. '"p99_us":%.0f,"status":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"timeout":%.0f}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def wrk_script(sc: Scenario) -> str:
    lines = [f'wrk.method = "{sc.method}"']
    if sc.body:
        lines.append(f"wrk.body = [==[{sc.body.decode()}]==]")
    for header in sc.headers():
        name, _, value = header.partition(": ")
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    if sc.vary:  # a distinct conversation per request: the counter placeholder becomes a running number
        lines += [
            "local n = 0",
            "request = function()",
            "  n = n + 1",
            f'  return wrk.format(nil, nil, nil, (wrk.body:gsub("{c.COUNTER}", tostring(n))))',
            "end",
        ]
    return "\n".join(lines) + "\n" + WRK_DONE


def pinned(cpu: str | None, command: list[str]) -> list[str]:
    """``command`` run on CPU ``cpu`` (``taskset``), or as it is when pinning is off."""
    return command if cpu is None else ["taskset", "-c", cpu, *command]


def run_wrk(port: int, sc: Scenario, seconds: int, args: argparse.Namespace, script: Path) -> dict[str, Any]:
    cmd = [
        *pinned(args.load_cpu, []),
        args.wrk,
        "-t",
        str(args.threads),
        "-c",
        str(args.connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"http://{c.HOST}:{port}{sc.path}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            report: dict[str, Any] = json.loads(line[len("BENCHJSON ") :])
            return report
    raise RuntimeError(f"wrk failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")


def wrk_result(port: int, sc: Scenario, args: argparse.Namespace, events_per_stream: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(wrk_script(sc))
    script = Path(fh.name)
    try:
        if args.warmup > 0:
            run_wrk(port, sc, max(1, math.ceil(args.warmup)), args, script)
        r = run_wrk(port, sc, max(1, math.ceil(args.duration)), args, script)
    finally:
        script.unlink()
    seconds = r["duration_us"] / 1e6
    rps = r["requests"] / seconds
    errors = r["status"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
    events = rps * events_per_stream if sc.stream else math.nan
    return Result(int(r["requests"]), seconds, rps, r["p50_us"] / 1e6, r["p99_us"] / 1e6, events, int(errors), "wrk")


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


# --------------------------------------------------------------------------- servers and samples


def request(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(c.HOST, port, timeout=30)
    try:
        headers = {"Authorization": c.AUTH_HEADER}
        if body:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def capture_samples(port: int) -> dict[str, Any]:
    """Real emulator responses for the three scenarios (the bytes the bare app will send)."""
    samples: dict[str, Any] = {}
    for sc in SCENARIOS:
        status, headers, body = request(port, sc.method, sc.path, sc.sample_body())
        if status != 200:
            raise RuntimeError(f"{sc.label}: the emulator answered {status}: {body[:300]!r}")
        kept = {name: headers[name] for name in COPIED_HEADERS if name in headers}
        if sc.stream:
            events = [event + b"\n\n" for event in body.split(b"\n\n") if event]
            if b"".join(events) != body:
                raise RuntimeError("the stream is not made of blank-line-separated SSE events")
            samples["stream_events"] = [event.decode() for event in events]
            samples["stream_headers"] = kept
        elif sc.key == "chat":
            samples["chat"], samples["chat_headers"] = body.decode(), kept
        else:
            samples[sc.key] = body.decode()
    return samples


def check_bare(port: int, samples: dict[str, Any]) -> None:
    """The bare app must send what the emulator sent (same sizes; the stream the same event count)."""
    expected = {
        "models": samples["models"].encode(),
        "chat": samples["chat"].encode(),
        "stream": "".join(samples["stream_events"]).encode(),
    }
    for sc in SCENARIOS:
        status, _, body = request(port, sc.method, sc.path, sc.sample_body())
        if status != 200 or body != expected[sc.key]:
            raise RuntimeError(f"the bare app's {sc.label} differs from the emulator's ({status}, {len(body)} bytes)")


def reset(port: int) -> None:
    """Back to the fixtures between chat runs (credits and the store would otherwise keep growing)."""
    request(port, "POST", "/_emulator/reset")


# --------------------------------------------------------------------------- main


def emulator_command(flags: list[str], cpu: str | None, port: int) -> list[str]:
    return pinned(cpu, c.emulator_command(port, flags))


def bare_command(cpu: str | None, port: int) -> list[str]:
    return pinned(cpu, c.bare_command(port))


#: The emulator variants: the default configuration (rate limiter on, counting against limits of a
#: billion a minute from the bench fixtures) and, for comparison, ``--rate-limit off``.
VARIANTS = {"emulator": [], "limits-off": ["--rate-limit", "off"]}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    fixtures_dir = tempfile.TemporaryDirectory(prefix="bench-fixtures-")
    common = ["--fixtures", str(c.rich_fixtures(Path(fixtures_dir.name))), *args.emulator_args.split()]
    variants = {name: flags for name, flags in VARIANTS.items() if name in args.servers}
    tool = "wrk" if args.wrk else "python"
    print(f"machine:   {c.machine()}")
    if c.busy_warning():
        print(c.busy_warning())
    print(
        f"stack:     uvicorn {c.uvicorn_stack()}, access log off, 1 worker per server; "
        f"load: {tool} ({args.connections} connections, {args.warmup:g} s warm-up + {args.duration:g} s, "
        f"{args.rounds} round(s))"
    )
    for name, flags in variants.items():
        print(f"{name + ':':<11}cuadra-emulator serve {' '.join([*flags, *common])}")
    if args.server_cpu is not None:
        print(f"pinned:    every server on CPU {args.server_cpu}, wrk on CPU {args.load_cpu} (taskset; --no-pin to turn off)")
    print("chat:      every request a distinct conversation (a running number in the user's message)")
    print(f"bare:      stream sent {'one body message per event' if args.bare_stream == 'events' else 'in one body message'}")
    chosen = [sc for sc in SCENARIOS if sc.key in args.only]
    names = [*variants, "bare"]
    results: dict[str, dict[str, list[Result]]] = {sc.key: {name: [] for name in names} for sc in chosen}
    ttfb: dict[str, tuple[float, float]] = {}
    with contextlib.ExitStack() as stack:
        ports = {}
        for name, flags in variants.items():
            command = functools.partial(emulator_command, [*flags, *common], args.server_cpu)
            ports[name] = stack.enter_context(c.Server(name, command)).port
        samples = capture_samples(next(iter(ports.values())))
        events_per_stream = len(samples["stream_events"])
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(samples, fh)
        stack.callback(Path(fh.name).unlink)
        bare_env = {"BENCH_SAMPLES": fh.name, "BENCH_BARE_STREAM": args.bare_stream}
        ports["bare"] = stack.enter_context(c.Server("bare", functools.partial(bare_command, args.server_cpu), env=bare_env)).port
        check_bare(ports["bare"], samples)
        for round_no in range(args.rounds):
            order = names if round_no % 2 == 0 else names[::-1]
            for sc in chosen:
                for name in order:
                    if name != "bare":
                        reset(ports[name])
                    if args.wrk:
                        result = wrk_result(ports[name], sc, args, events_per_stream)
                    else:
                        result = python_result(ports[name], sc, args)
                    results[sc.key][name].append(result)
                    print(
                        f"  round {round_no + 1} {sc.label:<22} {name:<10} {result.rps:>9,.0f} req/s"
                        f"{'  ERRORS: ' + str(result.errors) if result.errors else ''}",
                        flush=True,
                    )
        stream = SCENARIOS[2]
        for name in names if stream in chosen else ():
            if name != "bare":
                reset(ports[name])
            r = run_python(ports[name], stream, 1, 0.2, args.ttfb_seconds, 500)
            ttfb[name] = (_num(r["ttfb_p50"]), _num(r["ttfb_p99"]))
    return {
        "results": results,
        "ttfb": ttfb,
        "events_per_stream": events_per_stream,
        "tool": tool,
        "servers": names,
        "bare_stream": args.bare_stream,
    }


def best(runs: list[Result]) -> Result:
    """The median run by requests/s (the middle one of the rounds)."""
    ordered = sorted(runs, key=lambda r: r.rps)
    return ordered[len(ordered) // 2]


def report(data: dict[str, Any]) -> tuple[str, dict[str, float]]:
    """The table, and the ratios to bare (``key`` for the default configuration, ``key/limits-off``)."""
    rows: list[list[str]] = []
    ratios: dict[str, float] = {}
    for sc in SCENARIOS:
        if sc.key not in data["results"]:
            continue
        runs = {name: best(found) for name, found in data["results"][sc.key].items()}
        metric = "events_per_s" if sc.stream else "rps"
        bare = getattr(runs["bare"], metric)
        for index, (name, r) in enumerate(runs.items()):
            ttfb = data["ttfb"].get(name) if sc.stream else None
            rows.append(
                [
                    sc.label if index == 0 else "",
                    name,
                    c.fmt_int(r.rps),
                    c.fmt_ms(r.p50),
                    c.fmt_ms(r.p99),
                    c.fmt_int(r.events_per_s),
                    f"{c.fmt_ms(ttfb[0])} / {c.fmt_ms(ttfb[1])}" if ttfb else "-",
                    str(r.errors),
                ]
            )
        for name, r in runs.items():
            if name == "bare":
                continue
            ratio = getattr(r, metric) / bare if bare else math.nan
            ratios[sc.key if name == "emulator" else f"{sc.key}/{name}"] = ratio
            rows.append(["", f"ratio {name}", f"{ratio:.0%}", "", "", "", "", ""])
    headers = ["scenario", "server", "req/s", "p50 ms", "p99 ms", "events/s", "TTFB p50/p99 ms", "errors"]
    return c.table(headers, rows, left=2), ratios


def budget(data: dict[str, Any], ratios: dict[str, float]) -> c.Budget:
    b = c.Budget(issue="issue 16")
    results = data["results"]

    def check(key: str, label: str, passed: bool, measured: str) -> None:
        if key not in results:
            b.check(label, None, "not measured (--only)")
            return
        errors = sum(r.errors for runs in results[key].values() for r in runs)
        b.check(label, False if errors else passed, measured + (f" ({errors} errors)" if errors else ""))

    joined = " (bare: one message)" if data.get("bare_stream") == "joined" else ""
    # Issue 16's lines, for the default configuration (rate limiter on); "limits-off" is for comparison.
    for key, label, floor in (
        ("models", "GET /v1/models (default config) >= 85% of bare Starlette req/s", 0.85),
        ("chat", "POST /v1/chats (default config, distinct chats) >= 50% of bare parsing the body", 0.50),
        ("stream", f"streamed chat (default config) >= 70% of bare Starlette SSE events/s{joined}", 0.70),
    ):
        ratio = ratios.get(key, math.nan)
        check(key, label, ratio >= floor, f"{ratio:.0%}")
    default = results.get("models", {}).get("emulator")
    rps = best(default).rps if default else math.nan
    check(
        "models",
        f"GET /v1/models >= 5x Prism ({5 * PRISM_RPS:,} req/s)",
        rps >= 5 * PRISM_RPS,
        f"{rps:,.0f} req/s ({rps / PRISM_RPS:.1f}x)",
    )
    return b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=4.0, help="measured seconds per run (default 4)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds before each run (default 1)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every run; the median round is shown")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: the server gets a core)")
    parser.add_argument(
        "--loadgen",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="auto: wrk when installed, else bench/_loadgen.py",
    )
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="python load generator: cap per run")
    parser.add_argument(
        "--bare-stream",
        choices=["events", "joined"],
        default="events",
        help="the bare app's stream: one body message per event (default, as a Starlette SSE handler) "
        "or all events in one message (as the emulator sends an unpaced stream)",
    )
    parser.add_argument("--ttfb-seconds", type=float, default=1.5, help="sequential stream probe for TTFB")
    parser.add_argument(
        "--only",
        type=lambda text: [k.strip() for k in text.split(",")],
        default=[sc.key for sc in SCENARIOS],
        help="comma-separated subset of: models, chat, stream (default: all)",
    )
    parser.add_argument(
        "--servers",
        type=lambda text: [k.strip() for k in text.split(",")],
        default=list(VARIANTS),
        help="emulator variants to run next to bare: emulator (default configuration, limiter on), limits-off",
    )
    parser.add_argument("--emulator-args", default="", help="extra 'cuadra-emulator serve' flags for every variant")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="do not pin (by default, with wrk, taskset and 2+ CPUs, the servers run on CPU 0 and wrk on CPU 1)",
    )
    args = parser.parse_args()
    if not set(args.servers) <= set(VARIANTS) or not args.servers:
        parser.error(f"--servers: choose from {', '.join(VARIANTS)}")
    unknown = set(args.only) - {sc.key for sc in SCENARIOS}
    if unknown or not args.only:
        parser.error(f"--only: unknown scenario(s) {', '.join(sorted(unknown))}")
    args.wrk = c.which("wrk") if args.loadgen in ("auto", "wrk") else None
    if args.loadgen == "wrk" and not args.wrk:
        parser.error("wrk is not installed (apt-get install -y wrk), use --loadgen python")
    pin = args.pin and args.wrk is not None and c.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    args.server_cpu, args.load_cpu = ("0", "1") if pin else (None, None)
    data = measure(args)
    text, ratios = report(data)
    print()
    print(text)
    how = " = streams/s x events per stream (wrk)" if data["tool"] == "wrk" else " counted by the load generator"
    print(
        f"\nstream: {data['events_per_stream']} events per response; TTFB = first body byte of one stream at "
        f"a time (1 connection); events/s{how}"
    )
    if data["tool"] == "python":
        print(
            "note: the Python load generator shares the 2 cores and may cap the bare app first "
            "(ratios then read high); install wrk for the reference figures"
        )
    print(budget(data, ratios).render())
    if args.json:
        raw = {
            **data,
            "results": {k: {n: [asdict(r) for r in v] for n, v in d.items()} for k, d in data["results"].items()},
            "ratios": ratios,
            "machine": c.machine(),
        }
        args.json.write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
