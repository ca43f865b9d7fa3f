"""Issue 11 points 5 and 7: `serve` says where it listens only once bound, fails clearly on a busy
port, and warns loudly when its control plane is open on a non-loopback address."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from emulator.cli import EXIT_CANNOT_BIND, main


@pytest.fixture
def bound(monkeypatch: pytest.MonkeyPatch) -> list[socket.socket]:
    """Stop `serve` where uvicorn would take over, keeping the sockets it was handed."""
    seen: list[socket.socket] = []

    def fake_run(self: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        seen.extend(sockets or [])

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    return seen


def _serve(*args: str) -> Any:
    return CliRunner().invoke(main, ["serve", *args], env={"EMULATOR_ADMIN_TOKEN": "", "EMULATOR_HOST": ""})


def test_hardening_serve_port_0_prints_the_bound_port_once_listening(bound: list[socket.socket]) -> None:
    result = _serve("--port", "0")
    assert result.exit_code == 0, result.output
    [sock] = bound
    port = sock.getsockname()[1]
    assert port != 0
    first, console = result.stderr.splitlines()
    assert first.startswith(f"cuadra-emulator listening on http://127.0.0.1:{port} (seed 0, clock system, auth strict")
    assert console == f"web console: http://127.0.0.1:{port}/_emulator/console/"
    with socket.create_connection(("127.0.0.1", port), timeout=5):  # already listening when printed
        pass
    sock.close()


def test_hardening_serve_on_a_busy_port_fails_with_one_line(bound: list[socket.socket]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _serve("--port", str(port))
    assert result.exit_code == EXIT_CANNOT_BIND
    assert bound == []
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cuadra-emulator: cannot listen on 127.0.0.1:{port}: "), lines
    assert "listening on" not in result.output


@pytest.mark.parametrize(
    ("args", "warned"),
    [
        pytest.param(["--host", "0.0.0.0"], True, id="any-address-open"),
        pytest.param(["--host", "0.0.0.0", "--admin-token", "s3cret"], False, id="any-address-with-admin-token"),
        pytest.param(["--host", "127.0.0.1"], False, id="loopback"),
        pytest.param(["--host", "localhost"], False, id="localhost"),
    ],
)
def test_hardening_serve_warns_when_the_control_plane_is_open_to_the_network(
    bound: list[socket.socket], args: list[str], warned: bool
) -> None:
    result = _serve("--port", "0", *args)
    for sock in bound:
        sock.close()
    assert result.exit_code == 0, result.output
    assert (
        "WARNING: cuadra-emulator is bound to 0.0.0.0, a non-loopback address, without --admin-token." in result.stderr
    ) is warned
    assert result.stderr.rstrip().splitlines()[-2].startswith("cuadra-emulator listening on http://")
