"""Start-up and reset costs: cold start of the server, in-process app build, ``state.reset()``.

    .venv/bin/python bench/startup.py                     # ~10-20 s
    .venv/bin/python bench/startup.py --cold 30 --inproc 1000

1. Cold start: ``cuadra-emulator serve --port <free>`` spawned until the first 200 on
   ``/v1/health/liveness`` (median of ``--cold``), next to ``uvicorn`` serving a bare Starlette app.
   The ``emulator`` package's bytecode is compiled first (``compileall`` into ``__pycache__``), as
   ``pip install .`` and the Docker image do: an editable install under ``PYTHONDONTWRITEBYTECODE=1``
   would otherwise compile every module from source at each start.
2. In-process: ``create_app()`` + the first request through ``httpx.ASGITransport`` (median of
   ``--inproc``), next to building a bare Starlette app + its first request. The very first build in
   the process (lazy imports) is shown separately.
3. ``app.state.reset()`` with 10k stored objects: 10k datasets created since the last reset, and
   10k datasets in the fixture baseline (the clone a reset makes).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import time
from collections.abc import Callable
from time import perf_counter
from typing import Any

import _common as c
import _inproc

COLD_BUDGET = 0.3
INPROC_BUDGET = 0.005
RESET_BUDGET = 0.001


def cold_start(command: list[str], timeout: float = 30.0) -> float:
    """Seconds from spawning ``command`` to the first 200 on the liveness path."""
    port = int(command[command.index("--port") + 1])
    started = perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while perf_counter() - started < timeout:
            if c.http_get_status(port, c.LIVENESS, timeout=1.0) == 200:
                return perf_counter() - started
            if proc.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {proc.returncode} before answering")
            time.sleep(0.002)
        raise RuntimeError(f"no 200 on {c.LIVENESS} within {timeout} s")
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def measure_cold(n: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"emulator": [], "bare": []}
    for i in range(n):
        order = ("emulator", "bare") if i % 2 == 0 else ("bare", "emulator")
        for name in order:
            port = c.free_port()
            command = c.emulator_command(port) if name == "emulator" else c.bare_command(port)
            times[name].append(cold_start(command))
    return times


async def timed(n: int, build: Callable[[], Any], path: str, token: str | None) -> list[float]:
    """Seconds of ``build()`` + one ``GET path`` through a fresh ASGITransport client, ``n`` times."""
    times = []
    for _ in range(n):
        started = perf_counter()
        app = build()
        async with _inproc.client(app, token) as http:
            response = await http.get(path)
        elapsed = perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
        times.append(elapsed)
    return times


async def measure_inproc(n: int) -> dict[str, list[float]]:
    from _bare_app import create_app as create_bare

    from emulator import create_app

    out: dict[str, list[float]] = {}
    # First in this process: includes whatever create_app and the first request import lazily.
    out["emulator: first build + request in the process"] = await timed(1, create_app, c.LIVENESS, c.TOKEN)
    out["bare: first build + request in the process"] = await timed(1, create_bare, c.LIVENESS, None)
    out["emulator: build + GET liveness"] = await timed(n, create_app, c.LIVENESS, c.TOKEN)
    out["bare: build + GET liveness"] = await timed(n, create_bare, c.LIVENESS, None)
    out["emulator: build + GET /v1/models"] = await timed(n, create_app, "/v1/models", c.TOKEN)
    build_only = []
    for _ in range(n):
        started = perf_counter()
        create_app()
        build_only.append(perf_counter() - started)
    out["emulator: create_app() alone"] = build_only
    return out


async def measure_reset(objects: int, repeats: int) -> dict[str, list[float]]:
    from emulator import create_app

    app = create_app()
    org_id, kind, template = await _inproc.dataset_template(app)
    state = app.state
    after_inserts = []
    for _ in range(repeats):
        _inproc.insert_copies(state.store, org_id, kind, template, 0, objects)
        started = perf_counter()
        state.reset()
        after_inserts.append(perf_counter() - started)
    fixtures_only = []
    for _ in range(repeats):
        started = perf_counter()
        state.reset()
        fixtures_only.append(perf_counter() - started)
    _inproc.insert_copies(state.baseline, org_id, kind, template, 0, objects)
    state.reset()
    if len(state.store.collection(org_id, kind)) < objects:
        raise RuntimeError("records inserted into state.baseline did not survive a reset")
    in_baseline = []
    for _ in range(repeats):
        started = perf_counter()
        state.reset()
        in_baseline.append(perf_counter() - started)
    return {
        "fixtures only": fixtures_only,
        f"{objects:,} created since last reset": after_inserts,
        f"{objects:,} in the fixture baseline": in_baseline,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", type=int, default=10, help="cold starts per server (median; default 10)")
    parser.add_argument("--inproc", type=int, default=200, help="in-process builds (median; default 200)")
    parser.add_argument("--objects", type=int, default=10_000, help="stored objects for the reset cost")
    parser.add_argument("--resets", type=int, default=20, help="timed resets per case (median)")
    args = parser.parse_args()
    print(f"machine: {c.machine()}")
    print(c.compile_bytecode())
    if c.busy_warning():
        print(c.busy_warning())
    print(f"stack:   uvicorn {c.uvicorn_stack()}, access log off\n")
    budget = c.Budget()

    inproc = asyncio.run(measure_inproc(args.inproc))
    resets = asyncio.run(measure_reset(args.objects, args.resets))
    cold = measure_cold(args.cold)

    def row(label: str, values: list[float], digits: int) -> list[str]:
        stats = (c.median(values), min(values), max(values))
        return [label, *(c.fmt_ms(v, digits) for v in stats), str(len(values))]

    rows = [row(f"cold start -> first 200 ({name})", v, 1) for name, v in cold.items()]
    rows += [row(f"in-process {name}", v, 3) for name, v in inproc.items()]
    rows += [row(f"state.reset() ({name})", v, 3) for name, v in resets.items()]
    print(c.table(["measurement", "median ms", "min ms", "max ms", "n"], rows))

    cold_emu, cold_bare = c.median(cold["emulator"]), c.median(cold["bare"])
    budget.check(
        f"cold start <= {COLD_BUDGET} s to first 200",
        cold_emu <= COLD_BUDGET,
        f"{cold_emu:.3f} s (bare Starlette {cold_bare:.3f} s)",
    )
    build = c.median(inproc["emulator: build + GET liveness"])
    bare_build = c.median(inproc["bare: build + GET liveness"])
    budget.check(
        f"in-process create_app + first request <= {INPROC_BUDGET * 1000:g} ms",
        build <= INPROC_BUDGET,
        f"{build * 1000:.2f} ms (bare Starlette {bare_build * 1000:.2f} ms)",
    )
    for name, values in resets.items():
        if name == "fixtures only":
            continue
        value = c.median(values)
        budget.check(f"reset <= {RESET_BUDGET * 1000:g} ms ({name})", value <= RESET_BUDGET, f"{value * 1000:.3f} ms")
    print(budget.render())


if __name__ == "__main__":
    main()
