"""``cuadra-emulator serve`` in a child process: what the pytest plugin starts with ``--cuadra-server subprocess``.

The child runs exactly the command a user runs (``python -m emulator serve``), configured by flags
derived from a :class:`~emulator.config.Config`, on a free port it reports on its standard error.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import fields
from types import TracebackType
from typing import Any, Self

import httpx

from .config import Config

#: Config fields ``serve`` has no flag for: a value other than the default cannot reach the child.
_NO_FLAG = ("clock_start", "journal_size", "max_body_bytes", "stream_token_interval", "jwt_leeway", "watch_interval")
#: Boolean Config fields -> their ``serve`` flag (given when true).
_SWITCHES = {"watch_scenarios": "--watch", "strict_requests": "--strict-requests", "show_credentials": "--show-credentials"}
_CONSOLE_LINE = re.compile(rb"web console: (http://[^/\s]+)/")


def serve_arguments(config: Config) -> list[str]:
    """The ``cuadra-emulator serve`` arguments that rebuild ``config`` in another process.

    Raises :class:`ValueError` naming a field that differs from its default and has no ``serve`` flag.
    """
    default = Config()
    for name in _NO_FLAG:
        if getattr(config, name) != getattr(default, name):
            raise ValueError(f"Config.{name} has no `cuadra-emulator serve` option; use the in-process server")
    args: list[str] = []
    for field in fields(Config):
        name, value = field.name, getattr(config, field.name)
        if name in _NO_FLAG or value is None:
            continue
        if name in _SWITCHES:
            args += [_SWITCHES[name]] if value else []
        elif name == "bundled_fixtures":
            args += [] if value else ["--no-bundled-fixtures"]
        elif name == "fixtures_dir":
            args += ["--fixtures", str(value)]
        elif name == "scenarios":
            args += [arg for scenario in value for arg in ("--scenario", str(scenario))]
        elif name == "cors_origins":
            args += ["--cors-origins", ",".join(value)] if value else []
        else:
            args += [f"--{name.replace('_', '-')}", str(value)]
    return args


class ServerProcess:
    """A ``serve`` child process on ``127.0.0.1`` and a free port; :meth:`start` returns once it is healthy.

    Its standard error goes to a temporary file, quoted in the error when it fails to start.
    """

    def __init__(self, config: Config, *, startup_timeout: float = 60.0) -> None:
        self.config = config.with_(host="127.0.0.1", port=0)
        self.startup_timeout = startup_timeout
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def start(self) -> Self:
        command = [sys.executable, "-m", "emulator", "serve", *serve_arguments(self.config)]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("EMULATOR_")}  # the flags say it all
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the child; closed by stop)
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._log, env=environment)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = self._output()
                self.stop()
                raise RuntimeError(f"cuadra-emulator serve exited with {self._process.returncode}: {output}")
            if not self.url:
                found = _CONSOLE_LINE.search(self._output_bytes())
                self.url = found.group(1).decode() if found else ""
            if self.url and self._healthy():
                return self
            time.sleep(0.02)  # polling a child process from test infrastructure, not emulator logic
        output = self._output()
        self.stop()
        raise RuntimeError(f"cuadra-emulator serve did not become healthy in {self.startup_timeout} s: {output}")

    def _healthy(self) -> bool:
        token = self.config.admin_token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            return httpx.get(f"{self.url}/_emulator/health", headers=headers, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def _output_bytes(self) -> bytes:
        self._log.seek(0)
        data: bytes = self._log.read()
        return data

    def _output(self) -> str:
        return self._output_bytes().decode("utf-8", "replace").strip()

    def stop(self) -> None:
        """Terminate the child (SIGTERM, then SIGKILL after 10 s) and wait for it."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
