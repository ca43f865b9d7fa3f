"""Shared helpers for the bench scripts: servers in subprocesses, free ports, statistics, tables.

Not part of the emulator package: the scripts put ``bench/`` on ``sys.path`` by being run from it
(``python bench/<script>.py``), so this module is imported as ``_common``.
"""

from __future__ import annotations

import compileall
import http.client
import importlib.util
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
HOST = "127.0.0.1"
TOKEN = "test-token"
AUTH_HEADER = f"Bearer {TOKEN}"
MODEL_ID = "84d6f2f1-27a5-4b5c-8a53-e2f7f1f5b0a3"
LIVENESS = "/v1/health/liveness"


#: Replaced by a per-request counter in the load generators' chat bodies (distinct conversations).
COUNTER = "{n}"


def chat_body(stream: bool, counter: str = "") -> bytes:
    """The request body every chat scenario sends (compact JSON, the same for emulator and bare).

    With ``counter`` (e.g. :data:`COUNTER`) the user's message carries it, so that a load generator that
    substitutes a running number sends a different conversation each time (no cache can answer it).
    """
    flag = "true" if stream else "false"
    content = f"Hello! Question {counter}" if counter else "Hello!"
    return (f'{{"modelId":"{MODEL_ID}","stream":{flag},"messages":[{{"role":"user","content":"{content}"}}]}}').encode()


# --------------------------------------------------------------------------- ports and servers


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def http_get_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    """Status of ``GET path`` on 127.0.0.1:port, or None when nothing answers yet."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def uvicorn_stack() -> str:
    """What uvicorn's ``auto`` loop/http settings resolve to in this interpreter."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop}+{http}"


def emulator_base() -> list[str]:
    """The ``cuadra-emulator`` console script next to this interpreter, else ``python -m emulator``."""
    script = Path(sys.executable).with_name("cuadra-emulator")
    return [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]


def emulator_command(port: int, extra: Sequence[str] = ()) -> list[str]:
    """``cuadra-emulator serve`` on ``port`` with ``extra`` flags."""
    return [*emulator_base(), "serve", "--host", HOST, "--port", str(port), "--log-level", "warning", *extra]


def bare_command(port: int) -> list[str]:
    """The bare Starlette reference on the same uvicorn settings as ``cuadra-emulator serve``.

    ``serve`` calls ``uvicorn.run(app, access_log=False, lifespan="on", log_level="warning")`` with the
    default ``loop``/``http`` (``auto``: uvloop + httptools when installed); so does this command.
    """
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "_bare_app:create_app",
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--lifespan",
        "on",
        "--log-level",
        "warning",
    ]


def serve_help() -> str:
    """``cuadra-emulator serve --help`` as text (to discover optional flags such as ``--rate-limit``)."""
    done = subprocess.run([*emulator_base(), "serve", "--help"], capture_output=True, text=True, timeout=60, check=False)
    return done.stdout


@dataclass
class Server:
    """A server subprocess on a free port; use as a context manager (always terminated on exit)."""

    name: str
    command_for_port: Callable[[int], list[str]]
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between the probe and the bind
            self.port = free_port()
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
            command = self.command_for_port(self.port)
            self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._log, env={**os.environ, **self.env})
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if http_get_status(self.port, LIVENESS) == 200:
                    return self
                time.sleep(0.02)
            last_error = self._stderr()
            self.stop()
        raise RuntimeError(f"{self.name} server did not start: {last_error[-2000:]}")

    def _stderr(self) -> str:
        log = self._log
        if log is None:
            return ""
        log.seek(0)
        return log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- statistics and output


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (``nan`` when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_ms(seconds: float, digits: int = 2) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:.{digits}f}"


def fmt_int(value: float) -> str:
    return "-" if value != value else f"{value:,.0f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A plain-text table: the first ``left`` columns left-aligned, the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c).ljust(w) if i < left else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        ).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in rows)
    return "\n".join(out)


@dataclass
class Budget:
    """The budget section: one PASS/FAIL (or SKIP) line per budget item (issue 7's unless ``issue`` says)."""

    lines: list[tuple[str, str, str]] = field(default_factory=list)
    issue: str = "issue 7"

    def check(self, label: str, ok: bool | None, measured: str) -> None:
        verdict = "SKIP" if ok is None else ("PASS" if ok else "FAIL")
        self.lines.append((verdict, label, measured))

    def render(self) -> str:
        out = ["", f"budget ({self.issue})"]
        width = max((len(label) for _, label, _ in self.lines), default=0)
        out.extend(f"  {verdict}  {label.ljust(width)}  {measured}" for verdict, label, measured in self.lines)
        return "\n".join(out)


def compile_bytecode() -> str:
    """Compile the ``emulator`` package's bytecode into its ``__pycache__`` directories; say what was done.

    ``pip install .`` (and the Docker image) compiles a package's bytecode at install time, but an editable
    install under ``PYTHONDONTWRITEBYTECODE=1`` never writes it: every start would then compile ~140 modules
    from source (~0.1 s of CPU), a cost no installed emulator pays. Cold-start figures are taken with the
    bytecode compiled, as installed. ``__pycache__`` is gitignored.
    """
    spec = importlib.util.find_spec("emulator")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return "bytecode: emulator package not found"
    package = Path(next(iter(spec.submodule_search_locations)))
    ok = compileall.compile_dir(package, quiet=1)
    status = "compiled" if ok else "compiled with errors"
    return f"bytecode: {status} for {package} (compileall into __pycache__, as pip install does)"


def machine() -> str:
    """One line naming the machine: cores, CPU model, Python, load average."""
    model = platform.processor() or "unknown CPU"
    try:
        for text_line in Path("/proc/cpuinfo").read_text().splitlines():
            if text_line.startswith("model name"):
                model = text_line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = "load avg " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "load avg n/a"
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()} ({platform.python_implementation()}), {load}"


def busy_warning() -> str:
    """A warning line when other processes keep the machine busy (figures are then unreliable), else ''."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return ""
    cores = os.cpu_count() or 1
    if load <= cores * 0.75:
        return ""
    return (
        f"WARNING: load average {load:.1f} on {cores} cores: other processes compete for the CPU, "
        "absolute figures and ratios are unreliable; re-run on a quiet machine"
    )


def which(tool: str) -> str | None:
    return shutil.which(tool)


def rich_fixtures(directory: Path) -> Path:
    """Copy the bundled fixtures into ``directory`` with credits and rate limits no load run can exhaust.

    A throughput run sends tens of thousands of chats; with the default 50,000 credits the emulator
    would (correctly) start answering 402 halfway through a run, and with the documented 60 requests a
    minute 429 after the first second. The limiter stays on (the default configuration): it counts every
    request against limits of a billion a minute.
    """
    import shutil

    import yaml

    from emulator.resources import bundled_dir

    shutil.copytree(bundled_dir("fixtures"), directory, dirs_exist_ok=True)
    orgs_file = directory / "organizations.yaml"
    data = yaml.safe_load(orgs_file.read_text())
    for org in data["organizations"]:
        org["credits"] = {**org.get("credits", {}), "limit": 10**12, "used": 0}
        org["rateLimits"] = {"perUser": 10**9, "perOrg": 10**9}
    orgs_file.write_text(yaml.safe_dump(data, sort_keys=False))
    return directory
