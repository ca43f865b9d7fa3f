"""The CLI builds the right Config from flags and EMULATOR_* variables, and fails cleanly on bad fixtures."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from emulator.cli import EXIT_CONFIG_ERROR, build_config, main


def test_cli_defaults() -> None:
    config = build_config()
    assert (config.host, config.port, config.seed, config.clock, config.auth) == ("127.0.0.1", 8787, 0, "system", "strict")


def test_cli_serve_help_lists_every_flag_with_env_twin() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for flag in ("--host", "--port", "--seed", "--fixtures", "--clock", "--auth", "--log-level"):
        assert flag in result.output


def test_cli_env_variables_reach_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_create_app(config):  # stop before a server would start
        seen["config"] = config
        raise SystemExit(0)

    monkeypatch.setattr("emulator.app.create_app", fake_create_app)
    env = {"EMULATOR_PORT": "9999", "EMULATOR_SEED": "7", "EMULATOR_CLOCK": "manual", "EMULATOR_AUTH": "off"}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    config = seen["config"]
    assert (config.port, config.seed, config.clock, config.auth) == (9999, 7, "manual", "off")


def test_cli_rejects_bad_choice() -> None:
    result = CliRunner().invoke(main, ["serve", "--clock", "sundial"])
    assert result.exit_code == 2 and "sundial" in result.output


def test_cli_bad_fixtures_exit_2_naming_file_line_and_key(tmp_path: Path) -> None:
    (tmp_path / "orgs.yaml").write_text("organizations:\n  - id: org_a\n    colour: red\n")
    result = CliRunner().invoke(main, ["serve", "--fixtures", str(tmp_path)])
    assert result.exit_code == EXIT_CONFIG_ERROR
    assert "orgs.yaml:3" in result.output and "colour" in result.output


def test_cli_fixtures_without_any_token_exit_2(tmp_path: Path) -> None:
    (tmp_path / "orgs.yaml").write_text("organizations:\n  - id: org_a\nusers:\n  - id: u_a\n    organization: org_a\n")
    result = CliRunner().invoke(main, ["serve", "--fixtures", str(tmp_path), "--no-bundled-fixtures"])
    assert result.exit_code == EXIT_CONFIG_ERROR
    assert "define no token and no OAuth client" in result.output and "--auth off" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_serve_answers_liveness_on_the_configured_port() -> None:
    port = _free_port()
    env = {**os.environ, "EMULATOR_PORT": str(port)}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = started + 10
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v1/health/liveness", timeout=0.5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)  # polling a subprocess's start-up: no virtual clock applies here
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer test-token"})
        assert set(models.json()) == {"items", "hasMore", "nextCursor"}
    finally:
        process.terminate()
        process.wait(10)
    # The 1 s start-up target is measured by bench/startup.py on a quiet machine; here only a sanity bound,
    # since CI runs this next to other tests on two cores.
    assert elapsed < 15.0
